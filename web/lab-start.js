// Starts the lab as soon as the page's first script runs, before the rest
// of the page's modules have loaded: fetching and compiling the wasm is the
// longest step to the first reconstruction and needs nothing from the page.
// The page compiles it (off the main thread, while the worker loads its own
// scripts) and hands the compiled module to each worker it starts, so a
// restart after a trap compiles nothing. index.html loads this module on
// its own, ahead of app.js.

import { LabClient } from './lab-client.js';
import { requestedBackend } from './backend-choice.js';
import { fetchGunzipped } from './fetch-files.js';

/**
 * The compiled wasm, or null where it cannot be compiled here (a server that
 * does not send application/wasm, say): the worker then fetches it itself.
 */
const wasmModule = WebAssembly.compileStreaming(fetch(new URL('./pkg/checkerlab_web_bg.wasm', import.meta.url))).catch(
  (err) => {
    console.warn(`compiling the lab's wasm on the page failed, the worker will: ${err?.message ?? err}`);
    return null;
  },
);

/** A lab in a fresh worker, on the backend the address asks for. */
export function startLab() {
  return LabClient.start({
    requested: requestedBackend(location.search),
    testHooks: new URLSearchParams(location.search).has('test-hooks'),
    module: wasmModule,
  });
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

/** Test digit files: fetched and unpacked once (while the wasm compiles), copied into each lab started. */
export const testDigitFiles = Promise.all([
  fetchGunzipped('data/mnist/t10k-images-idx3-ubyte.gz', 'the MNIST test images'),
  fetchGunzipped('data/mnist/t10k-labels-idx1-ubyte.gz', 'the MNIST test labels'),
]);
testDigitFiles.catch(() => {}); // reported where it is awaited
