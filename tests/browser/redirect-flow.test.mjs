// The redirect flow as a customer meets it in Chromium: wiselink's link page, "Continue to Wise",
// the (simulated) Wise login and consent page, and back through wiselink's callback to the result
// page — with the state bound to this browser by a cookie. Declining comes back too, and says the
// link can be tried again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, audit as auditWith, call, launch, partner, sim } from './support.mjs';

let browser;
const audit = (name, reach) => auditWith(browser, name, reach);

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A customer with a Wise account, and a redirect-flow link for them. */
async function redirectLink(ref, email) {
  const customer = { email, date_of_birth: '1990-04-17', first_name: 'Ada', last_name: 'Lovelace', language: 'EN' };
  assert.equal((await partner('PUT', `/v1/customers/${ref}`, customer)).status, 201);
  const seeded = await call('POST', `${sim}/__sim/users`, {
    email, date_of_birth: '1990-04-17', first_name: 'Ada', last_name: 'Lovelace',
  });
  assert.equal(seeded.status, 201);
  const link = await partner('POST', '/v1/links', { customer_ref: ref, flow: 'redirect' });
  assert.equal(link.status, 201);
  assert.equal(link.body.state, 'awaiting_authorization');
  assert.equal(link.body.next_action.type, 'redirect');
  return link.body;
}

async function tokenCalls() {
  const { body } = await call('GET', `${sim}/__sim/calls`);
  return body.filter((c) => c.path === '/oauth/token' && c.body?.grant_type === 'authorization_code').length;
}

test('a customer continues to Wise, allows the link and comes back linked', async () => {
  const email = 'redirect.ada@example.com';
  const link = await redirectLink('redirect-1', email);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${api}/link/${link.link_session_token}`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Link your Wise account');
  await page.getByRole('button', { name: 'Continue to Wise' }).click();
  await page.waitForURL(`${sim}/oauth/authorize/**`);
  assert.match(await page.getByRole('heading', { level: 1 }).textContent(), /Log in to connect/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('any password will do');
  const before = await tokenCalls();
  await page.getByRole('button', { name: 'Allow access' }).click();
  await page.waitForURL(`${api}/oauth/result?result=linked&lang=en`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Your Wise account is linked');
  assert.equal(await tokenCalls(), before + 1, 'one code exchange');
  const now = await partner('GET', `/v1/links/${link.id}`);
  assert.equal(now.body.state, 'active');
  // The binding cookie was cleared on the way back.
  const cookies = await context.cookies(api);
  assert.ok(!cookies.some((c) => c.name === '__Host-wiselink-authorize'), JSON.stringify(cookies));
  await context.close();
  await audit('redirect-linked', (p) => p.goto(`${api}/oauth/result?result=linked`));
});

test('the continue page, a declined trip and a refused return are plain pages that pass axe', async () => {
  const email = 'redirect.bea@example.com';
  const link = await redirectLink('redirect-2', email);
  await audit('redirect-continue', (p) => p.goto(`${api}/link/${link.link_session_token}`));

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${api}/link/${link.link_session_token}`);
  await page.getByRole('button', { name: 'Continue to Wise' }).click();
  await page.waitForURL(`${sim}/oauth/authorize/**`);
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL(`${api}/oauth/result?result=declined&lang=en`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Your Wise account is not linked yet');
  // Still restartable: the link page offers Wise again.
  await page.goto(`${api}/link/${link.link_session_token}`);
  assert.ok(await page.getByRole('button', { name: 'Continue to Wise' }).isVisible());
  await context.close();
  await audit('redirect-declined', (p) => p.goto(`${api}/oauth/result?result=declined`));

  // A forged state: an error page, and nothing sent to Wise.
  const before = await tokenCalls();
  await audit('redirect-refused', async (p) => {
    const response = await p.goto(`${api}/oauth/callback?code=ABCDEF&state=forged`);
    assert.equal(response.status(), 400);
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'This link did not work');
  });
  assert.equal(await tokenCalls(), before);
});
