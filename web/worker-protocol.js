// How the page talks to the lab's worker, and the lab's worker to the
// second one: a request is {id, method, args}; its reply is {id, ok: true,
// result, ms} or {id, ok: false, error, trapped}. Any other message carries
// a `type` and no reply (logs, panics, the warm-up). Both ends live here,
// so the shapes are written once.

/** The buffers of the typed arrays in a value, to move rather than copy. */
export function buffers(value, found = []) {
  if (ArrayBuffer.isView(value)) found.push(value.buffer);
  else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) buffers(item, found);
  }
  return [...new Set(found)];
}

/**
 * The worker's side: runs `work` and posts its reply to request `id`, its
 * typed arrays moved. A trap (a `WebAssembly.RuntimeError`) leaves the wasm
 * instance unusable, and the reply says so.
 */
export async function answer(id, work, post = (message, transfer) => self.postMessage(message, transfer)) {
  const started = performance.now();
  try {
    const result = await work();
    post({ id, ok: true, result, ms: performance.now() - started }, buffers(result));
  } catch (err) {
    post({ id, ok: false, error: err?.message ?? String(err), trapped: err instanceof WebAssembly.RuntimeError }, []);
  }
}

/** A request's rejection when the worker's wasm instance trapped: the worker must be replaced. */
export class WorkerTrapped extends Error {}

/** The caller's side: one worker, its requests and their replies. */
export class WorkerClient {
  #worker;
  #next = 1;
  #waiting = new Map();
  #onMessage;
  /** Why requests are refused, once the worker cannot be trusted. */
  broken = null;
  /** How long the worker spent on the last request answered. */
  lastMs = null;

  /**
   * @param {Worker} worker
   * @param {{onMessage?: (message: {type: string}) => void, failed?: (why: string) => string}} options
   *   `onMessage` gets the messages that answer no request; `failed` words
   *   the reason when the worker fails to load or throws outside a request
   */
  constructor(worker, { onMessage = () => {}, failed = (why) => `it failed: ${why}` } = {}) {
    this.#worker = worker;
    this.#onMessage = onMessage;
    worker.addEventListener('message', ({ data }) => this.#receive(data));
    worker.addEventListener('error', (event) => this.fail(failed(event.message ?? 'unknown error')));
  }

  /** Resolves to `method`'s result; typed arrays in `args` are copied unless listed in `transfer`. */
  request(method, args = [], transfer = []) {
    // A lone argument would be spread into its characters on the other side.
    if (!Array.isArray(args)) return Promise.reject(new TypeError(`the arguments of '${method}' must be an array`));
    if (this.broken) return Promise.reject(new Error(this.broken));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, method, args }, transfer);
    });
  }

  /** Sends a message that has no reply; dropped once the worker is broken. */
  post(message) {
    if (!this.broken) this.#worker.postMessage(message);
  }

  /** Stops the worker; whatever waits is rejected with `why`. */
  terminate(why) {
    this.#worker.terminate();
    this.fail(why);
  }

  /** Refuses every request from now on, and rejects those waiting, with `why`. */
  fail(why) {
    this.broken ??= why;
    for (const { reject } of this.#waiting.values()) reject(new Error(why));
    this.#waiting.clear();
  }

  #receive(message) {
    if (message.type) return this.#onMessage(message);
    const waiting = this.#waiting.get(message.id);
    if (!waiting) return;
    this.#waiting.delete(message.id);
    if (message.ok) {
      this.lastMs = message.ms;
      waiting.resolve(message.result);
    } else if (message.trapped) {
      this.broken ??= `it trapped: ${message.error}`;
      waiting.reject(new WorkerTrapped(message.error));
    } else {
      waiting.reject(new Error(message.error));
    }
  }
}
