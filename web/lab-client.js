// The page's one door to the lab: a module Web Worker (lab-worker.js)
// answering {id, method, args} requests. Every lab call goes through here.

import { WorkerClient, WorkerTrapped } from './worker-protocol.js';

export class LabClient {
  #client;
  #listeners = { log: [], panic: [], trap: [], jobs: [] };

  constructor(worker) {
    this.#client = new WorkerClient(worker, {
      onMessage: (message) => {
        for (const listener of this.#listeners[message.type] ?? []) listener(message);
      },
      failed: (why) => `the lab's worker failed: ${why}`,
    });
  }

  /**
   * Starts a worker and the lab in it.
   * @param {{build: Promise<{choice: {backend: 'webgpu'|'cpu', why: string}, glue: string,
   *   module: Promise<WebAssembly.Module|null>}>, testHooks?: boolean, worker?: Worker}} options `build`:
   *   the backend the page chose (`backend-choice.js`), the lab's build for it
   *   (`pkg/<glue>.js`) and its wasm, compiled (null: the worker fetches and
   *   compiles it); `testHooks` lets the tests call `trapForTest`; `worker` one
   *   already started (by default a fresh one); `trainingWorkers` 1 to train
   *   in the lab's worker alone on the CPU (by default a second one shares
   *   each step where there are two cores); `warmUpRounds` how many rounds
   *   of the first-shown decoders that second worker's warm-up trains
   *   (`warmUpPlan` in helper-client.js; by default the lab's choice, 0
   *   for none, to compare)
   * @returns {Promise<LabClient>} with `backend`, `catalog` and `training`
   *   (`{workers, why}`) set
   */
  static async start({
    build,
    testHooks = false,
    worker = LabClient.worker(),
    trainingWorkers = null,
    warmUpRounds = null,
  }) {
    const client = new LabClient(worker);
    const { choice, glue, module } = await build;
    const { backend, catalog, training } = await client.call('start', [
      { choice, testHooks, glue, module: await module, trainingWorkers, warmUpRounds },
    ]);
    client.backend = backend;
    client.catalog = catalog;
    client.training = training;
    return client;
  }

  /** A fresh worker for the lab, its scripts loading at once (before the wasm is ready). */
  static worker() {
    return new Worker(new URL('./lab-worker.js', import.meta.url), { type: 'module' });
  }

  /**
   * Calls `method` in the worker; typed arrays in `args` are copied unless
   * listed in `transfer`. Resolves to its result; a trap is announced to
   * the 'trap' listeners (the page restarts the lab).
   */
  async call(method, args = [], transfer = []) {
    try {
      return await this.#client.request(method, args, transfer);
    } catch (err) {
      if (err instanceof WorkerTrapped) for (const listener of this.#listeners.trap) listener(err.message);
      throw err;
    }
  }

  /** How long the worker spent on the last call answered. */
  get lastMs() {
    return this.#client.lastMs;
  }

  /**
   * `type`: 'log' ({level, text}), 'panic' ({text}), 'trap' (message) or
   * 'jobs' ({backend}: the views or the training moved, see `measureDrawing` and `measureTraining` in lab-worker.js).
   */
  on(type, listener) {
    this.#listeners[type].push(listener);
  }

  terminate() {
    this.#client.terminate('the lab was restarted');
  }
}

/**
 * Coalesces requests: while one runs, only the newest waiting one is kept,
 * so a fast-drawing user never builds a backlog.
 */
export class LatestOnly {
  #running = false;
  #waiting = null;

  constructor(task) {
    this.task = task;
  }

  #idle = [];

  request(input) {
    this.#waiting = { input };
    if (!this.#running) this.#drain();
  }

  /** Whether nothing is running or waiting. */
  get idle() {
    return !this.#running && !this.#waiting;
  }

  /** Resolves once nothing is running or waiting (at once when idle). */
  whenIdle() {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
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
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
