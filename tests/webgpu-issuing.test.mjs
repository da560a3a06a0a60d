// What the page's WebGPU build issues for each job, counted in Dawn on its
// null adapter (scripts/dawn-lab.mjs): the adapter validates and issues
// everything and computes nothing, so the counts are exact and the same on
// every machine. On WebGPU a job's time follows its dispatches, not its
// arithmetic (benchmarks/dawn.mjs measures both), so these bounds keep the
// cuts that brought them down: one optimizer step over the whole model
// (crates/model/src/flat_optimizer.rs), kernels laid channels last, a
// drawing's image and BCE computed on the host from its logits
// (crates/model/src/reconstruction.rs), one-kernel forms where no gradient
// flows (activation.rs, resample.rs), tensors laid as the GPU's
// convolutions read them (layout.rs) and a gradient from the loss's closed
// form (loss.rs). From the second step and the second drawing on, the work
// is recorded once and replayed (replay.rs): a replayed kernel costs a
// dispatch with a bind group made once, so the bind groups made are what a
// replayed job still issues anew. Each bound is the count when the cut
// landed, with a little room; the counts before are in the messages.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countCalls, startLab, startWebGpu, trainFromSeed0 } from '../scripts/dawn-lab.mjs';

const DRAWING = new Float32Array(784).map((_, i) => ((i * 37) % 100) / 100);

/** Asserts that `calls` made at most `bound` calls of `method`; `counts` says what they were. */
function atMost(calls, method, bound, counts) {
  assert.ok(calls[method] <= bound, `${calls[method]} calls of ${method} (${counts})`);
}

/** The WebGPU calls of the `runs`-th run of `work`, after `runs - 1` to warm up. */
async function lastOf(runs, work) {
  for (let i = 1; i < runs; i++) await work();
  return (await countCalls(work)).calls;
}

describe("what the page's WebGPU build issues (Dawn, null adapter)", () => {
  let lab;
  let decoders;

  before(async () => {
    await startWebGpu('null');
    lab = await startLab('webgpu');
    decoders = lab.catalog().decoders.map((d) => d.name);
  });

  test('an update of the two first-shown decoders: one bind group, one read each', async () => {
    lab.showDecoders(lab.catalog().first_shown);
    const calls = await lastOf(3, () => lab.reconstruct(DRAWING));
    atMost(calls, 'dispatchWorkgroups', 70, '109 before the cuts, 66 replayed');
    atMost(calls, 'createBindGroup', 2, '35 before the drawing was replayed, 1 after');
    assert.equal(calls.mapAsync, 2, 'one read per decoder (two before)');
  });

  test('an update of every decoder: one bind group', async () => {
    lab.showDecoders(decoders);
    const calls = await lastOf(3, () => lab.reconstruct(DRAWING));
    atMost(calls, 'createBindGroup', 2, '141 before the drawing was replayed, 1 after');
    assert.equal(calls.mapAsync, decoders.length);
  });

  test('a training step of the upsample decoder: under 20 bind groups', async () => {
    await trainFromSeed0(lab, 'upsample', { steps: 3, batchSize: 32 });
    const calls = await lastOf(2, () => lab.train(1));
    atMost(calls, 'dispatchWorkgroups', 180, '328 before the cuts, 172 replayed');
    atMost(calls, 'createBindGroup', 20, '152 before the step was replayed, 15 after');
  });
});
