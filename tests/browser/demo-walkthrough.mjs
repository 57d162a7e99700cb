// `wiselink demo` clicked through as a newcomer would: the start page, the API call it makes, the
// dev mailbox with wiselink's and the simulated Wise's emails, Wise's login page that reveals the
// code, wiselink's code page — and, for the customer whose date of birth differs at Wise, the
// staff screen where a reviewer approves the link. Run by run.sh against a demo it starts (the
// file name keeps it out of the serve-based run).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { audit as auditWith, launch } from './support.mjs';

const demo = process.env.DEMO_URL;
const reviewerPassword = process.env.DEMO_REVIEWER_PASSWORD;
let browser;
const audit = (name, reach) => auditWith(browser, name, reach);

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Every CSP refusal or script error on `page`. */
function watch(page) {
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** From the start page: start an email-code link for `first` and read what the page shows. */
async function startEmailCode(page, first, ref) {
  await page.goto(`${demo}/`);
  assert.match(await page.locator('.demo-label').textContent(), /DEMO/);
  await page.getByRole('button', { name: `Email code for ${first}` }).click();
  await page.getByRole('heading', { name: "What the partner's backend sent" }).waitFor();
  const [sent, answer] = await page.locator('pre.code-block').allTextContents();
  assert.match(sent, /^POST \/v1\/links/);
  assert.match(sent, new RegExp(`"customer_ref": "${ref}"`));
  assert.match(await page.getByRole('heading', { level: 2 }).first().textContent(), /201 Created/);
  assert.match(answer, /"state": "awaiting_code"/);
  assert.match(answer, /"link_session_token": "\(hidden here/, 'the session token is not shown');
}

/** What a customer reads, in the two languages the walkthrough uses (Ben's is German). */
const words = {
  en: {
    subject: 'Finish linking your Wise account', enter: 'Enter the code from Wise', label: 'Code from Wise',
    submit: 'Link my Wise account', review: 'We are checking a few details', linked: 'Your Wise account is linked',
  },
  de: {
    subject: 'Verknüpfung Ihres Wise-Kontos abschließen', enter: 'Code von Wise eingeben', label: 'Code von Wise',
    submit: 'Mein Wise-Konto verknüpfen', review: 'Wir prüfen noch einige Angaben', linked: 'Ihr Wise-Konto ist verknüpft',
  },
};

/** In the mailbox: Wise's email → Wise's login → the code; then wiselink's email → its page. */
async function codeFromMailbox(page, email, say = words.en) {
  await page.getByRole('link', { name: 'open their mailbox' }).click();
  const ours = page.locator('section[aria-labelledby="ours"]');
  for (let i = 0; i < 50 && (await ours.locator('article').count()) === 0; i++) {
    await page.waitForTimeout(200);
    await page.reload();
  }
  assert.equal(await ours.locator('.subject').first().textContent(), say.subject);
  const mailbox = page.url();
  const wise = page.locator('section[aria-labelledby="wise"]');
  assert.equal(await wise.locator('.subject').first().textContent(), 'Connect your Wise account');
  await wise.locator('pre a').first().click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('any password');
  await page.getByRole('button', { name: 'Allow access' }).click();
  const code = (await page.locator('#authorization-code').textContent()).trim();
  assert.match(code, /^[A-Za-z0-9]{6}$/);
  await page.goto(mailbox);
  await ours.locator('pre a[href*="/link/"]').first().click();
  await page.getByRole('heading', { name: say.enter }).waitFor();
  // The partner is named, by its logo.
  assert.equal(await page.locator('.masthead img').getAttribute('alt'), 'Demo Bank');
  return code;
}

test('Ana, whose date of birth matches, links from the start page through both emails', async () => {
  await audit('demo-start', (page) => page.goto(`${demo}/`));
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watch(page);
  await startEmailCode(page, 'Ana', 'demo-ana');
  const called = page.url();
  await audit('demo-api-call', async (p) => {
    await p.goto(`${demo}/`);
    await p.getByRole('button', { name: 'Redirect for Dana' }).click();
    await p.getByRole('heading', { name: "What the partner's backend sent" }).waitFor();
  });
  assert.ok(called.endsWith('/demo/links'));
  const code = await codeFromMailbox(page, 'ana.martins@example.com');
  await page.getByLabel('Code from Wise').fill(code);
  await page.getByRole('button', { name: 'Link my Wise account' }).click();
  await page.getByRole('heading', { name: 'Your Wise account is linked' }).waitFor();
  await audit('demo-mailbox', (p) => p.goto(`${demo}/dev/mailbox?to=ana.martins%40example.com`));
  assert.deepEqual(errors, []);
  await context.close();
});

test('Ben, whose date of birth differs at Wise, waits for review until a reviewer approves', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const page = await context.newPage();
  const errors = watch(page);
  await startEmailCode(page, 'Ben', 'demo-ben');
  const say = words.de;
  const code = await codeFromMailbox(page, 'ben.keller@example.com', say);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  const customerPage = page.url();
  await page.getByLabel(say.label).fill(code);
  await page.getByRole('button', { name: say.submit }).click();
  await page.getByRole('heading', { name: say.review }).waitFor();
  await audit('demo-ben-review', (p) => p.goto(customerPage));

  const staff = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const desk = await staff.newPage();
  errors.push(...watch(desk));
  await desk.goto(`${demo}/staff`);
  await desk.getByLabel('Username').fill('reviewer');
  await desk.getByLabel('Password').fill(reviewerPassword);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.getByRole('link', { name: 'Open link of demo-ben' }).click();
  assert.match(await desk.getByRole('row', { name: /Date of birth/ }).textContent(), /1985-07-01.*1985-01-07/s);
  await desk.getByLabel('Reason').first().fill('Confirmed the date of birth with Ben by phone');
  await desk.getByRole('button', { name: 'Approve' }).click();
  await desk.getByText('Approved: the link is active').waitFor();
  await staff.close();

  await page.goto(customerPage);
  await page.getByRole('heading', { name: say.linked }).waitFor();
  await audit('demo-ben-linked', (p) => p.goto(customerPage));
  await audit('demo-ben-mailbox', (p) => p.goto(`${demo}/dev/mailbox?to=ben.keller%40example.com`));
  assert.deepEqual(errors, []);
  await context.close();
});
