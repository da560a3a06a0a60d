// The page's WebGPU build against its CPU build, in Node under Dawn
// (scripts/dawn-lab.mjs): the same numbers, and what each costs.
//
//   node benchmarks/dawn.mjs [--adapter swiftshader|null|default]
//        [--steps N] [--batch-size N] [--decoders a,b] [--timing-steps N]
//        [--updates N] [--test-digits N] [--skip agreement,timings]
//        [--out FILE] [--json FILE]
//
// Prints, for every decoder, WebGPU beside the CPU:
// - each training step's loss from the seed-0 model (Adam 0.001, the same
//   batches), and the first step at which the two differ by more than 1e-5
//   relative;
// - the test BCE of the shipped weights over the 10,000 test digits (or
//   the first --test-digits);
// - the largest relative gap of the gradient at any layer's output and
//   parameter, on the first 16 test digits, and the layer where it is;
// - milliseconds per training step at batch 128 (one step per call, and 20
//   per call), and per update (a reconstruction by two and by every
//   decoder), with the CPU build on this thread beside them.
// On the null adapter nothing is computed, so only the timings mean
// anything: the agreement part is skipped there.
//
// On a GPU machine without network, see benchmarks/README.md ("WebGPU on a
// real GPU, under Dawn") for what to carry and how to start it.

import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  countCalls,
  firstDifferingStep,
  relativeGap,
  shippedWeights,
  startLab,
  startWebGpu,
  trainFromSeed0,
} from '../scripts/dawn-lab.mjs';

const { values: options } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'swiftshader' },
    steps: { type: 'string', default: '30' },
    'batch-size': { type: 'string', default: '128' },
    decoders: { type: 'string' },
    'timing-steps': { type: 'string', default: '20' },
    updates: { type: 'string', default: '50' },
    'test-digits': { type: 'string', default: '10000' },
    skip: { type: 'string', default: '' },
    out: { type: 'string' },
    json: { type: 'string' },
  },
});

const count = (name) => {
  const value = Number(options[name]);
  if (!(Number.isInteger(value) && value >= 1))
    throw new Error(`--${name} takes a whole number from 1, not '${options[name]}'`);
  return value;
};
const steps = count('steps');
const batchSize = count('batch-size');
const timingSteps = count('timing-steps');
const updates = count('updates');
const testDigits = count('test-digits');
const skip = new Set(options.skip.split(',').filter(Boolean));
const computes = options.adapter !== 'null';

const adapter = await startWebGpu(options.adapter);
const labs = { webgpu: await startLab('webgpu'), cpu: await startLab('cpu') };
const catalog = labs.cpu.catalog();
const decoders = options.decoders ? options.decoders.split(',') : catalog.decoders.map((d) => d.name);
const firstShown = catalog.first_shown;
const results = { adapter, node: process.version, steps, batchSize, decoders: {} };
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown processor'}`;
const lines = [`# WebGPU (${adapter}) against the CPU build, in Node ${process.version}`, '', `${machine}.`, ''];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const exp = (value) => (value === 0 ? '0' : value.toExponential(1));

if (computes && !skip.has('agreement')) {
  say(
    `## Agreement: ${steps} steps from seed 0, Adam 0.001, batch ${batchSize}; shipped weights; gradients on 16 test digits`,
  );
  say();
  say(
    '| decoder | first step differing > 1e-5 | largest loss gap (relative) | loss at the last step, WebGPU / CPU | test BCE of the shipped weights, WebGPU / CPU | largest gradient gap (relative), at |',
  );
  say('| --- | --- | --- | --- | --- | --- |');
  for (const decoder of decoders) {
    const runs = {};
    for (const [name, lab] of Object.entries(labs)) {
      const { losses } = await trainFromSeed0(lab, decoder, { steps, batchSize, perCall: 10 });
      lab.reset(0);
      const gradients = await lab.layerGradients(decoder);
      lab.loadWeights(shippedWeights(decoder), 'shipped weights');
      const testBce = await lab.testBce(decoder, testDigits);
      runs[name] = { losses, gradients, testBce };
    }
    const { webgpu, cpu } = runs;
    const lossGaps = webgpu.losses.map((loss, i) => Math.abs(loss - cpu.losses[i]) / Math.abs(cpu.losses[i]));
    let worst = { gap: 0, at: '-' };
    for (const part of ['layers', 'parameters']) {
      webgpu.gradients[part].forEach(({ name, values }, i) => {
        const gap = relativeGap(values, cpu.gradients[part][i].values);
        if (gap > worst.gap) worst = { gap, at: name };
      });
    }
    const entry = {
      firstDifferingStep: firstDifferingStep(webgpu.losses, cpu.losses, 1e-5),
      largestLossGap: Math.max(...lossGaps),
      losses: { webgpu: webgpu.losses, cpu: cpu.losses },
      testBce: { webgpu: webgpu.testBce, cpu: cpu.testBce },
      largestGradientGap: worst,
    };
    results.decoders[decoder] = entry;
    say(
      `| ${decoder} | ${entry.firstDifferingStep ?? 'none'} | ${exp(entry.largestLossGap)} | ${webgpu.losses.at(-1).toFixed(6)} / ${cpu.losses.at(-1).toFixed(6)} | ${webgpu.testBce.toFixed(6)} / ${cpu.testBce.toFixed(6)} | ${exp(worst.gap)}, ${worst.at} |`,
    );
  }
  say();
}

if (!skip.has('timings')) {
  say(
    `## Timings (ms, median): training step at batch 128 from seed 0; update = one drawing reconstructed by the shown decoders (${updates} updates)`,
  );
  say();
  say(
    '| backend | decoder | step, 1 per call | step, 20 per call | second step (WebGPU records it) | update, 2 decoders | update, every decoder |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- |');
  const { image } = labs.cpu.testDigit(0);
  for (const [name, lab] of Object.entries(labs)) {
    const update = async (shown) => {
      lab.showDecoders(shown);
      const times = [];
      for (let i = 0; i < updates + 3; i++) {
        const began = performance.now();
        await lab.reconstruct(image);
        if (i >= 3) times.push(performance.now() - began);
      }
      return median(times);
    };
    const updateTwo = await update(firstShown);
    const updateEvery = await update(catalog.decoders.map((d) => d.name));
    results.timings ??= {};
    const timing = results.timings;
    timing[name] = { updateTwoMs: updateTwo, updateEveryMs: updateEvery, stepMs: {} };
    for (const decoder of decoders.filter((d) => firstShown.includes(d))) {
      // The first calls compile shaders (WebGPU) or warm V8's tiers (CPU).
      await trainFromSeed0(lab, decoder, { steps: 3, batchSize: 128 });
      const single = await trainFromSeed0(lab, decoder, { steps: timingSteps, batchSize: 128 });
      // Three calls or more, so that the median is not the first, which
      // holds the first step and the second, which records the rest
      // (crates/model/src/replay.rs).
      const chunked = await trainFromSeed0(lab, decoder, {
        steps: 20 * Math.max(3, Math.round(timingSteps / 20)),
        batchSize: 128,
        perCall: 20,
      });
      const step = median(single.callMs);
      const perStepChunked = median(chunked.callMs) / 20;
      const second = single.callMs[1];
      timing[name].stepMs[decoder] = { single: step, chunked: perStepChunked, second };
      say(
        `| ${name} | ${decoder} | ${step.toFixed(1)} | ${perStepChunked.toFixed(1)} | ${second.toFixed(1)} | ${updateTwo.toFixed(1)} | ${updateEvery.toFixed(1)} |`,
      );
    }
  }
  say();

  // What each job issues on WebGPU, counted over its own runs after the timings (shaders built).
  const lab = labs.webgpu;
  const perRun = async (runs, work) => {
    const { calls } = await countCalls(async () => {
      for (let run = 0; run < runs; run++) await work();
    });
    return Object.fromEntries(Object.entries(calls).map(([name, count]) => [name, count / runs]));
  };
  const issued = {};
  for (const shown of [firstShown, catalog.decoders.map((d) => d.name)]) {
    lab.showDecoders(shown);
    // The first drawing of a shown set runs as it is, the second records
    // the rest; the counts are of replays.
    for (let i = 0; i < 2; i++) await lab.reconstruct(image);
    issued[`update, ${shown.length} decoders`] = await perRun(10, () => lab.reconstruct(image));
  }
  for (const decoder of decoders.filter((d) => firstShown.includes(d))) {
    // The second step records the step; the counts are of replays.
    await trainFromSeed0(lab, decoder, { steps: 2, batchSize: 128 });
    issued[`step, ${decoder}, 1 per call`] = await perRun(10, () => lab.train(1));
    issued[`step, ${decoder}, 20 per call`] = await perRun(1, () => lab.train(20));
    for (const [name, count] of Object.entries(issued[`step, ${decoder}, 20 per call`])) {
      issued[`step, ${decoder}, 20 per call`][name] = count / 20;
    }
  }
  results.issued = issued;
  const methods = Object.keys(Object.values(issued)[0]);
  say('## What one job issues on WebGPU (calls counted in Dawn, per step or update)');
  say();
  say(`| job | ${methods.join(' | ')} |`);
  say(`| --- | ${methods.map(() => '---').join(' | ')} |`);
  for (const [job, calls] of Object.entries(issued)) {
    say(`| ${job} | ${methods.map((name) => Number(calls[name].toFixed(1))).join(' | ')} |`);
  }
  say();
}

if (options.out) writeFileSync(options.out, `${lines.join('\n')}\n`);
if (options.json) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
// Dawn's instance keeps the event loop alive.
process.exit(0);
