// The second core's share of a CPU training step: the gradient of half a
// batch, at the parameters each request carries (crates/model's
// data_parallel), and the later share of the shown decoders' reconstructions
// of a drawing. Started by the lab's worker (helper-client.js), which
// sends {type: 'start', module} first, {type: 'warm-up', decoders, images}
// once the page is idle, {id, decoder, parameters, images} to train and
// {type: 'reconstruct', id, decoders, parameters, image} to reconstruct; it
// holds no state a request could depend on.

import init, { HelperWorker } from './pkg/checkerlab_cpu.js';

let helperWorker = null;
/** Why requests are refused, once the instance cannot be trusted. */
let broken = null;
/** Warm-up steps still to take: dropped when the first request comes. */
let warmUps = [];

const post = (message, transfer = []) => self.postMessage(message, transfer);

async function start(module) {
  try {
    // The lab's compiled CPU module when it has one, else fetched and compiled here.
    await init(module ? { module_or_path: module } : undefined);
    helperWorker = new HelperWorker();
    post({ type: 'started' });
  } catch (err) {
    post({ type: 'failed', error: err?.message ?? String(err) });
  }
}

function warmUp({ decoders, images }) {
  if (!helperWorker || broken) return;
  warmUps = [...decoders];
  warmUpNext(images);
}

/**
 * One warm-up step per task, so that a request waits for one at most: the
 * browser compiles a function's optimised tier once it has run a while, and
 * the lab's worker shares the compiled module, so these steps, taken while
 * the page is idle, spare the user's first training steps the slow tier.
 */
function warmUpNext(images) {
  const decoder = warmUps.shift();
  if (decoder === undefined) return;
  try {
    helperWorker.warmUp(decoder, images);
  } catch (err) {
    warmUps = [];
    // A trap leaves the instance unusable: the next request is refused, and
    // the lab's worker trains alone.
    if (err instanceof WebAssembly.RuntimeError) broken = `its warm-up trapped: ${err.message}`;
    console.warn(`the second worker's warm-up stopped: ${err?.message ?? err}`);
  }
  setTimeout(() => warmUpNext(images));
}

/** The buffers of the reconstructions' images, to move rather than copy. */
const imageBuffers = (results) => results.map((result) => result.image.buffer);

function answer(request) {
  warmUps = [];
  const { id } = request;
  try {
    if (broken) throw new Error(broken);
    if (!helperWorker) throw new Error('the helper worker has not started');
    if (request.type === 'reconstruct') {
      const { decoders, parameters, image } = request;
      const results = helperWorker.reconstruct(decoders, parameters, image);
      post({ id, ok: true, results }, imageBuffers(results));
      return;
    }
    const { decoder, parameters, images } = request;
    const { loss, gradients } = helperWorker.gradients(decoder, parameters, images);
    post({ id, ok: true, loss, gradients }, [gradients.buffer]);
  } catch (err) {
    // A trap leaves the instance unusable: the lab's worker stops asking.
    post({ id, ok: false, error: err?.message ?? String(err), trapped: err instanceof WebAssembly.RuntimeError });
  }
}

self.addEventListener('message', ({ data }) => {
  if (data.type === 'start') start(data.module);
  else if (data.type === 'warm-up') warmUp(data);
  else if (data.type === 'stop-warm-up') warmUps = [];
  else answer(data);
});
