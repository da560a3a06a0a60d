// Which build of the lab a page runs, and its wasm compiled: the page
// chooses the backend (backend-choice.js), then compiles the module for it
// off the main thread, once, for every worker it starts.

import { chooseBackend, findAdapter, jobPlan } from './backend-choice.js';

/**
 * The two builds (scripts/build-web.sh), by backend: the CPU's alone is a
 * fifth of the size of the one that can also run WebGPU.
 */
const GLUE = { cpu: 'checkerlab_cpu', webgpu: 'checkerlab_web' };

/**
 * A build's compiled wasm, or null where it cannot be compiled here (a
 * server that does not send application/wasm, say): the worker then fetches
 * it itself.
 */
function compile(glue) {
  return WebAssembly.compileStreaming(fetch(new URL(`./pkg/${glue}_bg.wasm`, import.meta.url))).catch((err) => {
    console.warn(`compiling the lab's wasm on the page failed, the worker will: ${err?.message ?? err}`);
    return null;
  });
}

/**
 * Chooses the backend and compiles the build it needs.
 * @param {'webgpu'|'cpu'|null} requested `?backend=` as given
 * @param {'webgpu'|'cpu'|'measure'|null} drawRequested `?draw=` as given
 * @param {'webgpu'|'cpu'|'measure'|null} trainRequested `?train=` as given
 * @returns {Promise<{choice: {backend: 'webgpu'|'cpu', why: string, drawing: 'measure'|'webgpu'|'cpu',
 *   training: 'measure'|'webgpu'|'cpu'},
 *   glue: string, module: Promise<WebAssembly.Module|null>}>} what `LabClient.start` takes
 */
export function prepareBuild(requested, drawRequested = null, trainRequested = null) {
  // Compiled before the choice is known (index.html preloads it): most
  // visitors end up on the CPU, and its build is small enough to fetch in
  // vain where WebGPU wins.
  const cpuModule = compile(GLUE.cpu);
  // No adapter is asked for when the CPU was requested: asking can take a while.
  const facts = requested === 'cpu' ? Promise.resolve({ adapter: null, missing: '' }) : findAdapter(navigator.gpu);
  return facts.then((found) => {
    const choice = chooseBackend({ requested, ...found });
    choice.drawing = jobPlan({ backend: choice.backend, requested, jobRequested: drawRequested });
    choice.training = jobPlan({ backend: choice.backend, requested, jobRequested: trainRequested });
    const glue = GLUE[choice.backend];
    return { choice, glue, module: choice.backend === 'cpu' ? cpuModule : compile(glue) };
  });
}
