// What the browser tests share: Chromium, JSON calls to wiselink and the simulator, and the
// accessibility audit (axe-core at phone and desktop widths, with a screenshot of each).

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Screenshots of every audited screen, for a person to look at (kept after the run).
const screenshots = process.env.SCREENSHOTS_DIR ?? new URL('./screenshots', import.meta.url).pathname;

export const api = process.env.WISELINK_URL;
export const sim = process.env.SIM_URL;
export const key = process.env.WISELINK_API_KEY;

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export async function call(method, url, body, headers = {}) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export const partner = (method, path, body) =>
  call(method, `${api}${path}`, body, { authorization: `Bearer ${key}` });

/** A customer whose Wise account exists (Wise answers 409), and a link waiting for the code. */
export async function linkAwaitingCode(ref, email, wiseUser = {}, customerDob = '1990-04-17') {
  const customer = { email, date_of_birth: customerDob, first_name: 'Ada', last_name: 'Lovelace', language: 'EN' };
  assert.equal((await partner('PUT', `/v1/customers/${ref}`, customer)).status, 201);
  const seeded = await call('POST', `${sim}/__sim/users`, {
    email, date_of_birth: '1990-04-17', first_name: 'Ada', last_name: 'Lovelace', ...wiseUser,
  });
  assert.equal(seeded.status, 201);
  const link = await partner('POST', '/v1/links', { customer_ref: ref });
  assert.equal(link.status, 201);
  assert.equal(link.body.state, 'awaiting_code');
  return link.body;
}

export async function wiseCode(email) {
  const { body } = await call('GET', `${sim}/__sim/mailbox?to=${encodeURIComponent(email)}`);
  return body.at(-1).authorization_code;
}

export const submitCode = (link, code) =>
  call('POST', `${api}/v1/links/${link.id}/code`, { code }, { authorization: `Bearer ${link.link_session_token}` });

/**
 * Opens a screen (with `reach`) at phone and desktop widths, runs axe-core on it and saves a
 * screenshot of each. axe is injected into a context that bypasses the page's CSP, which allows no
 * script; the other tests check the pages under their real CSP. `contextOptions` can carry e.g.
 * a signed-in staff member's cookies.
 */
export async function audit(browser, name, reach, contextOptions = {}) {
  await mkdir(screenshots, { recursive: true });
  for (const width of [375, 1280]) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true, ...contextOptions });
    const page = await context.newPage();
    await reach(page);
    await page.screenshot({ path: `${screenshots}/${name}-${width}.png`, fullPage: true });
    const tooWide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`));
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const serious = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target).join(', ')}`);
    assert.deepEqual(serious, [], `${name} at ${width} px`);
    assert.ok(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      `${name} fits ${width} px: ${tooWide.join(', ')}`,
    );
    await context.close();
  }
}

/** A signed-in staff member's browser context, and every CSP refusal or script error in it. */
export async function signIn(browser, username, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${api}/staff`);
  assert.equal(new URL(page.url()).pathname, '/staff/login', 'strangers are sent to sign in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(process.env.STAFF_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  return { context, page, errors };
}
