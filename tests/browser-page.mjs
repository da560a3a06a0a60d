// Opening the page in headless Chromium the way every browser test does:
// console errors collected, and the page waited for until it says it is ready.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../scripts/serve.mjs';

export const SCREENSHOTS = path.join(repositoryRoot, 'tests', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

// SwiftShader runs WebGPU on the CPU: correct, slow; shader builds dominate.
export const STARTUP_MS = 6 * 60_000;

/** Opens `url` in a new page of `browser` and waits until the lab is ready. */
export async function openPage(browser, url, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, ...options });
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await page.goto(url);
  await page.waitForFunction(() => window.checkerlab?.ready === true, null, { timeout: STARTUP_MS });
  return { page, consoleErrors };
}

/** Saves `page` as tests/screenshots/NAME.png: the whole page, or with `{ fullPage: false }` what the window shows. */
export const shot = (page, name, { fullPage = true } = {}) =>
  page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });

/** Clicks the story's Next and waits until step `index` has set the page up and it has settled. */
export async function nextStoryStep(page, index) {
  await page.click('#story-next');
  await page.waitForFunction(
    (i) => {
      const { story, settled } = window.checkerlab;
      return story.step === i && !story.entering && settled();
    },
    index,
    { timeout: 10 * 60_000 },
  );
}
