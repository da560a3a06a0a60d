// Soak: many in-browser training steps, with the JS heap, the wasm memory and
// the GPU allocator sampled along the way. Prints the samples and whether
// each figure stayed flat after warm-up; exits non-zero if one grew.
//
//   node benchmarks/soak.mjs [--backend webgpu|cpu] [--steps 10000] [--batch 4]
//     [--decoders upsample,transposed] [--chunk 50] [--every 500] [--out FILE]

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';

const { values: options } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' },
    steps: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '4' },
    decoders: { type: 'string', default: 'upsample,transposed' },
    chunk: { type: 'string', default: '50' },
    every: { type: 'string', default: '500' },
    out: { type: 'string' },
  },
});
const run = {
  backend: options.backend,
  steps: Number(options.steps),
  batch: Number(options.batch),
  decoders: options.decoders.split(','),
  chunk: Number(options.chunk),
  every: Number(options.every),
};
/** Samples before this share of the run are warm-up: pools grow to their working size. */
const WARM_UP_SHARE = 0.1;
/**
 * Rise tolerated between the peaks of the first and last thirds after
 * warm-up. Peaks, not single samples: the JS heap saws with garbage
 * collection and the GPU pools grow and shrink by pages, while a leak
 * lifts every later peak.
 */
const TOLERANCE = 0.05;

const server = await startServer({
  port: 0,
  also: [/^benchmarks\/harness\.(html|js)$/, /^benchmarks\/tfjs-model\.js$/],
});
const browser = await launchChromium({
  webgpu: true,
  extra: ['--enable-precise-memory-info', '--js-flags=--expose-gc'],
});
let result;
const started = Date.now();
try {
  const page = await browser.newPage();
  // The harness also loads TensorFlow.js's bundles; the soak does not need them.
  await page.route('**/node_modules/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }),
  );
  await page.goto(`http://127.0.0.1:${server.address().port}/benchmarks/harness.html`);
  await page.waitForFunction(() => window.harnessReady);
  const progress = setInterval(async () => {
    const done = await page.evaluate(() => window.soakProgress ?? 0).catch(() => 0);
    process.stderr.write(`\r${done} / ${run.steps} steps, ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  }, 10_000);
  try {
    result = await page.evaluate((options) => window.harness.soak(options), run);
  } finally {
    clearInterval(progress);
    process.stderr.write('\n');
  }
} finally {
  await browser.close();
  server.close();
}

const mib = (n) => (n === null ? '-' : (n / 2 ** 20).toFixed(2));
const lines = [];
const say = (line = '') => lines.push(line);
say(
  `# Soak: ${run.steps} training steps on ${result.backend} (${result.adapter}), ${new Date().toISOString().slice(0, 10)}`,
);
say();
say(
  `Decoders ${run.decoders.join(' + ')}, batch ${run.batch}, Adam 0.001, ${run.chunk} steps per call; ${os.cpus()[0].model}, ${os.cpus().length} cores; ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
);
say();
say('| step | loss | ms/step | JS heap MiB | wasm memory MiB | GPU in use MiB | GPU reserved MiB | GPU allocations |');
say('|---|---|---|---|---|---|---|---|');
for (const s of result.samples) {
  say(
    `| ${s.step} | ${s.loss === null ? '-' : s.loss.toFixed(4)} | ${s.msPerStep === null ? '-' : s.msPerStep.toFixed(1)} | ${mib(s.jsHeap)} | ${mib(s.wasmMemory)} | ${mib(s.gpuInUse)} | ${mib(s.gpuReserved)} | ${s.gpuAllocations ?? '-'} |`,
  );
}
say();
const warm = result.samples.filter((s) => s.step >= run.steps * WARM_UP_SHARE);
let leaks = 0;
for (const [key, name] of [
  ['jsHeap', 'JS heap'],
  ['wasmMemory', 'wasm memory'],
  ['gpuInUse', 'GPU in use'],
  ['gpuReserved', 'GPU reserved'],
]) {
  const values = warm.map((s) => s[key]).filter((v) => v !== null);
  if (values.length < 2) continue;
  const third = Math.max(1, Math.floor(values.length / 3));
  const early = Math.max(...values.slice(0, third));
  const late = Math.max(...values.slice(-third));
  const growth = (late - early) / Math.max(early, 1);
  const flat = growth <= TOLERANCE;
  if (!flat) leaks += 1;
  say(
    `${name}: peak ${mib(early)} MiB in the first third after warm-up, ${mib(late)} MiB in the last (${(growth * 100).toFixed(1)}%): ${flat ? 'flat' : 'GROWS'}`,
  );
}
const table = lines.join('\n');
console.log(table);
if (options.out) writeFileSync(options.out, `${table}\n`);
process.exit(leaks === 0 ? 0 : 1);
