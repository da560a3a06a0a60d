// Starts the lab as soon as the page's first script runs, before the rest
// of the page's modules have loaded: fetching and compiling the wasm is the
// longest step to the first reconstruction and needs nothing from the page.
// The page chooses the backend, compiles the module that backend needs (off
// the main thread, while the worker loads its own scripts) and hands it to
// each worker it starts, so a restart after a trap compiles nothing.
// index.html loads this module on its own, ahead of app.js.

import { LabClient } from './lab-client.js';
import { prepareBuild } from './lab-build.js';
import { requestedBackend, requestedJobBackend } from './backend-choice.js';

const build = prepareBuild(
  requestedBackend(location.search),
  requestedJobBackend(location.search, 'draw'),
  requestedJobBackend(location.search, 'train'),
);

/**
 * A lab in a fresh worker, on the backend the address asks for. The test
 * digits go in as soon as it is up, ahead of whatever the page does next
 * (building its views takes a tenth of a second): `testDigitsLoaded` says
 * when they are in.
 */
export async function startLab() {
  // index.html's worker the first time (started before the page's modules loaded), a fresh one after.
  const worker = globalThis.checkerlabEarlyWorker ?? LabClient.worker();
  delete globalThis.checkerlabEarlyWorker;
  const query = new URLSearchParams(location.search);
  const lab = await LabClient.start({
    build,
    testHooks: query.has('test-hooks'),
    worker,
    // `?training-workers=1` trains on one core, to compare.
    trainingWorkers: query.get('training-workers') === '1' ? 1 : null,
    // `?warm-up-rounds=0` leaves the second worker cold until training starts, to compare.
    warmUpRounds: query.has('warm-up-rounds') ? Number(query.get('warm-up-rounds')) : null,
  });
  // The worker fetched them as it started.
  lab.testDigitsLoaded = lab.call('loadTestDigits');
  lab.testDigitsLoaded.catch(() => {}); // reported where it is awaited
  // V8 compiles a wasm function when it first runs: the first reconstruction
  // paid a tenth of a second for it. A blank one while the page builds its
  // views pays it there instead (and, on WebGPU, builds the shaders).
  lab.call('reconstruct', [new Float32Array(784)]).catch(() => {});
  return lab;
}

let first = startLab();
// Reported by whoever takes it.
first.catch(() => {});

/** The lab started with the page the first time, a fresh one after that (a restart). */
export function takeLab() {
  const lab = first ?? startLab();
  first = null;
  return lab;
}
