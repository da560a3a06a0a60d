// The lab's own thread: the wasm module, the models and every tensor
// operation live here, so the page's main thread only draws and paints.
// Requests (worker-protocol.js) are answered in order, one at a time (a
// Rust call must finish before the next starts); typed arrays travel as
// transferables both ways.

import * as cpuBuild from './pkg/checkerlab_cpu.js';
import { chooseDrawing, chooseTraining, findAdapter } from './backend-choice.js';
import { fetchGunzipped } from './fetch-files.js';
import { MAX_WARM_UP_ROUNDS, HelperClient, WARM_UP_ROUNDS, trainingPlan, warmUpPlan } from './helper-client.js';
import { answer } from './worker-protocol.js';
import { checkpointToKeras } from './keras-reader.js';
import { asLabFile } from './foreign-files.js';

/**
 * The builds the page may ask for (scripts/build-web.sh), by glue name. The
 * CPU's glue loads with the worker, ahead of the wasm (importing it on
 * request put a fetch on the way to the first reconstruction); WebGPU's
 * only where it is chosen, whose larger module takes longer anyway.
 */
const BUILDS = {
  checkerlab_cpu: async () => cpuBuild,
  checkerlab_web: () => import('./pkg/checkerlab_web.js'),
};

/**
 * What the page may not call although the class defines it: wasm-bindgen's
 * plumbing, the constructor, what this worker keeps to itself, and the
 * test-only trap (allowed with `?test-hooks`).
 */
const NOT_CALLS = new Set(['constructor', 'free', 'create', 'takeHelperFailure', 'trapForTest']);

/** Whether `name` is a call of the lab's: a method or static its class defines. */
function callable(owner, name) {
  return (
    Object.hasOwn(owner, name) && typeof owner[name] === 'function' && !name.startsWith('__') && !NOT_CALLS.has(name)
  );
}

/**
 * The MNIST test digits, fetched and unpacked as soon as the worker loads,
 * while the page is still loading its modules: the lab takes them when the
 * page asks (`loadTestDigits`), without the files crossing the page.
 */
const testDigitFiles = Promise.all([
  fetchGunzipped(new URL('../data/mnist/t10k-images-idx3-ubyte.gz', import.meta.url), 'the MNIST test images'),
  fetchGunzipped(new URL('../data/mnist/t10k-labels-idx1-ubyte.gz', import.meta.url), 'the MNIST test labels'),
]);
testDigitFiles.catch(() => {}); // reported to the call that awaits them

/** How long the lab must have had no call before the helper's warm-up starts. */
const WARM_UP_IDLE_MS = 500;

/** Reconstructions timed on each backend to choose where the views run. */
const DRAWING_TRIALS = 5;
/** Throwaway training rounds timed on each backend, after one to warm up, to choose where training runs. */
const TRAINING_TRIALS = 3;

/** The started build's glue: its `Checkerlab` class. */
let build = null;
let lab = null;
let memory = null;
/** Whether the page allowed the test-only calls (`?test-hooks`). */
let testHooks = false;
let queue = Promise.resolve();
/** How many workers train and why; with two, the helper (null where it failed). */
let training = { workers: 1, why: '' };
/** Whether the address allows one training worker only (benchmarks compare). */
let oneWorker = false;
let helperClient = Promise.resolve(null);
/** The helper once it has started: reconstructions never wait for its start. */
let startedHelper = null;
/** The helper's warm-up, until the lab has been idle long enough to start it. */
let pendingWarmUp = null;
/** Whether to time drawing on both backends once the page is idle (`chooseDrawing`). */
let drawingToMeasure = false;
/** Why the views run where they do, for the page. */
let drawingWhy = '';
/** Whether to time training on both backends once the page is idle (`chooseTraining`). */
let trainingToMeasure = false;
/** Why the models train where they do, for the page. */
let trainingWhy = '';
/** The batch size training was last set to (the catalog's default at start). */
let batchSize = null;
/** The batch size training was timed at (`measureTraining`), if it was. */
let trainingTimedAt = null;
/** The last image reconstructed while the timing waits: what the drawing trials time. */
let lastImage = null;
/** Whether the page has had its first reconstruction: the timings wait for it. */
let reconstructed = false;
/** Calls received and not yet answered, and when the last was answered. */
let calls = 0;
let lastAnswered = 0;

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

async function start({ choice, testHooks: hooks, glue, module, trainingWorkers = null, warmUpRounds = null }) {
  if (!Object.hasOwn(BUILDS, glue)) throw new Error(`the lab has no build '${glue}'`);
  let rounds = warmUpRounds ?? WARM_UP_ROUNDS;
  if (!(Number.isInteger(rounds) && rounds >= 0 && rounds <= MAX_WARM_UP_ROUNDS)) {
    // Only benchmarks ask: a bad number must not keep the lab from starting.
    console.warn(
      `the warm-up takes 0 to ${MAX_WARM_UP_ROUNDS} rounds, not ${warmUpRounds}: it takes ${WARM_UP_ROUNDS}`,
    );
    rounds = WARM_UP_ROUNDS;
  }
  build = await BUILDS[glue]();
  // The page's compiled module when it sent one, else fetched and compiled here.
  ({ memory } = await build.default(module ? { module_or_path: module } : undefined));
  testHooks = hooks;
  const { backend } = choice;
  let { why } = choice;
  let adapter = null;
  if (backend === 'webgpu') {
    // The page found an adapter; a worker may still have none.
    const found = await findAdapter(self.navigator.gpu);
    if (found.adapter) adapter = found.adapter.name;
    else why = `WebGPU was chosen, but this browser offers none to Web Workers, where the lab runs (${found.missing})`;
  }
  lab = await build.Checkerlab.create(adapter, why);
  if (lab.backend().kind === 'webgpu') {
    await planDrawing(choice.drawing);
    await planTraining(choice.training);
  }
  const backendInfo = lab.backend();
  const catalog = lab.catalog();
  batchSize = catalog.training.batch_size;
  oneWorker = trainingWorkers === 1;
  // The CPU build's module is the lab's own unless the lab runs the other build.
  planWorkers(glue === 'checkerlab_cpu' ? module : null);
  if (training.workers === 2 && rounds > 0) pendingWarmUp = warmUpPlan(catalog, rounds);
  // The warm-up's rounds go to benchmarks, which compare them.
  return {
    backend: { ...backendInfo, drawingWhy, trainingWhy },
    catalog,
    training: { ...training, warmUpRounds: training.workers === 2 ? rounds : 0 },
  };
}

/**
 * How many workers train where the models train now (`trainingPlan`), and
 * the second one started where two do: behind the first reconstruction,
 * training waits for it. `module` is the CPU build's, if compiled already.
 */
function planWorkers(module) {
  training = trainingPlan(lab.backend().training, self.navigator.hardwareConcurrency);
  if (oneWorker && training.workers === 2) training = { workers: 1, why: 'the address asks for one' };
  if (training.workers === 2 && !startedHelper) {
    helperClient = HelperClient.start(module).then(
      (helper) => {
        startedHelper = helper;
        return helper;
      },
      (err) => trainAlone(err.message),
    );
  }
}

/** Why a job (`?draw=`, `?train=`: `key`) runs where `plan` puts it, until it is timed. */
const plannedWhy = (plan, key) =>
  ({
    measure: 'until both backends are timed, once the page is idle',
    cpu: `the address asks for it (?${key}=cpu)`,
    webgpu: '?backend=webgpu runs everything on WebGPU',
  })[plan];

/** Where the views run beside WebGPU: as the address asks, or measured later. */
async function planDrawing(plan) {
  drawingToMeasure = plan === 'measure';
  if (plan === 'cpu') await lab.drawOnCpu(true);
  drawingWhy = plannedWhy(plan, 'draw');
}

/** Where the models train beside WebGPU: as the address asks, or measured later. */
async function planTraining(plan) {
  trainingToMeasure = plan === 'measure';
  if (plan === 'cpu') await lab.trainOnCpu(true);
  trainingWhy = plannedWhy(plan, 'train');
}

/** The lab's backend line for the page, with why each job runs where it does. */
const jobs = (measured) => ({ ...lab.backend(), drawingWhy, trainingWhy, ...measured });

/**
 * A timing's steps, each queued as a task of the lab's own, so that a
 * request arriving meanwhile (a pointer move) waits for one step at most.
 * After a step fails, the failure is logged, once, as timing `what`
 * failed, and the timing's other steps are skipped but its `last`, which
 * decides from what was measured.
 */
function queueTiming(what) {
  let failed = false;
  const queued = (work, evenAfterFailure) => {
    queue = queue
      .then(() => (failed && !evenAfterFailure ? undefined : work()))
      .catch((err) => {
        if (!failed) console.warn(`timing the ${what} failed: ${err.message ?? err}`);
        failed = true;
      });
  };
  const step = (work) => queued(work, false);
  step.last = (work) => queued(work, true);
  return step;
}

/**
 * Queues one run of `run` to warm up, then `trials` timed runs, each a step
 * of its own (`queueTiming`); `median` gets their median time.
 */
function queueMedianTime(step, trials, run, median) {
  const times = [];
  step(run);
  for (let trial = 0; trial < trials; trial++) {
    step(async () => {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    });
  }
  step(async () => median(times.sort((a, b) => a - b)[Math.floor(times.length / 2)]));
}

/**
 * Times drawing on WebGPU, then on the CPU's copies of the models, and
 * keeps the faster (`chooseDrawing`); the page is told with the figures.
 * Each reconstruction timed is a task of the lab's queue of its own.
 */
function measureDrawing() {
  drawingToMeasure = false;
  const image = lastImage;
  const ms = {};
  const step = queueTiming('drawing');
  const reconstruct = () => lab.reconstruct(image);
  queueMedianTime(step, DRAWING_TRIALS, reconstruct, (median) => {
    ms.webgpu = median;
  });
  step(() => lab.drawOnCpu(true));
  queueMedianTime(step, DRAWING_TRIALS, reconstruct, (median) => {
    ms.cpu = median;
  });
  step.last(async () => {
    const { drawing, why } = chooseDrawing(ms);
    if (drawing === 'webgpu') await lab.drawOnCpu(false);
    drawingWhy = why;
    post({ type: 'jobs', backend: jobs({ drawingMs: ms }) });
  });
}

/**
 * Times a round of training steps of the shown decoders on WebGPU and on
 * the CPU (fresh models, nothing kept), and trains from then on where it was
 * faster (`chooseTraining`). Training moves only before its first step
 * (`Session::training_move`): one started meanwhile keeps it where it is.
 * Each round is a task of the queue of its own, like the drawing's.
 */
function measureTraining() {
  trainingToMeasure = false;
  trainingTimedAt = batchSize;
  const ms = {};
  const step = queueTiming('training');
  const round = (cpu) => () => lab.trialRound(cpu, 1);
  queueMedianTime(step, TRAINING_TRIALS, round(false), (median) => {
    ms.webgpu = median;
  });
  queueMedianTime(step, TRAINING_TRIALS, round(true), (median) => {
    ms.cpu = median;
  });
  step.last(async () => {
    const faster = chooseTraining(ms);
    trainingWhy = `${faster.why} (batch ${trainingTimedAt})`;
    try {
      await lab.trainOnCpu(faster.training === 'cpu');
      planWorkers(null);
    } catch (err) {
      const stays = lab.backend().training === 'cpu' ? 'the CPU' : 'WebGPU';
      trainingWhy = `${trainingWhy}, but it stays on ${stays}: ${err.message ?? err}`;
    }
    // How many workers train there, and why, as `start` told the page.
    post({ type: 'jobs', backend: jobs({ trainingMs: ms }), training });
  });
}

/** Drops the second worker: from now on one trains, and the page is told why. */
function trainAlone(why) {
  console.warn(`training goes on in one worker: ${why}`);
  helperClient.then((helper) => helper?.terminate());
  helperClient = Promise.resolve(null);
  startedHelper = null;
  training = { workers: 1, why };
  return null;
}

/**
 * Drops the helper if it failed in the call just made: the lab did that
 * call's work alone (`Checkerlab.takeHelperFailure`). Returns whether the
 * helper took part.
 */
function helperHeld() {
  const failure = lab.takeHelperFailure();
  if (failure) trainAlone(failure);
  return !failure;
}

/** `lab.train`, with the batch split with the helper where there is one. Each report says how many workers trained. */
async function train(modelSteps) {
  // A helper started for the CPU stays idle once training moved to WebGPU.
  const helper = training.workers === 2 ? await helperClient : null;
  if (helper) {
    const report = await lab.train(modelSteps, helper.link);
    if (helperHeld()) return { ...report, workers: 2 };
    return { ...report, workers: 1, why: training.why };
  }
  return { ...(await lab.train(modelSteps)), workers: 1, why: training.why };
}

/**
 * `lab.reconstruct`, the later shown decoders made by the helper where
 * there is one (with three shown or more: see
 * `Session::reconstruct_with_helper`), so both cores reconstruct. Not
 * while its warm-up may run (the reconstruction would wait for a warm-up
 * step): that one is made alone and ends the warm-up; nor before it has
 * started (the first reconstruction comes first). A helper that fails
 * leaves the lab to make them all, and from then on one worker trains.
 */
async function reconstruct(image) {
  // Kept only while the timing waits for it: a copy per pointer move otherwise.
  if (drawingToMeasure) lastImage = Float32Array.from(image);
  reconstructed = true;
  const helper = startedHelper;
  if (helper?.warming) helper.stopWarmUp();
  else if (helper) {
    const results = await lab.reconstruct(image, helper.link);
    helperHeld();
    return results;
  }
  return lab.reconstruct(image);
}

async function loadTestDigits() {
  const [images, labels] = await testDigitFiles;
  return lab.loadMnist('test', images, labels);
}

function dispatch(method, args) {
  if (method === 'start') return start(...args);
  // The wasm instance's linear memory: Rust's heap and the CPU backend's tensors.
  if (method === 'wasmMemory') return memory?.buffer.byteLength ?? null;
  if (!lab) throw new Error('the lab has not started');
  const own = ['loadTestDigits', 'saveWeightsAs', ...(testHooks ? ['trapForTest', 'stopHelperForTest'] : [])];
  const isStatic = callable(build.Checkerlab, method);
  const known = own.includes(method) || isStatic || callable(build.Checkerlab.prototype, method);
  if (!known) throw new Error(`the lab has no call '${method}'`);
  if (method === 'loadTestDigits') return loadTestDigits();
  if (method === 'trapForTest') return build.Checkerlab.trapForTest();
  // As if the second worker crashed: the next training call finds it gone.
  if (method === 'stopHelperForTest') return helperClient.then((helper) => helper?.terminate() ?? false);
  if (isStatic) return build.Checkerlab[method](...args);
  if (method === 'train') return train(...args);
  if (method === 'reconstruct') return reconstruct(...args);
  if (method === 'saveWeightsAs') return saveWeightsAs(...args);
  if (method === 'configureTraining') return configureTraining(...args);
  if (method === 'loadWeights') return asLabFile(args[0]).then((bytes) => lab.loadWeights(bytes, args[1]));
  return lab[method](...args);
}

/**
 * `lab.configureTraining`. Where training went where it was timed faster,
 * a new batch size has it timed again once the page is idle: the CPU's
 * step grows with the batch, WebGPU's hardly does. New settings start the
 * optimizers afresh, so training can still move.
 */
function configureTraining(settings) {
  lab.configureTraining(settings);
  batchSize = settings.batch_size;
  if (trainingTimedAt !== null && batchSize !== trainingTimedAt) trainingToMeasure = true;
}

/**
 * A decoder's current model as a file of `extension` (the catalog's
 * `save_formats`): the lab's own `.ckpt`, converted where another framework
 * reads another format. The Keras writer is in the Keras build, fetched the
 * first time.
 */
async function saveWeightsAs(decoder, extension) {
  const checkpoint = await lab.saveWeights(decoder);
  if (extension === 'ckpt') return checkpoint;
  if (extension === 'keras') return checkpointToKeras(checkpoint);
  return build.convertCheckpoint(checkpoint, extension);
}

/**
 * Times drawing on both backends (`measureDrawing`), and starts the
 * helper's warm-up, once the page has had its first
 * reconstruction and then left the lab idle for a while: warming at load
 * delayed the first reconstruction, and while the user draws the lab's
 * worker needs a core of its own. Started so, it leaves navigation to the
 * first reconstruction as it was (benchmarks/results/2026-12-03-warm-up-start.md).
 */
function startIdleWork(method) {
  // The timing waits for any call after the first reconstruction to leave the lab idle.
  const measure = (drawingToMeasure || trainingToMeasure) && reconstructed;
  const warmUp = pendingWarmUp && method === 'reconstruct';
  if (!measure && !warmUp) return;
  setTimeout(() => {
    const idle = performance.now() - lastAnswered;
    if (calls > 0 || idle < WARM_UP_IDLE_MS - 1) return;
    if (drawingToMeasure && lastImage) measureDrawing();
    if (trainingToMeasure && reconstructed) measureTraining();
    if (!warmUp || !pendingWarmUp) return;
    const plan = pendingWarmUp;
    pendingWarmUp = null;
    helperClient.then((helper) => helper?.warmUp(plan));
  }, WARM_UP_IDLE_MS);
}

async function respond({ id, method, args }) {
  await answer(id, () => dispatch(method, args));
  calls--;
  lastAnswered = performance.now();
  startIdleWork(method);
}

self.addEventListener('message', ({ data }) => {
  calls++;
  queue = queue.then(() => respond(data));
});
