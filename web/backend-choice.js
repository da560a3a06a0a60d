// Which backend the lab runs on: the fastest, not merely the one available.
// A software WebGPU adapter (SwiftShader, llvmpipe, lavapipe, WARP) emulates
// the GPU on the CPU and, for a model this small, is several times slower
// than Burn's CPU backend in wasm (docs/benchmarks.md), so the CPU wins
// there. Pure functions: unit-tested in Node.

/** Adapter names that mean WebGPU is emulated on the CPU. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render/i;

/**
 * A line naming the adapter, and whether it is a software one.
 * @param {{vendor?: string, architecture?: string, device?: string, description?: string,
 *   isFallbackAdapter?: boolean}} info `GPUAdapterInfo`
 */
export function describeAdapter(info) {
  const name =
    [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return { name, software: Boolean(info.isFallbackAdapter) || SOFTWARE_ADAPTER.test(name) };
}

/**
 * @param {{requested: string|null, adapter: {name: string, software: boolean}|null, missing: string}} facts
 *   `requested` from `?backend=`, `adapter` as `describeAdapter` gives it (null: none),
 *   `missing` why there is none
 * @returns {{backend: 'webgpu'|'cpu', why: string}}
 */
export function chooseBackend({ requested, adapter, missing }) {
  if (requested === 'cpu') return { backend: 'cpu', why: 'the CPU was requested (?backend=cpu)' };
  if (!adapter) return { backend: 'cpu', why: missing };
  if (requested === 'webgpu') return { backend: 'webgpu', why: 'WebGPU was requested (?backend=webgpu)' };
  if (adapter.software) {
    return {
      backend: 'cpu',
      why: `the WebGPU adapter (${adapter.name}) runs on the CPU in software, which is slower than the WebAssembly CPU path for this model (?backend=webgpu uses it anyway)`,
    };
  }
  return { backend: 'webgpu', why: `a hardware WebGPU adapter (${adapter.name}) is available` };
}

/**
 * Where one of the lab's two jobs runs beside WebGPU: drawing (the views:
 * reconstructing as the user draws, walks, probes) or training.
 * `'measure'` where WebGPU runs on its own choice, on a hardware adapter, for
 * `chooseDrawing` or `chooseTraining` to decide; what `?draw=` or `?train=`
 * asks for (beside WebGPU); else where the lab runs.
 * A batch of one costs WebGPU more to issue than the CPU takes to compute it
 * (docs/benchmarks.md), so the CPU often draws faster beside a GPU that
 * trains, and on a weak GPU it may train faster too.
 * @param {{backend: 'webgpu'|'cpu', requested: string|null, jobRequested: string|null}} facts
 * @returns {'measure'|'webgpu'|'cpu'}
 */
export function jobPlan({ backend, requested, jobRequested }) {
  if (backend === 'cpu') return 'cpu';
  if (jobRequested) return jobRequested;
  return requested === 'webgpu' ? 'webgpu' : 'measure';
}

/**
 * Where the views run beside WebGPU training, from the median time of one
 * reconstruction on each: the faster one, the CPU on a tie (it leaves the
 * GPU to training).
 * @param {{webgpu: number, cpu: number}} ms
 * @returns {{drawing: 'webgpu'|'cpu', why: string}}
 */
export function chooseDrawing({ webgpu, cpu }) {
  if (!(webgpu >= 0 && cpu >= 0)) return { drawing: 'webgpu', why: untimed({ webgpu, cpu }) };
  return {
    drawing: cpu <= webgpu ? 'cpu' : 'webgpu',
    why: `one reconstruction took ${milliseconds(cpu)} on the CPU and ${milliseconds(webgpu)} on WebGPU`,
  };
}

/** Which backend a timing could not finish on (`chooseDrawing`, `chooseTraining`). */
const untimed = ({ webgpu, cpu }) =>
  webgpu >= 0
    ? 'the CPU could not be timed beside WebGPU'
    : `WebGPU could not be timed${cpu >= 0 ? '' : ', nor the CPU'}`;

const milliseconds = (value) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;

/**
 * Where the models train beside WebGPU, from the time of one round of
 * training steps of the shown decoders on each: the faster one, WebGPU on
 * a tie (it leaves the CPU to drawing).
 * @param {{webgpu: number, cpu: number}} ms
 * @returns {{training: 'webgpu'|'cpu', why: string}}
 */
export function chooseTraining({ webgpu, cpu }) {
  if (!(webgpu >= 0 && cpu >= 0)) return { training: 'webgpu', why: untimed({ webgpu, cpu }) };
  return {
    training: cpu < webgpu ? 'cpu' : 'webgpu',
    why: `a training step of the shown decoders took ${milliseconds(cpu)} on the CPU and ${milliseconds(webgpu)} on WebGPU`,
  };
}

/**
 * Where the lab runs, in one sentence a newcomer can read: no flag, no
 * library, no adapter name (those go in the details beside it).
 * @param {{kind: 'webgpu'|'cpu', drawing?: 'webgpu'|'cpu', training?: 'webgpu'|'cpu'}} backend the
 *   lab's backend, and where drawing and training run (training: where the lab runs, if not given)
 */
export function backendSentence({ kind, drawing, training = kind }) {
  const processor = "your computer's processor (CPU)";
  const card = 'your graphics card, through WebGPU';
  if (kind !== 'webgpu' || (drawing === 'cpu' && training === 'cpu')) {
    return `The lab runs on ${processor}, in this page.`;
  }
  if (drawing === 'cpu') return `The lab trains on ${card}, and draws on ${processor}.`;
  if (training === 'cpu') return `The lab trains on ${processor}, and draws on ${card}.`;
  return `The lab runs on ${card}.`;
}

/**
 * `?draw=` or `?train=` (`job`) as given: `cpu` or `webgpu`, or `measure`
 * to time both even where `?backend=webgpu` or a software adapter would not
 * (for tests).
 */
export function requestedJobBackend(search, job) {
  const value = new URLSearchParams(search).get(job);
  return ['cpu', 'webgpu', 'measure'].includes(value) ? value : null;
}

/** `?backend=` as given, if it is one of the two. */
export function requestedBackend(search) {
  const value = new URLSearchParams(search).get('backend');
  return value === 'cpu' || value === 'webgpu' ? value : null;
}

/** Asks the browser (window or worker) for an adapter. */
export async function findAdapter(gpu) {
  if (!gpu) return { adapter: null, missing: 'this browser exposes no WebGPU here (navigator.gpu is missing)' };
  let adapter;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return { adapter: null, missing: `requesting a WebGPU adapter failed: ${err.message ?? err}` };
  }
  if (!adapter) {
    return {
      adapter: null,
      missing: 'the browser has WebGPU but no adapter (headless Chromium needs --enable-unsafe-webgpu)',
    };
  }
  // GPUAdapterInfo's fields are getters on its prototype: copy them by name.
  const info = adapter.info ?? {};
  const { vendor, architecture, device, description } = info;
  const isFallbackAdapter = info.isFallbackAdapter ?? adapter.isFallbackAdapter;
  return {
    adapter: describeAdapter({ vendor, architecture, device, description, isFallbackAdapter }),
    missing: '',
  };
}
