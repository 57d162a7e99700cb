// The staff back office as a support agent works it in Chromium: sign in, work the queue, open a
// date-of-birth mismatch and read the comparison, approve it, reject another, unlock a locked
// link, watch the timeline, sign out. Accounts are made by run.sh with `wiselink staff add`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, audit, launch, linkAwaitingCode, partner, submitCode, wiseCode } from './support.mjs';

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

/** A signed-in staff member's browser context, and every CSP refusal or script error in it. */
async function signIn(username, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${api}/staff`);
  assert.equal(new URL(page.url()).pathname, '/staff/login', 'strangers are sent to sign in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  return { context, page, errors };
}

test('a reviewer works the queue: approve a swapped DOB, reject another, unlock a locked link, sign out', async () => {
  const swapped = await swappedDob('browser-swap');
  const other = await swappedDob('browser-other');
  const locked = await lockedLink('browser-locked');
  const { context, page, errors } = await signIn('rita');

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
    const { context, errors } = await signIn(who);
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
