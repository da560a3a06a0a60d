// The lab's own thread: the wasm module, the models and every tensor
// operation live here, so the page's main thread only draws and paints.
// Requests arrive as {id, method, args} and are answered in order, one at a
// time (a Rust call must finish before the next starts); typed arrays travel
// as transferables both ways.

import init, { Checkerlab } from './pkg/checkerlab_web.js';
import { chooseBackend, findAdapter } from './backend-choice.js';

/** Calls the page may make, by name: the class's own and its statics. */
const METHODS = new Set([
  'showDecoders',
  'deviceMemory',
  'decoders',
  'loadWeights',
  'loadMnist',
  'testDigit',
  'testLabel',
  'meterReferences',
  'reconstruct',
  'decodeShuffledCode',
  'decodeCodeUnit',
  'latentWalk',
  'probes',
  'configureTraining',
  'reset',
  'trainSteps',
  'saveWeights',
]);
const STATICS = new Set(['spectrum', 'overlapMap', 'syntheticInput']);

let lab = null;
let memory = null;
/** Whether the page allowed the test-only calls (`?test-hooks`). */
let testHooks = false;
let queue = Promise.resolve();

const post = (message, transfer = []) => self.postMessage(message, transfer);

// Rust's log and panics reach the page's console, where tests look for them.
for (const level of ['error', 'warn']) {
  const original = console[level].bind(console);
  console[level] = (...parts) => {
    original(...parts);
    post({ type: 'log', level, text: parts.map(String).join(' ') });
  };
}
self.addEventListener('checkerlab-panic', (event) => post({ type: 'panic', text: String(event.detail) }));

async function start({ requested, testHooks: hooks, module }) {
  // The page's compiled module when it sent one, else fetched and compiled here.
  ({ memory } = await init(module ? { module_or_path: module } : undefined));
  testHooks = hooks;
  // No adapter is asked for when the CPU was requested: asking can take a while.
  const { adapter, missing } =
    requested === 'cpu' ? { adapter: null, missing: '' } : await findAdapter(self.navigator.gpu);
  const choice = chooseBackend({ requested, adapter, missing });
  lab = await Checkerlab.create(choice.backend === 'webgpu' ? adapter.name : null, choice.why);
  return { backend: lab.backend(), catalog: lab.catalog() };
}

function dispatch(method, args) {
  if (method === 'start') return start(...args);
  // The wasm instance's linear memory: Rust's heap and the CPU backend's tensors.
  if (method === 'wasmMemory') return memory?.buffer.byteLength ?? null;
  if (STATICS.has(method)) return Checkerlab[method](...args);
  if (method === 'trapForTest' && testHooks) return Checkerlab.trapForTest();
  if (!METHODS.has(method)) throw new Error(`the lab has no call '${method}'`);
  if (!lab) throw new Error('the lab has not started');
  return lab[method](...args);
}

/** The buffers of the typed arrays in a result, to move rather than copy. */
function buffers(value, found = []) {
  if (ArrayBuffer.isView(value)) found.push(value.buffer);
  else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) buffers(item, found);
  }
  return found;
}

async function answer({ id, method, args }) {
  const started = performance.now();
  try {
    const result = await dispatch(method, args);
    post({ id, ok: true, result, ms: performance.now() - started }, [...new Set(buffers(result))]);
  } catch (err) {
    // A trap (RuntimeError) leaves the wasm instance unusable: the page restarts the worker.
    post({ id, ok: false, error: err?.message ?? String(err), trapped: err instanceof WebAssembly.RuntimeError });
  }
}

self.addEventListener('message', ({ data }) => {
  queue = queue.then(() => answer(data));
});
