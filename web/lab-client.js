// Starting the wasm module and talking to it: WebGPU detection, the CPU
// fallback, and a queue that keeps exactly one Rust call in flight.

import init, { Checkerlab } from './pkg/checkerlab_web.js';

/**
 * Asks the browser for a WebGPU adapter.
 * @returns {Promise<{adapter: string|null, reason: string}>}
 */
export async function detectWebGpu() {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { adapter: null, reason: 'this browser exposes no WebGPU (navigator.gpu is missing)' };
  }
  let adapter;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch (err) {
    return { adapter: null, reason: `requesting a WebGPU adapter failed: ${err.message ?? err}` };
  }
  if (!adapter) {
    return {
      adapter: null,
      reason: 'the browser has WebGPU but no adapter (headless Chromium needs --enable-unsafe-webgpu)',
    };
  }
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  return { adapter: name || 'unnamed adapter', reason: '' };
}

export class LabClient {
  #queue = Promise.resolve();

  /**
   * @param {Checkerlab} lab
   * @param {WebAssembly.Memory} memory the module's linear memory (Rust's heap, CPU tensors)
   */
  constructor(lab, memory) {
    this.lab = lab;
    this.memory = memory;
  }

  /** Loads the wasm module and starts on WebGPU, or on the CPU with the reason why. */
  static async start({ forceCpu = false } = {}) {
    const exports = await init();
    const gpu = forceCpu
      ? { adapter: null, reason: 'the CPU was requested (?backend=cpu)' }
      : await detectWebGpu();
    return new LabClient(await Checkerlab.create(gpu.adapter, gpu.reason), exports.memory);
  }

  /** Runs `call(lab)` after every earlier call has settled. */
  run(call) {
    const result = this.#queue.then(() => call(this.lab));
    this.#queue = result.catch(() => {});
    return result;
  }
}

/**
 * Coalesces requests: while one runs, only the newest waiting input is kept,
 * so a fast-drawing user never builds a backlog.
 */
export class LatestOnly {
  #running = false;
  #waiting = null;

  constructor(task) {
    this.task = task;
  }

  request(input) {
    this.#waiting = { input };
    if (!this.#running) this.#drain();
  }

  async #drain() {
    this.#running = true;
    while (this.#waiting) {
      const { input } = this.#waiting;
      this.#waiting = null;
      try {
        await this.task(input);
      } catch (err) {
        console.error(err);
      }
    }
    this.#running = false;
  }
}
