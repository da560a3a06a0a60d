// The static site (scripts/build-site.sh) served by a plain static file
// server, Python's http.server, not the project's own: the page starts,
// reconstructs, trains on the MNIST files in the folder, and asks for
// nothing the folder lacks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../scripts/chromium.mjs';
import { repositoryRoot } from '../scripts/serve.mjs';

const SITE = path.join(repositoryRoot, 'site');

let server;
let baseUrl;
let browser;

before(async () => {
  assert.ok(existsSync(path.join(SITE, 'index.html')), `no static site in ${SITE}: run scripts/build-site.sh first`);
  server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', SITE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let seen = '';
    server.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /port (\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    server.on('exit', (code) => reject(new Error(`http.server exited with ${code}`)));
  });
  baseUrl = `http://127.0.0.1:${port}/`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test('the static site starts, reconstructs and trains from its own files', { timeout: 10 * 60_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const failed = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(baseUrl);
  await page.waitForFunction(() => window.checkerlab?.ready === true, null, { timeout: 6 * 60_000 });

  const { input, outputs } = await page.evaluate(() => window.checkerlab.view());
  for (const decoder of ['upsample', 'transposed']) {
    const error = outputs[decoder].reduce((sum, v, i) => sum + Math.abs(v - input[i]), 0) / input.length;
    assert.ok(error < 0.15, `${decoder} reconstructs the first test digit with mean error ${error}`);
  }

  await page.click('#train');
  await page.waitForFunction(() => (window.checkerlab.lastTrainReport?.step ?? 0) >= 1, null, {
    timeout: 8 * 60_000,
  });
  const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
  await page.click('#train');
  await page.waitForFunction((n) => window.checkerlab.trainingStopped > n, stopped, { timeout: 8 * 60_000 });
  assert.match(await page.locator('#train-status').innerText(), /step \d+/);

  assert.deepEqual(failed, [], 'every file the page asked for is in the folder');
  assert.deepEqual(errors, []);
  await page.close();
});
