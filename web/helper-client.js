// The lab worker's client of the second worker (helper-worker.js):
// on the CPU each training step splits its batch with it, so a step uses
// both cores (wasm runs one thread per worker), and a reconstruction its
// shown decoders. The lab's Rust sends its requests through `link`
// (crates/web's `JsLink`) as bytes that only Rust reads.

import { WorkerClient } from './worker-protocol.js';

/** How many workers train, and why, for the page. */
export function trainingPlan(backendKind, cores) {
  if (backendKind !== 'cpu') return { workers: 1, why: 'WebGPU trains on the GPU' };
  if (!(cores >= 2)) return { workers: 1, why: 'this device reports one core' };
  return { workers: 2, why: `each step splits its batch between two workers (${cores} cores)` };
}

/**
 * How many times the helper's warm-up trains the first-shown decoders, and
 * on how many made-up images. What counts is the work done: in the browser
 * a function gets its optimised code once it has run a while. Three rounds
 * of half a batch of 128 took the first steps at batch 128 from 108-195 ms
 * to 56-89 ms (benchmarks/results/2026-12-03-warm-up.md).
 */
export const WARM_UP_ROUNDS = 3;
export const WARM_UP_IMAGES = 64;
export const MAX_WARM_UP_ROUNDS = 20;

/**
 * What the helper trains while idle: `rounds` times the decoders a first
 * visit shows, then each other decoder once (most of their code is shared).
 */
export function warmUpPlan(catalog, rounds) {
  const shown = catalog.first_shown;
  const others = catalog.decoders.map((d) => d.name).filter((name) => !shown.includes(name));
  const decoders = [...Array.from({ length: rounds }, () => shown).flat(), ...(rounds > 0 ? others : [])];
  return { decoders, images: WARM_UP_IMAGES };
}

export class HelperClient {
  #client;
  #warming = false;

  constructor(client) {
    this.#client = client;
  }

  /**
   * A started helper, or why it could not start.
   * @param {WebAssembly.Module|null} module the CPU build's compiled wasm (null: the helper compiles it)
   * @returns {Promise<HelperClient>}
   */
  static async start(module) {
    const worker = new Worker(new URL('./helper-worker.js', import.meta.url), { type: 'module' });
    const client = new WorkerClient(worker, { failed: () => 'it failed to load' });
    try {
      await client.request('start', [module]);
    } catch (err) {
      client.terminate(err.message);
      throw new Error(`the second worker did not start: ${err.message}`);
    }
    return new HelperClient(client);
  }

  /**
   * The function `Checkerlab.train` and `Checkerlab.reconstruct` take:
   * `(request: Uint8Array) => Promise<Uint8Array>`, the request posted at once.
   */
  get link() {
    return (request) => {
      this.#warming = false;
      return this.#client.request('answer', [request], [request.buffer]);
    };
  }

  /**
   * Whether a warm-up may still be running: a request would wait for its
   * current step (tens of milliseconds), longer than a reconstruction.
   */
  get warming() {
    return this.#warming;
  }

  /** Ends the warm-up, without a request. */
  stopWarmUp() {
    this.#warming = false;
    this.#client.post({ type: 'stop-warm-up' });
  }

  /**
   * Has it train made-up half batches, one per decoder listed, until the
   * first real request (helper-worker.js): its optimised code, shared
   * with the lab's worker, is then compiled before the user trains.
   * @param {{decoders: string[], images: number}} plan
   */
  warmUp(plan) {
    if (this.#client.broken) return;
    this.#warming = true;
    this.#client.post({ type: 'warm-up', ...plan });
  }

  /** Stops the worker; returns true. */
  terminate() {
    this.#client.terminate('it was stopped');
    return true;
  }
}
