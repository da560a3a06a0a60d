// Browser figures for Checkerlab alone: time to the first reconstruction,
// milliseconds per draw-to-both-reconstructions update, and milliseconds per
// training step of both models, on WebGPU (SwiftShader here) and on the CPU
// fallback, in headless Chromium. Prints one table.
//
//   node benchmarks/browser.mjs [--batch 128] [--steps 5] [--updates 20]

import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

const { values: options } = parseArgs({
  options: {
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '5' },
    updates: { type: 'string', default: '20' },
  },
});
const batch = Number(options.batch);
const steps = Number(options.steps);
const updates = Number(options.updates);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${sorted[0].toFixed(0)}..${sorted.at(-1).toFixed(0)}`;
};

async function measure(server, backend) {
  const flags = backend === 'webgpu' ? ['--enable-unsafe-webgpu'] : [];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...flags],
  });
  try {
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.checkerlab?.ready, null, { timeout: 600_000 });
    const navigationMs = Date.now() - started;
    const info = await page.evaluate(() => window.checkerlab.backend);

    const reconstructMs = [];
    for (let i = 0; i < updates; i++) {
      const before = await page.evaluate(() => window.checkerlab.reconstructions);
      await page.click(`.digit[data-index="${i % 24}"]`);
      await page.waitForFunction((n) => window.checkerlab.reconstructions > n, before);
      reconstructMs.push(await page.evaluate(() => window.checkerlab.lastReconstructionMs));
    }

    // Train through the page, one step a chunk, so each report is one step.
    await page.fill('#batch-size', String(batch));
    await page.locator('#batch-size').dispatchEvent('change');
    await page.click('#train');
    const stepMs = [];
    let seen = 0;
    while (stepMs.length < steps + 1) {
      await page.waitForFunction((n) => (window.checkerlab.lastTrainReport?.step ?? 0) > n, seen, { timeout: 600_000 });
      const report = await page.evaluate(() => window.checkerlab.lastTrainReport);
      const count = report.losses[0].losses.length;
      seen = report.step;
      stepMs.push(report.milliseconds / count);
    }
    await page.click('#train');
    return { backend, adapter: info.description, navigationMs, reconstructMs, stepMs: stepMs.slice(1), firstStepMs: stepMs[0] };
  } finally {
    await browser.close();
  }
}

const server = await startServer({ port: 0 });
try {
  const rows = [];
  for (const backend of ['webgpu', 'cpu']) rows.push(await measure(server, backend));
  console.log(`Checkerlab in headless Chromium, ${new Date().toISOString().slice(0, 10)}; training batch ${batch}, both models per step`);
  console.log('backend  first reconstruction  update ms (median, range)  first step ms  step ms (median, range)  runs on');
  for (const r of rows) {
    console.log(
      `${r.backend.padEnd(8)} ${(r.navigationMs / 1000).toFixed(1).padStart(8)} s            ` +
      `${median(r.reconstructMs).toFixed(0).padStart(6)} (${spread(r.reconstructMs)})`.padEnd(28) +
      `${r.firstStepMs.toFixed(0).padStart(12)}   ` +
      `${median(r.stepMs).toFixed(0).padStart(8)} (${spread(r.stepMs)})`.padEnd(26) + r.adapter,
    );
  }
} finally {
  server.close();
}
