// The page's own wasm builds in Node, with WebGPU from Dawn (the WebGPU
// engine inside Chromium, from the npm package `webgpu`): the WebGPU path
// measured and checked without a browser. Used by benchmarks/dawn.mjs and
// tests/webgpu-dawn.test.mjs.
//
// Dawn's adapters, by the name given to `startWebGpu`:
//   swiftshader  Chromium's SwiftShader Vulkan driver (Debian's chromium
//                package ships it): computes, on the CPU, as headless
//                Chromium's WebGPU does
//   null         Dawn's null backend: validates and issues every command and
//                computes nothing (what issuing the work costs, with no GPU)
//   default      whatever Vulkan driver the machine has (a real GPU; set
//                VK_DRIVER_FILES to its ICD where the loader does not find it)

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from './serve.mjs';

/** Chromium's SwiftShader ICD, as Debian installs it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export const ADAPTERS = ['swiftshader', 'null', 'default'];

let started = null;

/**
 * The WebGPU calls counted, by interface: what a job issues. Dispatches and
 * submits are the work; buffers, bind groups and encoders are what each
 * costs to set up; writes and maps are the traffic with the host.
 */
const COUNTED = {
  GPUDevice: ['createBuffer', 'createBindGroup', 'createComputePipeline', 'createCommandEncoder'],
  GPUCommandEncoder: ['beginComputePass', 'copyBufferToBuffer'],
  GPUComputePassEncoder: ['dispatchWorkgroups'],
  GPUQueue: ['submit', 'writeBuffer'],
  GPUBuffer: ['mapAsync'],
};

/** Every counted call made so far, by method name. */
const gpuCalls = Object.fromEntries(Object.values(COUNTED).flatMap((names) => names.map((name) => [name, 0])));

/** Wraps the counted methods of Dawn's interfaces so each call is counted. */
function countGpuCalls(globals) {
  for (const [name, methods] of Object.entries(COUNTED)) {
    const prototype = globals[name]?.prototype;
    for (const method of methods) {
      const original = prototype?.[method];
      if (typeof original !== 'function') throw new Error(`Dawn's ${name} has no ${method} to count`);
      prototype[method] = function counted(...args) {
        gpuCalls[method]++;
        return original.apply(this, args);
      };
    }
  }
}

/** The counted WebGPU calls `work` made, by method name, and its result. */
export async function countCalls(work) {
  const before = { ...gpuCalls };
  const result = await work();
  const calls = Object.fromEntries(Object.entries(gpuCalls).map(([name, count]) => [name, count - before[name]]));
  return { calls, result };
}

/**
 * Makes `navigator.gpu` a Dawn instance on `adapter`, once per process,
 * and returns the adapter's description. wgpu's WebGPU backend looks for
 * `navigator.gpu` only where `Window` or `WorkerGlobalScope` is defined, so
 * this defines the latter, as a dedicated worker (where the page's lab
 * runs) would.
 */
export async function startWebGpu(adapter) {
  if (started) {
    if (started.adapter !== adapter) throw new Error(`Dawn already runs on '${started.adapter}'`);
    return started.description;
  }
  if (!ADAPTERS.includes(adapter)) throw new Error(`unknown adapter '${adapter}' (known: ${ADAPTERS.join(', ')})`);
  if (adapter === 'swiftshader') {
    if (!existsSync(SWIFTSHADER_ICD)) {
      throw new Error(`${SWIFTSHADER_ICD} is missing: install Debian's chromium package`);
    }
    // Read by the Vulkan loader when Dawn creates its instance, below.
    process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
  }
  // XDG_RUNTIME_DIR only silences a warning of Dawn's Wayland probe.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  countGpuCalls(globals);
  const gpu = create(adapter === 'null' ? ['backend=null'] : []);
  const found = await gpu.requestAdapter();
  if (!found) throw new Error(`Dawn found no '${adapter}' adapter`);
  const { vendor, architecture, device, description } = found.info;
  const name = [vendor, architecture, device, description].filter(Boolean).join(' ') || adapter;
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  globalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};
  started = { adapter, description: `${name} (Dawn, ${adapter})` };
  return started.description;
}

/** A build's glue from web/pkg, instantiated once per process. */
const builds = new Map();
async function loadBuild(name) {
  if (!builds.has(name)) {
    const pkg = path.join(repositoryRoot, 'web', 'pkg');
    const wasm = path.join(pkg, `${name}_bg.wasm`);
    if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run scripts/build-web.sh`);
    builds.set(
      name,
      (async () => {
        const glue = await import(path.join(pkg, `${name}.js`));
        await glue.default({ module_or_path: readFileSync(wasm) });
        return glue;
      })(),
    );
  }
  return builds.get(name);
}

/** The MNIST files, as the page fetches them (gzipped). */
function mnistFiles(split) {
  const prefix = split === 'train' ? 'train' : 't10k';
  const file = (kind) =>
    readFileSync(
      path.join(repositoryRoot, 'data', 'mnist', `${prefix}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`),
    );
  return [file('images'), file('labels')];
}

/**
 * A lab with both MNIST splits loaded: `backend` 'webgpu' (the page's
 * WebGPU build, on the adapter `startWebGpu` started) or 'cpu' (the page's
 * CPU build).
 */
export async function startLab(backend) {
  const glue = await loadBuild(backend === 'webgpu' ? 'checkerlab_web' : 'checkerlab_cpu');
  const adapter = backend === 'webgpu' ? started?.description : null;
  if (backend === 'webgpu' && !adapter) throw new Error('call startWebGpu first');
  const lab = await glue.Checkerlab.create(adapter, 'started by the Dawn harness');
  const kind = lab.backend().kind;
  if (kind !== backend) throw new Error(`asked for ${backend}, the lab started on ${kind}: ${lab.backend().reason}`);
  for (const split of ['train', 'test']) lab.loadMnist(split, ...mnistFiles(split));
  return lab;
}

/** The shipped weights file of `decoder`. */
export const shippedWeights = (decoder) => readFileSync(path.join(repositoryRoot, 'weights', `${decoder}.ckpt`));

/**
 * Trains `decoder` alone from its seed-0 untrained model with Adam at
 * 0.001 and `batchSize`, `steps` steps in calls of `perCall`; returns each
 * step's loss and the milliseconds of each call.
 */
export async function trainFromSeed0(lab, decoder, { steps, batchSize, perCall = 1 }) {
  lab.showDecoders([decoder]);
  lab.configureTraining({ optimizer: 'adam', learning_rate: 0.001, batch_size: batchSize });
  lab.reset(0);
  const losses = [];
  const callMs = [];
  while (losses.length < steps) {
    const count = Math.min(perCall, steps - losses.length);
    const began = performance.now();
    const report = await lab.train(count);
    callMs.push(performance.now() - began);
    losses.push(...report.losses[0].losses);
  }
  return { losses, callMs };
}

/** The first step (from 1) at which two loss series differ by more than `relative`, or null. */
export function firstDifferingStep(a, b, relative) {
  const at = a.findIndex((loss, i) => !(Math.abs(loss - b[i]) <= relative * Math.abs(b[i])));
  return at < 0 ? null : at + 1;
}

/** The largest |a - b| over the largest |b|: 0 where both are equal. */
export function relativeGap(a, b) {
  let gap = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return gap === 0 ? 0 : gap / scale;
}
