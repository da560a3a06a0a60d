// How the page feels: pointer move to painted reconstructions while
// drawing, the main thread's long tasks and a click's latency while seven
// decoders train, and navigation to the first reconstruction. On the
// backend the page chooses by itself and on each backend forced with
// ?backend=. Prints one table and, with --out, writes it (and a JSON twin).
// The start is timed over --starts loads of each page, each in a fresh
// browser context (an empty cache, as a first visit).
//
// Each long task's frame is kept with the scripts that ran in it (the Long
// Animation Frames API) in the JSON twin, to say where a long task came from.
//
//   node benchmarks/interaction.mjs [--seconds 60] [--strokes 40] [--starts 7]
//     [--pages ',?backend=cpu,?backend=webgpu'] [--out FILE.md]

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    strokes: { type: 'string', default: '40' },
    starts: { type: 'string', default: '7' },
    pages: { type: 'string', default: ',?backend=cpu,?backend=webgpu' },
    out: { type: 'string' },
  },
});
const TRAIN_SECONDS = Number(options.seconds);
/** The pause between strokes while training, as a person drawing and watching. */
const STROKE_PAUSE_MS = 1000;
const STROKES = Number(options.strokes);
const STARTS = Number(options.starts);

const quantile = (xs, q) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

/** One stroke across the pad, in `steps` pointer moves. */
async function stroke(page, box, index, steps = 12) {
  const y0 = 0.2 + (0.6 * ((index * 7) % 10)) / 10;
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  await page.mouse.move(...at(0.2, y0));
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) await page.mouse.move(...at(0.2 + (0.6 * i) / steps, y0 + 0.1 * Math.sin(i)));
  await page.mouse.up();
}

async function measure(browser, base, query) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  try {
    await page.addInitScript(() => {
      window.longTasks = [];
      window.longFrames = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
      }).observe({ type: 'longtask', buffered: true });
      new PerformanceObserver((list) => {
        for (const frame of list.getEntries()) {
          window.longFrames.push({
            startTime: frame.startTime,
            duration: frame.duration,
            blockingDuration: frame.blockingDuration,
            renderStart: frame.renderStart,
            styleAndLayoutStart: frame.styleAndLayoutStart,
            scripts: frame.scripts.map((script) => ({
              invoker: script.invoker,
              invokerType: script.invokerType,
              sourceURL: script.sourceURL,
              sourceFunctionName: script.sourceFunctionName,
              duration: script.duration,
              forcedStyleAndLayoutDuration: script.forcedStyleAndLayoutDuration,
            })),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    });
    await page.goto(`${base}${query}`);
    await page.waitForFunction(() => window.checkerlab?.ready === true, null, { timeout: 600_000 });
    const start = await page.evaluate(() => ({
      backend: window.checkerlab.backend,
      first: window.checkerlab.firstReconstructionMs,
    }));
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = await page.locator('#pad').boundingBox();

    // Drawing alone.
    await page.evaluate(() => {
      window.checkerlab.paintLatencies.length = 0;
    });
    for (let i = 0; i < STROKES; i++) await stroke(page, box, i);
    await page.waitForFunction(() => window.checkerlab.settled());
    const drawing = await page.evaluate(() => [...window.checkerlab.paintLatencies]);

    // Drawing while every decoder trains.
    const names = await page.evaluate(() => window.checkerlab.catalog.decoders.map((d) => d.name));
    for (const name of names) {
      if (await page.evaluate((n) => window.checkerlab.view().shown.includes(n), name)) continue;
      await page.click(`#show-${name}`);
      await page.waitForFunction((n) => window.checkerlab.view().shown.includes(n), name);
    }
    await page.fill('#batch-size', '32');
    await page.locator('#batch-size').dispatchEvent('change');
    await page.click('#train');
    await page.waitForFunction(() => (window.checkerlab.lastTrainReport?.step ?? 0) >= 1, null, { timeout: 600_000 });
    await page.evaluate(() => {
      window.longTasks.length = 0;
      window.longFrames.length = 0;
      window.checkerlab.paintLatencies.length = 0;
    });
    const began = Date.now();
    let strokes = 0;
    while (Date.now() - began < TRAIN_SECONDS * 1000) {
      await stroke(page, box, strokes++);
      if (strokes % 10 === 0) await page.click('#clear');
      // A person looks between strokes; training goes on meanwhile.
      await page.waitForTimeout(STROKE_PAUSE_MS);
    }
    const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
    await page.click('#train');
    const training = await page.evaluate(() => ({
      longTasks: [...window.longTasks],
      // Frames of 50 ms and more that hold a long task: the others are long only by waiting.
      longFrames: window.longFrames.filter((frame) => frame.blockingDuration > 0),
      paints: [...window.checkerlab.paintLatencies],
      click: window.checkerlab.clickLatencies.at(-1),
      step: window.checkerlab.lastTrainReport.step,
      models: window.checkerlab.view().shown.length,
    }));
    await page.waitForFunction((n) => window.checkerlab.trainingStopped > n, stopped, { timeout: 600_000 });
    return { query, backend: start.backend, firstMs: start.first, drawing, training, strokes };
  } finally {
    await page.close();
  }
}

/** Navigation to the first reconstruction, in ms, on a fresh page (a new context: nothing cached). */
async function timeStart(browser, base, query) {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}${query}`);
    await page.waitForFunction(() => window.checkerlab?.firstReconstructionMs > 0, null, { timeout: 600_000 });
    return await page.evaluate(() => window.checkerlab.firstReconstructionMs);
  } finally {
    await page.close();
  }
}

const server = await startServer({ port: 0 });
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium({ webgpu: true });
const runs = [];
try {
  for (const query of options.pages.split(',')) {
    const run = await measure(browser, base, query);
    run.startsMs = [run.firstMs];
    while (run.startsMs.length < STARTS) run.startsMs.push(await timeStart(browser, base, query));
    runs.push(run);
  }
} finally {
  await browser.close();
  server.close();
}

const ms = (x) => (x === undefined ? '-' : `${x.toFixed(1)} ms`);
const lines = [
  `# Interaction: ${new Date().toISOString().slice(0, 10)}`,
  '',
  `${os.cpus().length} × ${os.cpus()[0].model}, headless Chromium ${browser.version()}; ${TRAIN_SECONDS} s of training every decoder (batch 32) while a script draws, a stroke of 12 pointer moves then a ${STROKE_PAUSE_MS / 1000} s pause; ${STROKES} strokes without training first.`,
  '',
  `| page | backend | navigation to first reconstruction, median (range) of ${STARTS} loads | pointer move to paint, median / p95 (drawing) | same while training | long tasks over 50 ms while training (count, longest) | click to screen while training | training steps in the window |`,
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const run of runs) {
  const { training: t } = run;
  lines.push(
    `| ${run.query || '(chosen by the page)'} | ${run.backend.kind} | ${(quantile(run.startsMs, 0.5) / 1000).toFixed(2)} s (${(Math.min(...run.startsMs) / 1000).toFixed(2)}-${(Math.max(...run.startsMs) / 1000).toFixed(2)}) | ${ms(quantile(run.drawing, 0.5))} / ${ms(quantile(run.drawing, 0.95))} | ${ms(quantile(t.paints, 0.5))} / ${ms(quantile(t.paints, 0.95))} | ${t.longTasks.length}, ${t.longTasks.length ? ms(Math.max(...t.longTasks)) : '-'} | ${ms(t.click)} | ${t.step} (${t.models} models) |`,
  );
}
lines.push('', `Backend chosen by the page: ${runs[0].backend.description}, because ${runs[0].backend.reason}.`);
const table = lines.join('\n');
console.log(table);
if (options.out) {
  writeFileSync(options.out, `${table}\n`);
  writeFileSync(options.out.replace(/\.md$/, '.json'), `${JSON.stringify(runs, null, 1)}\n`);
}
