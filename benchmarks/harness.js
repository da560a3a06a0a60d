// The browser half of the benchmark: times Checkerlab (Burn on WebGPU or on
// the CPU fallback) and TensorFlow.js on the same model, loss, optimizer and
// MNIST digits. benchmarks/browser.mjs drives it; one page measures one
// system on one backend, so neither warms the other's caches.

/* global tf */

import { LabClient } from '../web/lab-client.js';
import { prepareBuild } from '../web/lab-build.js';
import { buildModel } from './tfjs-model.js';

const PIXELS = 28 * 28;
const IDX_IMAGE_HEADER = 16;

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The first `count` training digits as intensities in [0, 1]. */
async function trainingDigits(count) {
  const idx = await gunzip(await fetchBytes('../data/mnist/train-images-idx3-ubyte.gz'));
  const images = new Float32Array(count * PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = idx[IDX_IMAGE_HEADER + i] / 255;
  return images;
}

const elapsed = async (work) => {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
};

/**
 * A pause between the updates and the training steps, as a user makes
 * between drawing and pressing Train: what either system does in the
 * background then (Checkerlab's second worker warms up) counts as it would.
 */
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Checkerlab's worker on `backend` with both MNIST splits loaded, set to train with Adam 0.001. */
async function startCheckerlab(backend, batch, trainingWorkers = null, warmUpRounds = null) {
  const client = await LabClient.start({ build: prepareBuild(backend), trainingWorkers, warmUpRounds });
  const files = await Promise.all(
    [
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
    ].map((name) => fetchBytes(`../data/mnist/${name}`)),
  );
  await client.call('loadMnist', ['train', files[0], files[1]]);
  await client.call('loadMnist', ['test', files[2], files[3]]);
  await client.call('configureTraining', [{ optimizer: 'adam', learning_rate: 0.001, batch_size: batch }]);
  return client;
}

/**
 * Checkerlab: `train(1)` per step, one decoder shown at a time; each
 * step includes its batch upload, the read of its loss and the round trip
 * to the lab's worker.
 */
async function checkerlab({
  backend,
  decoders,
  batch,
  warmup,
  steps,
  updates,
  chunk,
  trainingWorkers,
  warmUpRounds,
  pauseMs,
}) {
  const client = await startCheckerlab(backend, batch, trainingWorkers, warmUpRounds);
  const result = {
    system: 'Checkerlab',
    backend: client.backend.kind,
    adapter: client.backend.description,
    trainingWorkers: client.training.workers,
    warmUpRounds: client.training.warmUpRounds,
    training: {},
  };

  await client.call('showDecoders', [decoders]);
  const updateMs = [];
  for (let i = 0; i < updates; i++) {
    const { image: digit } = await client.call('testDigit', [i]);
    updateMs.push((await elapsed(() => client.call('reconstruct', [digit], [digit.buffer])))[0]);
  }
  result.updateMs = updateMs;
  // The same with every decoder shown, as the page shows them side by side
  // (on the CPU, the second worker makes some of them).
  await client.call('showDecoders', [client.catalog.decoders.map((d) => d.name)]);
  const updateEveryMs = [];
  for (let i = 0; i < updates; i++) {
    const { image: digit } = await client.call('testDigit', [i]);
    updateEveryMs.push((await elapsed(() => client.call('reconstruct', [digit], [digit.buffer])))[0]);
  }
  result.updateEveryMs = updateEveryMs;
  result.decoderCount = client.catalog.decoders.length;
  await pause(pauseMs);

  for (const decoder of decoders) {
    await client.call('showDecoders', [[decoder]]);
    const stepMs = [];
    let loss;
    for (let i = 0; i < warmup + steps; i++) {
      const [ms, report] = await elapsed(() => client.call('train', [1]));
      // A second worker that failed part-way would mix two kinds of step.
      if (report.workers !== result.trainingWorkers) throw new Error(`training fell back to one worker: ${report.why}`);
      stepMs.push(ms);
      loss = report.losses[0].losses[0];
    }
    // The page reads the losses once per chunk of steps: how much of a step
    // is the per-step read (and the wait it forces)?
    const [chunkMs] = await elapsed(() => client.call('train', [chunk]));
    const parameters = (await client.call('decoders')).find((d) => d.name === decoder).parameters;
    result.training[decoder] = { stepMs, warmup, loss, parameters, chunkedMs: chunkMs / chunk };
  }
  return result;
}

async function useTfBackend(name) {
  if (name === 'wasm') {
    tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
  }
  let ok;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (err) {
    return `${err.message ?? err}`;
  }
  if (!ok || tf.getBackend() !== name) return 'it did not initialise';
  return null;
}

/**
 * TensorFlow.js: `optimizer.minimize` per step, on a batch made from the
 * same kind of Float32Array, then an awaited read of the loss.
 */
async function tfjs({ backend, decoders, batch, warmup, steps, updates, pauseMs }) {
  const failure = await useTfBackend(backend);
  const result = { system: 'TensorFlow.js', version: tf.version.tfjs, backend, training: {} };
  if (failure) return { ...result, failure };
  const digits = await trainingDigits(batch * (warmup + steps));

  const models = Object.fromEntries(decoders.map((d) => [d, buildModel(d)]));
  const updateMs = [];
  for (let i = 0; i < updates; i++) {
    const image = digits.subarray(i * PIXELS, (i + 1) * PIXELS);
    updateMs.push(
      (
        await elapsed(async () => {
          const input = tf.tensor4d(image, [1, 28, 28, 1]);
          const outputs = decoders.map((d) => tf.sigmoid(models[d].predict(input)));
          await Promise.all(outputs.map((o) => o.data()));
          tf.dispose([input, ...outputs]);
        })
      )[0],
    );
  }
  result.updateMs = updateMs;
  await pause(pauseMs);

  for (const decoder of decoders) {
    const model = models[decoder];
    const optimizer = tf.train.adam(0.001);
    const stepMs = [];
    let loss;
    try {
      for (let i = 0; i < warmup + steps; i++) {
        const [ms] = await elapsed(async () => {
          const xs = tf.tensor4d(digits.subarray(i * batch * PIXELS, (i + 1) * batch * PIXELS), [batch, 28, 28, 1]);
          const cost = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(xs, model.apply(xs)), true);
          loss = (await cost.data())[0];
          tf.dispose([xs, cost]);
        });
        stepMs.push(ms);
      }
      result.training[decoder] = { stepMs, warmup, loss, parameters: model.countParams() };
    } catch (err) {
      // The wasm backend, for one, has no gradient kernels for convolutions.
      result.training[decoder] = { failure: `${err.message ?? err}`.split('\n')[0] };
    }
    optimizer.dispose();
  }
  tf.dispose(Object.values(models));
  return result;
}

/**
 * Soak: `steps` Checkerlab training steps in chunks of `chunk`, sampling
 * the JS heap, the wasm memory and the GPU allocator every `every` steps.
 */
async function soak({ backend, decoders, batch, steps, chunk, every }) {
  const client = await startCheckerlab(backend, batch);
  await client.call('showDecoders', [decoders]);
  const samples = [];
  const sample = async (step, loss, ms) => {
    // A full collection first (the soak starts Chromium with --expose-gc), so
    // the heap figure is what is still held, not garbage not yet collected.
    globalThis.gc?.();
    const gpu = await client.call('deviceMemory');
    const wasmMemory = await client.call('wasmMemory');
    samples.push({
      step,
      loss,
      msPerStep: ms,
      jsHeap: performance.memory?.usedJSHeapSize ?? null,
      wasmMemory,
      gpuInUse: gpu?.bytes_in_use ?? null,
      gpuReserved: gpu?.bytes_reserved ?? null,
      gpuAllocations: gpu?.allocations ?? null,
    });
  };
  await sample(0, null, null);
  let done = 0;
  while (done < steps) {
    const count = Math.min(chunk, steps - done);
    // A lab call counts one model's step: `count` steps of every decoder.
    const [ms, report] = await elapsed(() => client.call('train', [count * decoders.length]));
    done += count;
    window.soakProgress = done;
    if (done % every === 0 || done === steps) await sample(done, report.losses[0].losses.at(-1), ms / count);
  }
  return { backend: client.backend.kind, adapter: client.backend.description, samples };
}

window.harness = { checkerlab, tfjs, soak };
window.harnessReady = true;
