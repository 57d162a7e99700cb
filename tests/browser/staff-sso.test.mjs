// Staff single sign-on in Chromium: a second `wiselink serve` whose staff sign in at a real OpenID
// provider (tests/oidc/provider.mjs, npm's oidc-provider) — the sign-in button, the provider's
// pages, the queue, the refusal for someone in no mapped group, the emergency (break-glass) form,
// and signing out at the provider too. axe on each new screen at 375 and 1280 px.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import net from 'node:net';
import { audit, launch } from './support.mjs';

const bin = process.env.WISELINK_BIN;
const password = process.env.STAFF_PASSWORD;
let browser;
let provider;
let serve;
let url;
let work;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the provider; resolves to its issuer once it listens. */
function startProvider(publicUrl) {
  provider = spawn('node', ['provider.mjs'], {
    cwd: new URL('../oidc/', import.meta.url).pathname,
    env: {
      ...process.env,
      OIDC_REDIRECT_URI: `${publicUrl}/staff/sso/callback`,
      OIDC_POST_LOGOUT_URI: `${publicUrl}/staff/login`,
      OIDC_CLIENT_SECRET: 'browser-test-client-secret',
      OIDC_ACCOUNTS: JSON.stringify({
        rita: { groups: ['wiselink-reviewers'] },
        nora: { groups: ['everyone'] },
      }),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve) => {
    createInterface({ input: provider.stdout }).once('line', (line) => resolve(JSON.parse(line).issuer));
  });
}

before(async () => {
  browser = await launch();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const issuer = await startProvider(url);
  work = mkdtempSync(`${tmpdir()}/wiselink-sso-`);
  const env = {
    ...process.env,
    WISELINK__DATABASE__URL: `sqlite://${work}/sso.sqlite3`,
    WISELINK__SERVER__PORT: String(port),
    WISELINK__SERVER__PUBLIC_URL: url,
    WISELINK__STAFF__SSO__ISSUER: issuer,
    WISELINK__STAFF__SSO__PROVIDER_NAME: 'Bank ID',
    WISELINK__STAFF__SSO__CLIENT_ID: 'wiselink',
    WISELINK__STAFF__SSO__CLIENT_SECRET: 'browser-test-client-secret',
    WISELINK__STAFF__SSO__SCOPES: 'openid,profile,groups,offline_access',
    WISELINK__STAFF__SSO__REVIEWER_GROUPS: 'wiselink-reviewers',
    WISELINK__STAFF__SSO__BREAK_GLASS_USER: 'glass',
  };
  execFileSync(bin, ['staff', 'add', 'glass', '--role', 'admin', '--password-stdin'], { env, input: `${password}\n` });
  serve = spawn(bin, ['serve'], { env, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('wiselink serve with single sign-on did not start');
});

after(async () => {
  await browser?.close();
  serve?.kill();
  provider?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Signs `login` in at the provider from the back office's sign-in page. */
async function signInAtProvider(page, login) {
  await page.goto(`${url}/staff`);
  assert.equal(new URL(page.url()).pathname, '/staff/login');
  await page.getByRole('link', { name: 'Sign in with Bank ID' }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
}

test('a reviewer signs in at the provider, works, and signs out there too', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
  await signInAtProvider(page, 'rita');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  assert.match(await page.locator('.who').textContent(), /rita \(reviewer\)/);
  const cookies = await context.cookies(url);
  assert.ok(cookies.some((c) => c.name === '__Host-wiselink-staff' && c.sameSite === 'Strict'));
  assert.ok(!cookies.some((c) => c.name === '__Host-wiselink-staff-sso'), 'the sign-in cookie is cleared');

  await page.getByRole('button', { name: 'Sign out' }).click();
  // The provider asks to confirm signing out of it, then sends the browser back to sign in.
  await page.locator('button[autofocus], button[type="submit"]').first().click();
  await page.waitForURL(`${url}/staff/login**`);
  await page.getByRole('link', { name: 'Sign in with Bank ID' }).waitFor();
  await page.goto(`${url}/staff`);
  assert.equal(new URL(page.url()).pathname, '/staff/login', 'signed out here');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the sign-in page, a refusal for someone in no group, and the emergency form pass axe', async () => {
  await audit(browser, 'staff-sso-login', async (page) => {
    await page.goto(`${url}/staff/login`);
    await page.getByText('Emergency access').click();
    await page.getByLabel('Username').waitFor();
  });
  await audit(browser, 'staff-sso-no-role', async (page) => {
    await signInAtProvider(page, 'nora');
    await page.getByText('you are in none of the groups that give access').waitFor();
  });
});

test('the break-glass admin signs in with a password from the emergency form', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/staff/login`);
  await page.getByText('Emergency access').click();
  await page.getByLabel('Username').fill('glass');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  assert.match(await page.locator('.who').textContent(), /glass \(admin\)/);
  await context.close();
});
