// How many workers train (two on the CPU where the device reports two cores
// or more, one on WebGPU or on one core), and what the second warms up on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARM_UP_ROUNDS, trainingPlan, warmUpPlan } from '../web/training-helper.js';
import { labCatalog } from './lab-catalog.mjs';

test('the CPU trains in two workers where there are two cores, and says why', () => {
  for (const cores of [2, 16]) {
    const plan = trainingPlan('cpu', cores);
    assert.equal(plan.workers, 2);
    assert.match(plan.why, new RegExp(`${cores} cores`));
  }
});

test('WebGPU, one core or an unknown count train in one worker', () => {
  assert.equal(trainingPlan('webgpu', 16).workers, 1);
  for (const cores of [1, 0, undefined, Number.NaN]) assert.equal(trainingPlan('cpu', cores).workers, 1, `${cores}`);
});

test('the warm-up trains the first-shown decoders each round, then every other decoder once', async () => {
  const catalog = await labCatalog();
  const names = catalog.decoders.map((d) => d.name);
  const plan = warmUpPlan(catalog, WARM_UP_ROUNDS);
  const others = names.filter((name) => !catalog.first_shown.includes(name));
  assert.deepEqual(plan.decoders, [...Array(WARM_UP_ROUNDS).fill(catalog.first_shown).flat(), ...others]);
  assert.deepEqual(new Set(plan.decoders), new Set(names));
  assert.deepEqual(warmUpPlan(catalog, 0).decoders, []);
});

test("the lab's gradient worker takes every warm-up the plan makes, and refuses a bad one", async () => {
  await labCatalog(); // initialises the CPU build
  const { GradientWorker } = await import('../web/pkg/checkerlab_cpu.js');
  const worker = new GradientWorker();
  const plan = warmUpPlan(await labCatalog(), 1);
  for (const decoder of new Set(plan.decoders)) worker.warmUp(decoder, plan.images);
  assert.throws(() => worker.warmUp('no-such-decoder', plan.images), /decoder/);
  assert.throws(() => worker.warmUp(plan.decoders[0], 0), /1 to/);
});
