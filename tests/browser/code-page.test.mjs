// The code-entry page as a customer meets it: the link in wiselink's email, opened in Chromium,
// a code typed into the form and submitted with a click. wiselink and the Wise simulator run as
// real processes (see run.sh); everything is set up over their HTTP APIs.

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

/** The code-entry URL from wiselink's "finish linking" email, once the relay has delivered it. */
async function pageUrlFromEmail(email) {
  for (let i = 0; i < 100; i++) {
    const { body } = await call('GET', `${api}/dev/mailbox.json?to=${encodeURIComponent(email)}`);
    const finish = body.find((m) => m.kind === 'finish_linking');
    if (finish) {
      const url = finish.text.match(/https?:\/\/\S+\/link\/\S+/);
      assert.ok(url, finish.text);
      return url[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no finish-linking email for ${email}`);
}

/** A phone-sized page that records what the browser refused (CSP violations) and script errors. */
async function phonePage() {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors, close: () => context.close() };
}

test('a customer opens the emailed link, mistypes once, then links their Wise account', async () => {
  const email = 'browser.ada@example.com';
  const link = await linkAwaitingCode('browser-1', email);
  const url = await pageUrlFromEmail(email);
  assert.ok(url.startsWith(`${api}/link/`), url);

  const { page, errors, close } = await phonePage();
  const response = await page.goto(url);
  assert.equal(response.status(), 200);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Enter the code from Wise');
  const input = page.getByLabel('Code from Wise');
  assert.ok(await input.evaluate((el) => el === document.activeElement), 'the code field has focus');
  // The stylesheet loaded under the page's CSP, and nothing is wider than the phone.
  const button = page.getByRole('button', { name: 'Link my Wise account' });
  assert.equal(await button.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(159, 232, 112)');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));

  await input.fill('Wrong1');
  await button.click();
  await page.waitForLoadState();
  const alert = page.getByRole('alert');
  assert.match(await alert.textContent(), /Wise did not accept that code.*4 attempts left/);

  const code = await wiseCode(email);
  await page.getByLabel('Code from Wise').fill(` ${code.slice(0, 3)} ${code.slice(3)} `);
  await page.getByRole('button', { name: 'Link my Wise account' }).click();
  await page.getByRole('heading', { name: 'Your Wise account is linked' }).waitFor();
  assert.equal(await page.getByRole('alert').count(), 0);
  const html = await page.content();
  assert.ok(!html.includes(link.link_session_token), 'the page never shows its token');

  const after = await partner('GET', `/v1/links/${link.id}`);
  assert.equal(after.body.state, 'active');
  // Reloading shows the same outcome.
  await page.reload();
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Your Wise account is linked');
  assert.deepEqual(errors, []);
  await close();
});

test('a date of birth that does not match ends on the review page, with no details shown', async () => {
  const email = 'browser.dob@example.com';
  await linkAwaitingCode('browser-2', email, { date_of_birth: '1985-01-01' });
  const url = await pageUrlFromEmail(email);
  const { page, errors, close } = await phonePage();
  await page.goto(url);
  await page.getByLabel('Code from Wise').fill(await wiseCode(email));
  await page.getByRole('button', { name: 'Link my Wise account' }).click();
  await page.getByRole('heading', { name: 'We are checking a few details' }).waitFor();
  const text = await page.locator('main').textContent();
  assert.ok(!/1985|1990|birth/i.test(text), text);
  assert.deepEqual(errors, []);
  await close();
});

test('a link that no longer exists says so', async () => {
  const { page, close } = await phonePage();
  const response = await page.goto(`${api}/link/wls_not-a-real-session`);
  assert.equal(response.status(), 404);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'This link has expired');
  await close();
});

test('every screen passes axe-core without serious or critical findings, at 375 and 1280 px', async () => {
  const email = 'browser.axe@example.com';
  const link = await linkAwaitingCode('browser-axe', email);
  const url = await pageUrlFromEmail(email);
  await audit('enter-code', (page) => page.goto(url));
  await audit('wrong-code', async (page) => {
    await page.goto(url);
    await page.getByLabel('Code from Wise').fill('Wrong1');
    await page.getByRole('button', { name: 'Link my Wise account' }).click();
    await page.getByRole('alert').waitFor();
  });
  assert.equal((await submitCode(link, await wiseCode(email))).body.state, 'active');
  await audit('linked', (page) => page.goto(url));

  const review = await linkAwaitingCode('browser-axe-2', 'browser.axe2@example.com', { date_of_birth: '1985-01-01' });
  assert.equal((await submitCode(review, await wiseCode('browser.axe2@example.com'))).body.state, 'needs_review');
  await audit('under-review', async (page) => page.goto(await pageUrlFromEmail('browser.axe2@example.com')));

  const locked = await linkAwaitingCode('browser-axe-3', 'browser.axe3@example.com');
  for (let i = 0; i < 5; i++) await submitCode(locked, `Wrong${i}`);
  await audit('locked', async (page) => page.goto(await pageUrlFromEmail('browser.axe3@example.com')));

  await audit('closed', (page) => page.goto(`${api}/link/wls_no-such-link`));
  await audit('dev-mailbox', (page) => page.goto(`${api}/dev/mailbox`));

  // The same screens in every language the pages speak, and every end of the redirect flow.
  const waiting = await linkAwaitingCode('browser-axe-4', 'browser.axe4@example.com');
  const waitingUrl = await pageUrlFromEmail('browser.axe4@example.com');
  const screens = {
    'enter-code': waitingUrl,
    linked: url,
    'under-review': await pageUrlFromEmail('browser.axe2@example.com'),
    locked: await pageUrlFromEmail('browser.axe3@example.com'),
    closed: `${api}/link/wls_no-such-link`,
  };
  for (const result of ['linked', 'in_review', 'not_linked', 'declined', 'refused', 'ended', 'failed']) {
    screens[`result-${result}`] = `${api}/oauth/result?result=${result}`;
  }
  for (const lang of ['en', 'de', 'es']) {
    for (const [name, address] of Object.entries(screens)) {
      const glue = address.includes('?') ? '&' : '?';
      await audit(`${lang}-${name}`, async (page) => {
        await page.goto(`${address}${glue}lang=${lang}`);
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      });
    }
    await audit(`${lang}-wrong-code`, async (page) => {
      await page.goto(`${waitingUrl}?lang=${lang}`);
      await page.locator('#code').fill('Wrong1');
      await page.locator('button[type=submit]').first().click();
      await page.getByRole('alert').waitFor();
    });
  }
  assert.equal(waiting.state, 'awaiting_code');
});

test('times read in the browser\'s own zone, the language switch works, and the page works without script', async () => {
  const email = 'browser.lang@example.com';
  await linkAwaitingCode('browser-lang', email);
  const url = await pageUrlFromEmail(email);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'Asia/Tokyo', locale: 'de-DE' });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  // The script rewrote the UTC time into Tokyo's, keeping the UTC text as the title.
  const time = page.locator('time[data-local]').first();
  assert.match(await time.getAttribute('title'), /UTC$/);
  assert.match(await time.textContent(), /GMT\+9|JST/);
  await page.getByRole('link', { name: 'Deutsch' }).click();
  await page.getByRole('heading', { name: 'Code von Wise eingeben' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  // The focused field shows a ring of its own.
  await page.locator('#code').focus();
  const outline = await page.locator('#code').evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.equal(outline, 'solid');
  assert.deepEqual(errors, []);
  await context.close();

  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(`${url}?lang=es`);
  assert.match(await plain.locator('time[data-local]').first().textContent(), /UTC$/);
  await plain.locator('#code').fill(await wiseCode(email));
  await plain.locator('button[type=submit]').first().click();
  await plain.getByRole('heading', { name: 'Tu cuenta de Wise está vinculada' }).waitFor();
  await noScript.close();
});
