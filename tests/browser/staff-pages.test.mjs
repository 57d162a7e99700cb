// The staff back office as a support agent works it in Chromium: sign in, work the queue, open a
// date-of-birth mismatch and read the comparison, approve it, reject another, unlock a locked
// link, watch the timeline, sign out. Accounts are made by run.sh with `wiselink staff add`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, audit, launch, linkAwaitingCode, partner, signIn, submitCode, wiseCode } from './support.mjs';

const password = process.env.STAFF_PASSWORD;
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A link that ends in review: Wise's DOB has the partner's day and month swapped. */
async function swappedDob(ref) {
  const email = `${ref}@example.com`;
  const link = await linkAwaitingCode(ref, email, { date_of_birth: '1990-12-04' }, '1990-04-12');
  assert.equal((await submitCode(link, await wiseCode(email))).body.state, 'needs_review');
  return link;
}

async function lockedLink(ref) {
  const link = await linkAwaitingCode(ref, `${ref}@example.com`);
  for (let i = 1; i <= 5; i++) await submitCode(link, `Wrong${i}`);
  return link;
}

test('a reviewer works the queue: approve a swapped DOB, reject another, unlock a locked link, sign out', async () => {
  const swapped = await swappedDob('browser-swap');
  const other = await swappedDob('browser-other');
  const locked = await lockedLink('browser-locked');
  const { context, page, errors } = await signIn(browser, 'rita');

  const inReview = (await partner('GET', '/v1/links?state=needs_review')).body.items.length;
  const tab = page.getByRole('link', { name: /Needs review/ });
  assert.equal(await tab.getAttribute('aria-current'), 'page');
  assert.match(await tab.textContent(), new RegExp(`Needs review\\s+${inReview}$`));
  // By keyboard: focus the first row's link and press Enter.
  await page.getByRole('link', { name: 'Open link of browser-swap' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Link of browser-swap' }).waitFor();
  const dobRow = page.getByRole('row', { name: /Date of birth/ });
  assert.match(await dobRow.textContent(), /1990-04-12.*1990-12-04.*day and month swapped\?/s);
  assert.match(await page.getByRole('row', { name: /Profile type/ }).textContent(), /personal/);

  await page.getByLabel('Reason').first().fill('Customer confirmed the DOB by phone');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('Approved: the link is active').waitFor();
  assert.match(await page.locator('.timeline').textContent(), /staff_approved → active · staff:rita · “Customer confirmed the DOB by phone”/);

  await page.goto(`${api}/staff/links/${other.id}`);
  const rejectForm = page.locator('form', { has: page.getByRole('button', { name: 'Reject' }) });
  await rejectForm.getByLabel('Reason').fill('Not the same person');
  await rejectForm.getByRole('button', { name: 'Reject' }).click();
  await page.getByText('Rejected: the tokens are destroyed').waitFor();

  await page.goto(`${api}/staff?state=locked`);
  await page.getByRole('link', { name: 'Open link of browser-locked' }).click();
  const unlockForm = page.locator('form', { has: page.getByRole('button', { name: 'Unlock' }) });
  await unlockForm.getByLabel('Reason').fill('Customer called; identity checked');
  await unlockForm.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText('Unlocked: Wise was asked to email a new code').waitFor();
  assert.match(await page.locator('.timeline').textContent(), /staff_unlocked → awaiting_code/);

  await page.goto(`${api}/staff`);
  assert.match(
    await page.getByRole('link', { name: /Needs review/ }).textContent(),
    new RegExp(`Needs review\\s+${inReview - 2}$`),
    'the two decided links left the queue',
  );
  const html = await page.content();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === '__Host-wiselink-staff');
  assert.ok(session && session.httpOnly && session.secure && session.sameSite === 'Strict', JSON.stringify(cookies));
  assert.ok(!html.includes(session.value), 'the session id is never in a page');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
  await page.goto(`${api}/staff`);
  assert.equal(new URL(page.url()).pathname, '/staff/login');
  assert.deepEqual(errors, []);
  await context.close();
  assert.ok(locked.id && swapped.id);
});

test('every staff screen passes axe-core without serious or critical findings, at 375 and 1280 px', async () => {
  const review = await swappedDob('browser-axe-review');
  await lockedLink('browser-axe-locked');
  await audit(browser, 'staff-login', (page) => page.goto(`${api}/staff/login`));
  await audit(browser, 'staff-login-failed', async (page) => {
    await page.goto(`${api}/staff/login`);
    await page.getByLabel('Username').fill('rita');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
  });
  for (const [who, role] of [['root', 'admin'], ['vic', 'viewer']]) {
    const { context, errors } = await signIn(browser, who);
    const storageState = await context.storageState();
    await context.close();
    const as = { storageState };
    await audit(browser, `staff-queue-${role}`, (page) => page.goto(`${api}/staff`), as);
    await audit(browser, `staff-locked-${role}`, (page) => page.goto(`${api}/staff?state=locked`), as);
    await audit(browser, `staff-link-${role}`, (page) => page.goto(`${api}/staff/links/${review.id}`), as);
    if (role === 'admin') {
      await audit(browser, 'staff-admin', (page) => page.goto(`${api}/staff/admin`), as);
    } else {
      await audit(browser, 'staff-forbidden', (page) => page.goto(`${api}/staff/admin`), as);
    }
    assert.deepEqual(errors, []);
  }
});

test('an admin registers a webhook endpoint, sees its secret once and its deliveries, and disables it', async () => {
  const { createServer } = await import('node:http');
  const received = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { received.push({ id: req.headers['webhook-id'], body }); res.writeHead(204).end(); });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${receiver.address().port}/hooks/browser`;
  try {
    const { context, page, errors } = await signIn(browser, 'root');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByLabel(/^URL/).fill(url);
    await page.getByLabel(/^Description/).fill('Bank backend (browser test)');
    await page.getByLabel('Only these:').check();
    await page.getByLabel('link.active').check();
    await page.getByLabel('link.needs_review').check();
    await page.getByLabel(/^Your password/).fill(password);
    await page.getByRole('button', { name: 'Register' }).click();
    const secret = await page.locator('code.secret').textContent();
    assert.match(secret, /^whsec_/);
    await page.goto(`${api}/staff/webhooks`);
    assert.ok(!(await page.content()).includes(secret), 'the secret is shown once');
    const endpoints = page.getByRole('table', { name: 'Where events are sent' });
    const row = endpoints.getByRole('row', { name: new RegExp(url.replace(/[.]/g, '\\.')) });
    assert.match(await row.textContent(), /link\.active, link\.needs_review/);

    await swappedDob('browser-hooks');
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 1, 'one subscribed event: the link went to review');
    assert.equal(JSON.parse(received[0].body).type, 'link.needs_review');
    await page.goto(`${api}/staff/webhooks`);
    const delivery = page.getByRole('table', { name: /deliveries/i }).getByRole('row', { name: /link\.needs_review/ });
    assert.match(await delivery.textContent(), /delivered.*204/s);

    const { storageState } = { storageState: await context.storageState() };
    await audit(browser, 'staff-webhooks', (p) => p.goto(`${api}/staff/webhooks`), { storageState });

    await row.getByRole('button', { name: /^Disable/ }).click();
    await page.getByText(/Disabled .*: nothing is sent to it\./).waitFor();
    assert.match(await row.textContent(), /disabled/);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    receiver.close();
  }
});

test('a link whose Wise user is linked to another customer can only be rejected or unlinked', async () => {
  const email = 'browser-shared@example.com';
  const first = await linkAwaitingCode('browser-shared-1', email);
  assert.equal((await submitCode(first, await wiseCode(email))).body.state, 'active');
  const customer = { email, date_of_birth: '1990-04-17', first_name: 'Ada', last_name: 'Lovelace', language: 'EN' };
  assert.equal((await partner('PUT', '/v1/customers/browser-shared-2', customer)).status, 201);
  const second = (await partner('POST', '/v1/links', { customer_ref: 'browser-shared-2' })).body;
  const submitted = await submitCode(second, await wiseCode(email));
  assert.equal(submitted.body.review_reason, 'wise_user_linked_elsewhere');

  const { context, page, errors } = await signIn(browser, 'rita');
  await page.goto(`${api}/staff/links/${second.id}`);
  const why = page.locator('dt', { hasText: 'Why it is here' }).locator('xpath=following-sibling::dd[1]');
  assert.match(await why.textContent(), /already linked to another customer/);
  const decisions = await page.getByRole('heading', { level: 3 }).allTextContents();
  assert.deepEqual(decisions, ['Reject', 'Unlink'], 'no approval offered: the link holds no tokens');
  const storageState = await context.storageState();
  await context.close();
  assert.deepEqual(errors, []);
  await audit(browser, 'staff-link-linked-elsewhere', (p) => p.goto(`${api}/staff/links/${second.id}`), { storageState });
});

test('an admin erases a customer from a link page, with a reason and the password', async () => {
  const link = await swappedDob('browser-erase');
  const { context, page, errors } = await signIn(browser, 'root');
  await page.goto(`${api}/staff/links/${link.id}`);
  await page.getByRole('heading', { name: 'Erase the customer' }).waitFor();
  await page.getByLabel(/^Why/).fill('erasure request, ticket 4711');
  await page.locator('#password-erase').fill(password);
  await page.getByRole('button', { name: 'Erase the customer' }).click();
  await page.getByText(/^Erased: the customer/).waitFor();
  const customer = page.locator('dt', { hasText: /^Customer$/ }).locator('xpath=following-sibling::dd[1]');
  assert.match(await customer.textContent(), /^erased /);
  assert.equal(await page.getByRole('heading', { name: 'Erase the customer' }).count(), 0);
  assert.ok(!(await page.content()).includes('browser-erase@example.com'), 'the email is gone');
  const storageState = await context.storageState();
  await context.close();
  assert.deepEqual(errors, []);
  await audit(browser, 'staff-link-erased', (p) => p.goto(`${api}/staff/links/${link.id}`), { storageState });
  assert.equal((await partner('GET', '/v1/customers/browser-erase')).status, 410);
});
