// The page's WebGPU build against its CPU build, number for number, in
// Node under Dawn on SwiftShader (scripts/dawn-lab.mjs): the engine and
// software adapter of headless Chromium's WebGPU, without the browser.
//
// A real GPU may compute what SwiftShader does not (docs/gpu-correctness.md
// tells how these checks caught one that only an NVIDIA adapter showed,
// and how to run them there with benchmarks/dawn.mjs); these stand guard
// for every kernel a software adapter runs.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeGap, shippedWeights, startLab, startWebGpu, trainFromSeed0 } from '../scripts/dawn-lab.mjs';

/** Steps of every decoder compared; the first few must agree closely. */
const STEPS = 100;
const CLOSE_STEPS = 10;
/** Batch of the compared steps: a SwiftShader step costs about a second whatever the batch. */
const BATCH_SIZE = 8;
/**
 * Test digits the shipped weights are scored on: SwiftShader takes about
 * three minutes a decoder for all 10,000, which benchmarks/dawn.mjs does.
 */
const TEST_DIGITS = 1000;
/**
 * How far a layer's gradient may stray, as a share of its largest value.
 * Untrained, every decoder's agree to 3.6e-6. At the shipped weights the
 * loss is near a minimum, so a gradient is a sum of many terms that nearly
 * cancel, and float order weighs more: the encoder's bias gradients reach
 * 5.4e-5 (transposed) and 1.4e-4 (transposed-hold), the rest stay under
 * 2.6e-5 (SwiftShader, 2026-12-04). A misplaced row, the fault this guards
 * against, is off by the size of the gradient itself.
 */
const GRADIENT_GAP = { 'seed 0': 2e-5, 'shipped weights': 1e-3 };

describe('WebGPU (Dawn on SwiftShader) against the CPU', () => {
  const labs = {};
  let decoders;

  before(async () => {
    await startWebGpu('swiftshader');
    labs.webgpu = await startLab('webgpu');
    labs.cpu = await startLab('cpu');
    decoders = labs.cpu.catalog().decoders.map((d) => d.name);
  });

  test(`every decoder trains to the same losses for ${STEPS} steps`, { timeout: 40 * 60_000 }, async () => {
    for (const decoder of decoders) {
      const run = async (lab) =>
        (await trainFromSeed0(lab, decoder, { steps: STEPS, batchSize: BATCH_SIZE, perCall: 25 })).losses;
      const webgpu = await run(labs.webgpu);
      const cpu = await run(labs.cpu);
      assert.equal(webgpu.length, STEPS);
      assert.ok(cpu.at(-1) < cpu[0], `${decoder}: the CPU's loss did not fall (${cpu[0]} to ${cpu.at(-1)})`);
      webgpu.forEach((loss, i) => {
        const allowed = i < CLOSE_STEPS ? 1e-5 : 1e-3;
        const gap = Math.abs(loss - cpu[i]) / cpu[i];
        assert.ok(
          gap <= allowed,
          `${decoder}, step ${i + 1}: WebGPU ${loss}, CPU ${cpu[i]} (relative gap ${gap.toExponential(2)} > ${allowed})`,
        );
      });
    }
  });

  test('replayed steps and drawings show what training left, as the CPU computes it', {
    timeout: 20 * 60_000,
  }, async () => {
    // From the second step on, WebGPU replays a recording of the step, and
    // a drawing replays one of the shown decoders (crates/model/src/replay.rs):
    // each must read the weights and the batch of the moment, not those
    // it was recorded with.
    const { image } = labs.cpu.testDigit(0);
    const shown = labs.cpu.catalog().first_shown;
    const every = decoders;
    const run = async (lab) => {
      const seen = [];
      const draw = async (decoders) => {
        lab.showDecoders(decoders);
        seen.push((await lab.reconstruct(image)).map((r) => Array.from(r.image)));
      };
      lab.configureTraining({ optimizer: 'adadelta', learning_rate: 1, batch_size: BATCH_SIZE });
      lab.reset(0);
      await draw(shown);
      const losses = [];
      for (const steps of [3, 1, 4]) {
        lab.showDecoders(shown);
        losses.push(...(await lab.train(steps * shown.length)).losses.flatMap((entry) => entry.losses));
        await draw(shown);
      }
      await draw(every);
      // New settings make new optimizers, and a new batch size a new recording.
      lab.configureTraining({ optimizer: 'adam', learning_rate: 0.001, batch_size: BATCH_SIZE + 4 });
      lab.showDecoders(every);
      for (let call = 0; call < 3; call++) {
        losses.push(...(await lab.train(every.length)).losses.flatMap((entry) => entry.losses));
      }
      await draw(every);
      await draw(shown);
      return { seen, losses };
    };
    const webgpu = await run(labs.webgpu);
    const cpu = await run(labs.cpu);
    assert.equal(webgpu.losses.length, cpu.losses.length);
    // Adadelta at a learning rate of 1 moves far in a step, so float order
    // weighs more than in the Adam runs above; a stale batch or weights is
    // off by a hundredth or more.
    webgpu.losses.forEach((loss, i) => {
      const gap = Math.abs(loss - cpu.losses[i]) / cpu.losses[i];
      assert.ok(
        gap <= 1e-4,
        `loss ${i + 1}: WebGPU ${loss}, CPU ${cpu.losses[i]} (relative gap ${gap.toExponential(2)})`,
      );
    });
    assert.equal(webgpu.seen.length, cpu.seen.length);
    webgpu.seen.forEach((drawing, i) => {
      assert.equal(drawing.length, cpu.seen[i].length);
      drawing.forEach((values, d) => {
        const gap = relativeGap(values, cpu.seen[i][d]);
        assert.ok(gap <= 1e-4, `drawing ${i + 1}, decoder ${d + 1}: WebGPU and CPU differ by ${gap.toExponential(2)}`);
      });
    });
    // Training moved the drawings: a stale replay would repeat the first.
    assert.ok(relativeGap(cpu.seen[1][0], cpu.seen[0][0]) > 1e-4, 'training did not change the drawing');
  });

  test(`the shipped weights score the same test BCE on ${TEST_DIGITS} test digits`, {
    timeout: 10 * 60_000,
  }, async () => {
    for (const decoder of decoders) {
      const score = async (lab) => {
        lab.loadWeights(shippedWeights(decoder), 'shipped weights');
        return lab.testBce(decoder, TEST_DIGITS);
      };
      const webgpu = await score(labs.webgpu);
      const cpu = await score(labs.cpu);
      assert.ok(cpu > 0.05 && cpu < 0.2, `${decoder}: the CPU scores ${cpu}`);
      assert.ok(Math.abs(webgpu - cpu) <= 1e-5, `${decoder}: WebGPU ${webgpu}, CPU ${cpu}`);
    }
  });

  test("every layer's gradient agrees, untrained and shipped", { timeout: 10 * 60_000 }, async () => {
    for (const decoder of decoders) {
      for (const start of ['seed 0', 'shipped weights']) {
        const gradients = async (lab) => {
          if (start === 'seed 0') lab.reset(0);
          else lab.loadWeights(shippedWeights(decoder), 'shipped weights');
          return lab.layerGradients(decoder);
        };
        const webgpu = await gradients(labs.webgpu);
        const cpu = await gradients(labs.cpu);
        assert.ok(
          Math.abs(webgpu.loss - cpu.loss) <= 1e-6 * cpu.loss,
          `${decoder} (${start}): loss ${webgpu.loss} vs ${cpu.loss}`,
        );
        for (const part of ['layers', 'parameters']) {
          assert.deepEqual(
            webgpu[part].map((g) => g.name),
            cpu[part].map((g) => g.name),
          );
          cpu[part].forEach(({ name, values }, i) => {
            assert.ok(
              values.some((v) => v !== 0),
              `${decoder} (${start}): no gradient at ${name}`,
            );
            const gap = relativeGap(webgpu[part][i].values, values);
            assert.ok(
              gap <= GRADIENT_GAP[start],
              `${decoder} (${start}), ${name}: gradients differ by ${gap.toExponential(2)} of their largest`,
            );
          });
        }
      }
    }
  });
});
