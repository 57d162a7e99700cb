// "This wasn't me" as the owner of the Wise account meets it: the link at the end of the "linked"
// email, opened in Chromium, the button clicked under the page's real CSP; and every screen of it
// audited with axe at phone and desktop widths, in English, German and Spanish.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, audit as auditWith, call, launch, linkAwaitingCode, partner, submitCode, wiseCode } from './support.mjs';

let browser;
const audit = (name, reach) => auditWith(browser, name, reach);

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** An active link for `email` (in `language`), and the "this wasn't me" URL from its email. */
async function linkedWithDispute(ref, email, language = 'EN') {
  const link = await linkAwaitingCode(ref, email);
  if (language !== 'EN') {
    const customer = { email, date_of_birth: '1990-04-17', first_name: 'Ada', last_name: 'Lovelace', language };
    assert.equal((await partner('PUT', `/v1/customers/${ref}`, customer)).status, 200);
  }
  assert.equal((await submitCode(link, await wiseCode(email))).body.state, 'active');
  for (let i = 0; i < 100; i++) {
    const { body } = await call('GET', `${api}/dev/mailbox.json?to=${encodeURIComponent(email)}`);
    const linked = body.find((m) => m.kind === 'linked');
    if (linked) {
      const url = linked.text.match(/https?:\/\/\S+\/dispute\/wld_[A-Za-z0-9_-]+/);
      assert.ok(url, linked.text);
      return { link, url: url[0] };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no linked email for ${email}`);
}

test('the owner of the Wise account says it was not them, once', async () => {
  const { link, url } = await linkedWithDispute('dispute-1', 'browser.notme@example.com');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));

  const response = await page.goto(url);
  assert.equal(response.status(), 200);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Did you link your Wise account to Example Partner?');
  assert.match(await page.locator('main').textContent(), /\(browser\.notme@example\.com\)/);
  assert.equal((await partner('GET', `/v1/links/${link.id}`)).body.state, 'active', 'opening changes nothing');

  await page.getByRole('button', { name: "This wasn't me: unlink my Wise account" }).click();
  await page.getByRole('heading', { name: 'Your Wise account is unlinked' }).waitFor();
  assert.deepEqual(errors, [], 'the form posts under the page CSP');
  const after = (await partner('GET', `/v1/links/${link.id}`)).body;
  assert.equal(after.state, 'needs_review');
  assert.equal(after.review_reason, 'customer_disputed');
  assert.ok(!(await page.content()).includes('wld_'), 'the page never shows its token');

  // Back and again: already told.
  await page.goto(url);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'You have already told us');
  await context.close();
});

test('every screen of the page passes axe at 375 and 1280 px, in three languages', async () => {
  const en = await linkedWithDispute('dispute-axe-en', 'browser.dispute.en@example.com');
  await audit('dispute-confirm', (page) => page.goto(en.url));
  await audit('dispute-done', async (page) => {
    await page.goto(en.url);
    const button = page.getByRole('button');
    if (await button.count()) {
      await button.click();
      await page.getByRole('heading', { name: 'Your Wise account is unlinked' }).waitFor();
    }
  });
  await audit('dispute-reported', (page) => page.goto(en.url));
  await audit('dispute-unknown', (page) => page.goto(`${api}/dispute/wld_unknown`));

  for (const [language, heading] of [['DE', 'Haben Sie Ihr Wise-Konto mit'], ['ES', '¿Vinculaste tu cuenta de Wise con']]) {
    const lower = language.toLowerCase();
    const { url } = await linkedWithDispute(`dispute-axe-${lower}`, `browser.dispute.${lower}@example.com`, language);
    await audit(`dispute-confirm-${lower}`, async (page) => {
      await page.goto(url);
      assert.match(await page.getByRole('heading', { level: 1 }).textContent(), new RegExp(heading));
      assert.equal(await page.locator('html').getAttribute('lang'), lower);
    });
  }
});
