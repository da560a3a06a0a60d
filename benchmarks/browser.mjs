// Checkerlab against TensorFlow.js, in one run of headless Chromium: ms per
// training step at batch 128 for each decoder, ms per draw-to-both update
// (and Checkerlab's with every decoder shown), time to the first
// reconstruction, and bytes shipped. Prints one table and,
// with --out, writes it to a file.
//
//   scripts/bench.sh [--batch 128] [--warmup 2] [--steps 5] [--updates 200] [--chunk 5]
//     [--systems checkerlab,tfjs] [--backends webgpu,cpu] [--training-workers 1]
//     [--warm-up-rounds N] [--pause-ms 3000] [--out FILE]
//
// Checkerlab trains on the CPU as the page does: each step split between
// two workers where there are two cores; `--training-workers 1` in one.
// Between the updates and the training steps each system has a pause, as a
// user makes before pressing Train (Checkerlab's second worker warms up
// then, once the lab is idle); `--warm-up-rounds 0` leaves it cold.

import { parseArgs } from 'node:util';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { repositoryRoot, startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';

const { values: options } = parseArgs({
  options: {
    batch: { type: 'string', default: '128' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    // Enough that the first calls (V8 compiling each decoder's code) do not
    // set the median: a person drawing makes hundreds of updates.
    updates: { type: 'string', default: '200' },
    chunk: { type: 'string', default: '5' },
    'training-workers': { type: 'string' },
    'warm-up-rounds': { type: 'string' },
    'pause-ms': { type: 'string', default: '3000' },
    systems: { type: 'string', default: 'checkerlab,tfjs' },
    backends: { type: 'string', default: 'webgpu,cpu' },
    out: { type: 'string' },
    // The medians as JSON, for scripts that compare runs (cpu-builds.sh).
    json: { type: 'string' },
  },
});
const settings = {
  batch: Number(options.batch),
  warmup: Number(options.warmup),
  steps: Number(options.steps),
  updates: Number(options.updates),
  chunk: Number(options.chunk),
  trainingWorkers: options['training-workers'] === '1' ? 1 : null,
  warmUpRounds: options['warm-up-rounds'] === undefined ? null : Number(options['warm-up-rounds']),
  pauseMs: Number(options['pause-ms']),
  decoders: ['upsample', 'transposed'],
};

/** The harness and TensorFlow.js's bundles, served only while benchmarking. */
const BENCHMARK_FILES = [
  /^benchmarks\/harness\.(html|js)$/,
  /^benchmarks\/tfjs-model\.js$/,
  /^benchmarks\/node_modules\/@tensorflow\/[\w-]+\/dist\/[\w.-]+\.(js|wasm)$/,
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
const bytes = (n) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

async function withPage(browser, url, work) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  try {
    await page.goto(url);
    return await work(page);
  } catch (err) {
    throw new Error(`${url}: ${err.message}${errors.length ? `\npage errors: ${errors.join('; ')}` : ''}`);
  } finally {
    await page.close();
  }
}

/** Navigation to the first reconstruction, on the real page. */
async function firstReconstruction(browser, base, backend) {
  const url = `${base}?backend=${backend}`;
  return withPage(browser, url, async (page) => {
    const started = Date.now();
    await page.waitForFunction(() => window.checkerlab?.ready, null, { timeout: 600_000 });
    const wall = Date.now() - started;
    const measured = await page.evaluate(() => window.checkerlab.firstReconstructionMs);
    return { backend, ms: measured ?? wall };
  });
}

async function harness(browser, base, system, backend) {
  return withPage(browser, `${base}benchmarks/harness.html`, async (page) => {
    await page.waitForFunction(() => window.harnessReady, null, { timeout: 120_000 });
    return page.evaluate(([name, run]) => window.harness[name](run), [system, { ...settings, backend }]);
  }).catch((err) => ({
    system: system === 'tfjs' ? 'TensorFlow.js' : 'Checkerlab',
    backend,
    failure: err.message.split('\n')[0],
  }));
}

function shippedBytes(files) {
  let raw = 0,
    gz = 0;
  for (const file of files) {
    const content = readFileSync(path.join(repositoryRoot, file));
    raw += content.length;
    gz += gzipSync(content, { level: 9 }).length;
  }
  return { raw, gz };
}

const server = await startServer({ port: 0, also: BENCHMARK_FILES });
const base = `http://127.0.0.1:${server.address().port}/`;
// WebGL on SwiftShader's GL, for TensorFlow.js, Chromium now allows only when asked.
const browser = await launchChromium({ webgpu: true, extra: ['--enable-unsafe-swiftshader'] });
const runs = [];
const starts = [];
try {
  const systems = options.systems.split(',');
  if (systems.includes('checkerlab')) {
    for (const backend of options.backends.split(',')) {
      starts.push(await firstReconstruction(browser, base, backend));
      runs.push(await harness(browser, base, 'checkerlab', backend));
    }
  }
  if (systems.includes('tfjs')) {
    for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu']) runs.push(await harness(browser, base, 'tfjs', backend));
  }
} finally {
  const version = browser.version();
  await browser.close();
  server.close();
  settings.chromium = version;
}

const checkerlabRuns = runs.filter((r) => r.system === 'Checkerlab');
const reference = (run) =>
  checkerlabRuns.find((r) => r.backend === (['webgpu', 'webgl'].includes(run.backend) ? 'webgpu' : 'cpu'));
const label = (run) => `${run.system} ${run.backend}${run.trainingWorkers === 2 ? ' (2 workers)' : ''}`;
const lines = [];
const say = (line = '') => lines.push(line);

const adapter = checkerlabRuns.find((r) => r.backend === 'webgpu')?.adapter ?? 'none';
const tfVersion = runs.find((r) => r.version)?.version ?? '?';
say(`# Checkerlab vs TensorFlow.js ${tfVersion}, ${new Date().toISOString().slice(0, 10)}`);
say();
say(
  `Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Chromium ${settings.chromium} headless; WebGPU adapter: ${adapter}.`,
);
say(
  `Training: batch ${settings.batch}, Adam 0.001, one model per step; median of ${settings.steps} steps after ${settings.warmup} warm-up (range), after a ${settings.pauseMs / 1000} s pause.`,
);
say(
  'Ratio: Checkerlab on the matching device (WebGPU for webgpu/webgl, CPU for wasm/cpu) / this row; below 1, Checkerlab is faster.',
);
say();
say(
  `| decoder | system | params | first step ms | ms per step | ratio | loss after | ms per step, ${settings.chunk} steps per read |`,
);
say('|---|---|---|---|---|---|---|---|');
for (const decoder of settings.decoders) {
  for (const run of runs) {
    if (run.failure) continue;
    const t = run.training[decoder];
    if (t.failure) {
      say(`| ${decoder} | ${label(run)} | | cannot train: ${t.failure} | | | | |`);
      continue;
    }
    const timed = t.stepMs.slice(t.warmup);
    const ratio =
      run.system === 'Checkerlab' || !reference(run)
        ? ''
        : (median(reference(run).training[decoder].stepMs.slice(settings.warmup)) / median(timed)).toFixed(2);
    const chunked = t.chunkedMs === undefined ? '' : t.chunkedMs.toFixed(0);
    say(
      `| ${decoder} | ${label(run)} | ${t.parameters} | ${t.stepMs[0].toFixed(0)} | ${median(timed).toFixed(0)} (${range(timed)}) | ${ratio} | ${t.loss.toFixed(4)} | ${chunked} |`,
    );
  }
}
say();
say(`| draw-to-both-reconstructions update | ms (median of ${settings.updates}, range) | ratio |`);
say('|---|---|---|');
for (const run of runs.filter((r) => !r.failure)) {
  const ratio =
    run.system === 'Checkerlab' || !reference(run)
      ? ''
      : (median(reference(run).updateMs) / median(run.updateMs)).toFixed(2);
  say(`| ${label(run)} | ${median(run.updateMs).toFixed(1)} (${range(run.updateMs)}) | ${ratio} |`);
}
for (const run of runs.filter((r) => r.failure)) say(`| ${label(run)} | did not initialise: ${run.failure} | |`);
say();
for (const run of runs.filter((r) => r.updateEveryMs)) {
  say(
    `${label(run)}, the update with all ${run.decoderCount} decoders shown: ${median(run.updateEveryMs).toFixed(1)} ms (median of ${settings.updates}, ${range(run.updateEveryMs)})`,
  );
}
for (const { backend, ms } of starts)
  say(`Checkerlab, navigation to first reconstruction on ${backend}: ${(ms / 1000).toFixed(1)} s`);
const web = readdirSync(path.join(repositoryRoot, 'web'))
  .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
  .map((f) => `web/${f}`);
// The page fetches the CPU build always and the WebGPU one only where it
// chooses WebGPU (web/lab-build.js).
const cpuWasm = shippedBytes(['web/pkg/checkerlab_cpu_bg.wasm']);
const webgpuWasm = shippedBytes(['web/pkg/checkerlab_web_bg.wasm']);
const checkerlabJs = shippedBytes(['index.html', 'web/pkg/checkerlab_cpu.js', 'web/pkg/checkerlab_web.js', ...web]);
say(
  `Shipped, Checkerlab: wasm ${bytes(cpuWasm.raw)} (${bytes(cpuWasm.gz)} gzip) for the CPU build, which every page fetches, and ${bytes(webgpuWasm.raw)} (${bytes(webgpuWasm.gz)} gzip) for the CPU + WebGPU build, fetched only where the page chooses WebGPU; JS + HTML + CSS ${bytes(checkerlabJs.raw)} (${bytes(checkerlabJs.gz)} gzip); weights and MNIST not counted.`,
);
if (runs.some((run) => run.system === 'TensorFlow.js')) {
  const tfDist = (pkg, file) => `benchmarks/node_modules/@tensorflow/${pkg}/dist/${file}`;
  const tfJs = shippedBytes([
    tfDist('tfjs', 'tf.min.js'),
    tfDist('tfjs-backend-webgpu', 'tf-backend-webgpu.min.js'),
    tfDist('tfjs-backend-wasm', 'tf-backend-wasm.min.js'),
  ]);
  const tfWasm = shippedBytes([tfDist('tfjs-backend-wasm', 'tfjs-backend-wasm-simd.wasm')]);
  say(
    `Shipped, TensorFlow.js: JS ${bytes(tfJs.raw)} (${bytes(tfJs.gz)} gzip) for tfjs + webgpu + wasm backends, wasm (SIMD) ${bytes(tfWasm.raw)} (${bytes(tfWasm.gz)} gzip).`,
  );
}

const table = lines.join('\n');
console.log(table);
if (options.json) {
  const medians = runs
    .filter((run) => !run.failure)
    .map((run) => ({
      system: run.system,
      backend: run.backend,
      trainingWorkers: run.trainingWorkers ?? 1,
      warmUpRounds: run.warmUpRounds ?? 0,
      stepMs: Object.fromEntries(
        settings.decoders
          .filter((decoder) => !run.training[decoder].failure)
          .map((decoder) => [decoder, median(run.training[decoder].stepMs.slice(settings.warmup))]),
      ),
      stepRangeMs: Object.fromEntries(
        settings.decoders
          .filter((decoder) => !run.training[decoder].failure)
          .map((decoder) => {
            const timed = run.training[decoder].stepMs.slice(settings.warmup);
            return [decoder, [Math.min(...timed), Math.max(...timed)]];
          }),
      ),
      // Every step in order, warm-up steps included: how fast the first are.
      stepSeriesMs: Object.fromEntries(
        settings.decoders
          .filter((decoder) => !run.training[decoder].failure)
          .map((decoder) => [decoder, run.training[decoder].stepMs]),
      ),
      updateMs: median(run.updateMs),
      updateEveryMs: run.updateEveryMs ? median(run.updateEveryMs) : null,
    }));
  writeFileSync(options.json, `${JSON.stringify({ runs: medians }, null, 1)}\n`);
}
if (options.out) {
  writeFileSync(options.out, `${table}\n`);
  console.log(`\nwritten to ${options.out}`);
}
