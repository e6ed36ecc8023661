// The Swagger UI at /docs in a real headless Chromium: "Try it out" on POST /v1/translate, Execute,
// and read the live response (not the documented example, which contains Hindi on its own).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DEVANAGARI = /[\u0900-\u097F]/;

/** Returns { status, body, json } of the response Swagger UI shows after Execute. */
export async function tryTranslate(base, translatePath) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30000,
    // As root in a container, without a GPU, and with no outside network to phone home to.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // playwright gives each launch a fresh temporary profile.
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    await page.goto(`${base}/docs`, { waitUntil: 'load' });
    const op = page
      .locator(`.opblock-post:has(.opblock-summary-path[data-path="${translatePath}"])`)
      .first();
    await op.locator('.opblock-summary').first().click();
    await op.getByRole('button', { name: 'Try it out' }).click();
    await op.getByRole('button', { name: 'Execute' }).click();
    const live = op.locator('.live-responses-table');
    const status = Number(
      (
        await live.locator('.response .response-col_status').first().innerText({ timeout: 30000 })
      ).trim(),
    );
    const body = await live
      .locator('.response-col_description .highlight-code pre')
      .first()
      .innerText();
    let json = null;
    try {
      json = JSON.parse(body);
    } catch {
      /* not JSON */
    }
    return { status, body, json };
  } finally {
    await browser.close();
  }
}

export function hasDevanagari(text) {
  return DEVANAGARI.test(text);
}
