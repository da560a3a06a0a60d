// How many workers train (two on the CPU where the device reports two cores
// or more, one on WebGPU or on one core), what the second warms up on, and
// its share of the reconstructions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WARM_UP_ROUNDS, trainingPlan, warmUpPlan } from '../web/helper-client.js';
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

test("the lab's helper worker takes every warm-up the plan makes, and refuses a bad one", async () => {
  await labCatalog(); // initialises the CPU build
  const { HelperWorker } = await import('../web/pkg/checkerlab_cpu.js');
  const worker = new HelperWorker();
  const plan = warmUpPlan(await labCatalog(), 1);
  for (const decoder of new Set(plan.decoders)) worker.warmUp(decoder, plan.images);
  assert.throws(() => worker.warmUp('no-such-decoder', plan.images), /decoder/);
  assert.throws(() => worker.warmUp(plan.decoders[0], 0), /1 to/);
});

test("the lab's reconstructions shared with the helper worker are the lab's own, and a failing worker is reported", async () => {
  const catalog = await labCatalog(); // initialises the CPU build
  const { Checkerlab, HelperWorker } = await import('../web/pkg/checkerlab_cpu.js');
  const lab = await Checkerlab.create(null, 'the unit tests');
  const worker = new HelperWorker();
  const names = catalog.decoders.map((d) => d.name);
  await lab.showDecoders(names);
  const image = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255);
  // As the page's helper does, but in this thread: bytes in, bytes out.
  let asked = 0;
  const link = async (request) => {
    assert.ok(request instanceof Uint8Array);
    asked++;
    return worker.answer(request);
  };
  const alone = await lab.reconstruct(image.slice());
  const shared = await lab.reconstruct(image.slice(), link);
  assert.equal(asked, 1, 'one request carries the helper its whole share');
  assert.deepEqual(
    shared.map((r) => r.decoder),
    names,
  );
  assert.deepEqual(shared, alone);
  assert.equal(lab.takeHelperFailure(), undefined);

  // A stopped worker: the lab makes them all itself and says why, once.
  const failing = () => Promise.reject(new Error('it was stopped'));
  assert.deepEqual(await lab.reconstruct(image.slice(), failing), alone);
  assert.match(lab.takeHelperFailure(), /second worker failed \(it was stopped\)/);
  assert.equal(lab.takeHelperFailure(), undefined);
  // A worker answering garbage is a failure too, never a trap.
  assert.deepEqual(await lab.reconstruct(image.slice(), async () => new Uint8Array([0xc1])), alone);
  assert.match(lab.takeHelperFailure(), /unreadable reply/);
  // And the helper's side refuses garbage with an answer, not a throw.
  const refusal = worker.answer(new Uint8Array([1, 2, 3]));
  assert.ok(refusal instanceof Uint8Array && refusal.length > 0);
});
