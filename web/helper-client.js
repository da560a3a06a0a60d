// The lab worker's client of the second worker (helper-worker.js):
// on the CPU each training step splits its batch with it, so a step uses
// both cores (wasm runs one thread per worker), and a reconstruction its
// shown decoders. Rust calls `gradients` and `reconstructions` through the
// functions `share` and `shareReconstructions` give (crates/web's
// `Checkerlab.train` and `Checkerlab.reconstruct`).

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
  #worker;
  #next = 1;
  #waiting = new Map();
  #broken = null;
  #warming = false;

  constructor(worker) {
    this.#worker = worker;
    worker.addEventListener('message', ({ data }) => this.#receive(data));
    worker.addEventListener('error', (event) => this.#fail(event.message ?? 'it failed to load'));
  }

  /**
   * A started helper, or why it could not start.
   * @param {WebAssembly.Module|null} module the CPU build's compiled wasm (null: the helper compiles it)
   * @returns {Promise<HelperClient>}
   */
  static start(module) {
    const worker = new Worker(new URL('./helper-worker.js', import.meta.url), { type: 'module' });
    const helper = new HelperClient(worker);
    return new Promise((resolve, reject) => {
      helper.#waiting.set('start', {
        resolve: () => resolve(helper),
        reject: (why) => {
          worker.terminate();
          reject(new Error(`the second worker did not start: ${why}`));
        },
      });
      worker.postMessage({ type: 'start', module });
    });
  }

  /** The function `Checkerlab.train` takes: `(decoder, parameters, images) => Promise<{loss, gradients}>`. */
  get share() {
    return (decoder, parameters, images) => this.gradients(decoder, parameters, images);
  }

  gradients(decoder, parameters, images) {
    return this.#request({ decoder, parameters, images }, [parameters.buffer, images.buffer]);
  }

  /** The function `Checkerlab.reconstruct` takes: `(decoders, parameters, image) => Promise<[reconstruction]>`. */
  get shareReconstructions() {
    return (decoders, parameters, image) => this.reconstructions(decoders, parameters, image);
  }

  reconstructions(decoders, parameters, image) {
    const buffers = [...parameters.map((values) => values.buffer), image.buffer];
    return this.#request({ type: 'reconstruct', decoders, parameters, image }, buffers);
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
    if (!this.#broken) this.#worker.postMessage({ type: 'stop-warm-up' });
  }

  #request(message, transfer) {
    if (this.#broken) return Promise.reject(new Error(this.#broken));
    this.#warming = false;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...message }, transfer);
    });
  }

  /**
   * Has it train made-up half batches, one per decoder listed, until the
   * first real request (helper-worker.js): its optimised code, shared
   * with the lab's worker, is then compiled before the user trains.
   * @param {{decoders: string[], images: number}} plan
   */
  warmUp(plan) {
    if (this.#broken) return;
    this.#warming = true;
    this.#worker.postMessage({ type: 'warm-up', ...plan });
  }

  /** Stops the worker; returns true. */
  terminate() {
    this.#worker.terminate();
    this.#fail('it was stopped');
    return true;
  }

  #receive(message) {
    if (message.type === 'started') return this.#settle('start', true);
    if (message.type === 'failed') return this.#settle('start', false, message.error);
    if (message.trapped) this.#broken = `it trapped: ${message.error}`;
    if (message.ok && message.results) this.#settle(message.id, true, message.results);
    else if (message.ok) this.#settle(message.id, true, { loss: message.loss, gradients: message.gradients });
    else this.#settle(message.id, false, message.error);
  }

  #settle(id, ok, value) {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    if (ok) waiting.resolve(value);
    else waiting.reject(id === 'start' ? value : new Error(value));
  }

  #fail(why) {
    this.#broken ??= why;
    for (const [id, { reject }] of this.#waiting) reject(id === 'start' ? why : new Error(why));
    this.#waiting.clear();
  }
}
