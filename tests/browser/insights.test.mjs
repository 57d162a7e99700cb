// The staff Insights page as a product owner or support agent reads it in Chromium: a viewer
// opens it from the menu, sees the links just made counted in the funnel and its tables, switches
// to weeks with the form, and every chart is an SVG with a name and a table of the same figures.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, audit, launch, linkAwaitingCode, partner, signIn, submitCode, wiseCode } from './support.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** The "Links" cell of each row of a table, by the row's heading. */
async function column(page, caption) {
  const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) });
  const rows = await table.locator('tbody tr').all();
  const figures = {};
  for (const row of rows) {
    figures[(await row.locator('th').innerText()).trim()] = Number(await row.locator('td').first().innerText());
  }
  return figures;
}

/** One link of each ending: active, in review, locked, abandoned. */
async function fourLinks(prefix) {
  const active = await linkAwaitingCode(`${prefix}-active`, `${prefix}-active@example.com`);
  assert.equal((await submitCode(active, await wiseCode(`${prefix}-active@example.com`))).body.state, 'active');
  const review = await linkAwaitingCode(`${prefix}-review`, `${prefix}-review@example.com`, { date_of_birth: '1990-12-04' }, '1990-04-12');
  assert.equal((await submitCode(review, await wiseCode(`${prefix}-review@example.com`))).body.state, 'needs_review');
  const locked = await linkAwaitingCode(`${prefix}-locked`, `${prefix}-locked@example.com`);
  for (let i = 1; i <= 5; i++) await submitCode(locked, `Wrong${i}`);
  const gone = await linkAwaitingCode(`${prefix}-gone`, `${prefix}-gone@example.com`);
  assert.equal((await partner('DELETE', `/v1/links/${gone.id}`)).status, 200);
}

test('a viewer reads the funnel, sees new links counted, and switches to weeks', async () => {
  const { context, page, errors } = await signIn(browser, 'vic');
  await page.getByRole('link', { name: 'Insights' }).click();
  await page.getByRole('heading', { name: 'Insights', level: 1 }).waitFor();
  const steps = await column(page, 'Steps, and where customers dropped out');
  const ends = await column(page, 'How attempts ended other than active');

  await fourLinks('insights');
  await page.reload();
  const stepsAfter = await column(page, 'Steps, and where customers dropped out');
  const endsAfter = await column(page, 'How attempts ended other than active');
  const delta = (after, before, name) => after[name] - before[name];
  assert.equal(delta(stepsAfter, steps, 'Started'), 4);
  assert.equal(delta(stepsAfter, steps, 'Waiting for the customer'), 4);
  assert.equal(delta(stepsAfter, steps, 'Code entered'), 3);
  assert.equal(delta(stepsAfter, steps, 'Active'), 1);
  assert.equal(delta(endsAfter, ends, 'In review'), 1);
  assert.equal(delta(endsAfter, ends, 'Locked after wrong codes'), 1);
  assert.equal(delta(endsAfter, ends, 'Abandoned'), 1);

  // Every chart is an image with a name, drawn without script.
  for (const name of ['The linking funnel', 'Links started and activated per day', 'Time from start to active', 'Refresh health']) {
    await page.getByRole('img', { name }).waitFor();
  }
  assert.equal(await page.locator('script').count(), 0);
  assert.ok(Number(await page.locator('dt:has-text("Waiting") + dd').first().innerText()) >= 1, 'the review queue counts the link in review');

  await page.getByLabel('Periods', { exact: true }).selectOption('week');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('img', { name: 'Links started and activated per week' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('granularity'), 'week');
  const weekly = await column(page, 'Steps, and where customers dropped out');
  assert.deepEqual(weekly, stepsAfter, 'the same span by week has the same totals');

  await page.goto(`${api}/staff/insights?from=2026-12-02&to=2026-12-01`);
  await page.getByRole('heading', { name: 'Dates not valid' }).waitFor();
  assert.deepEqual(errors, [], 'no script error or CSP refusal');
  await context.close();
});

test('the Insights page passes axe-core at 375 and 1280 px, by day and by week', async () => {
  const { context } = await signIn(browser, 'vic');
  const as = { storageState: await context.storageState() };
  await context.close();
  await audit(browser, 'staff-insights', (page) => page.goto(`${api}/staff/insights`), as);
  await audit(browser, 'staff-insights-weeks', (page) => page.goto(`${api}/staff/insights?granularity=week&from=2026-09-01`), as);
});
