// The API documentation (Swagger UI at /docs/) renders under its own Content-Security-Policy:
// its script and styles load, the document is fetched, and Chromium refuses nothing.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { test } from 'node:test';
import { api, launch } from './support.mjs';

const screenshots = process.env.SCREENSHOTS_DIR ?? new URL('./screenshots', import.meta.url).pathname;

test('Swagger UI renders the API under its CSP, with nothing refused', async () => {
  const browser = await launch();
  try {
    await mkdir(screenshots, { recursive: true });
    for (const width of [375, 1280]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const refused = [];
      page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && refused.push(m.text()));
      const response = await page.goto(`${api}/docs/`);
      assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);
      await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15000 });
      assert.match(await page.locator('.swagger-ui .info .title').innerText(), /wiselink/);
      await page.locator('.opblock-summary-path', { hasText: '/v1/links/{link_id}/authorization-url' }).first().waitFor();
      await page.screenshot({ path: `${screenshots}/docs-${width}.png` });
      assert.deepEqual(refused, [], `nothing refused at ${width} px`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
