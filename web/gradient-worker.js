// The second core's share of a CPU training step: the gradient of half a
// batch, at the parameters each request carries (crates/model's
// data_parallel). Started by the lab's worker (training-helper.js), which
// sends {type: 'start', module} first and then {id, decoder, parameters,
// images}; it holds no state a request could depend on.

import init, { GradientWorker } from './pkg/checkerlab_cpu.js';

let gradientWorker = null;

const post = (message, transfer = []) => self.postMessage(message, transfer);

async function start(module) {
  try {
    // The lab's compiled CPU module when it has one, else fetched and compiled here.
    await init(module ? { module_or_path: module } : undefined);
    gradientWorker = new GradientWorker();
    post({ type: 'started' });
  } catch (err) {
    post({ type: 'failed', error: err?.message ?? String(err) });
  }
}

function answer({ id, decoder, parameters, images }) {
  try {
    if (!gradientWorker) throw new Error('the gradient worker has not started');
    const { loss, gradients } = gradientWorker.gradients(decoder, parameters, images);
    post({ id, ok: true, loss, gradients }, [gradients.buffer]);
  } catch (err) {
    // A trap leaves the instance unusable: the lab's worker stops asking.
    post({ id, ok: false, error: err?.message ?? String(err), trapped: err instanceof WebAssembly.RuntimeError });
  }
}

self.addEventListener('message', ({ data }) => {
  if (data.type === 'start') start(data.module);
  else answer(data);
});
