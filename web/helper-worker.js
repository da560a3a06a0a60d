// The second core's share of the lab's work on the CPU (crates/model's
// data_parallel): the gradient of half a training batch, or the later share
// of the shown decoders' reconstructions, at the parameters each request
// carries. Started by the lab's worker (helper-client.js), which requests
// 'start' first, then 'answer' with the lab's encoded requests, and sends
// {type: 'warm-up', decoders, images} once the page is idle; it holds no
// state a request could depend on.

import init, { HelperWorker } from './pkg/checkerlab_cpu.js';
import { answer } from './worker-protocol.js';

let helperWorker = null;
/** Why requests are refused, once the instance cannot be trusted. */
let broken = null;
/** Warm-up steps still to take: dropped when the first request comes. */
let warmUps = [];

async function start(module) {
  // The lab's compiled CPU module when it has one, else fetched and compiled here.
  await init(module ? { module_or_path: module } : undefined);
  helperWorker = new HelperWorker();
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

/** The encoded reply to the lab's encoded request. */
function answerLab(request) {
  if (broken) throw new Error(broken);
  if (!helperWorker) throw new Error('the helper worker has not started');
  try {
    return helperWorker.answer(request);
  } catch (err) {
    // A trap leaves the instance unusable: later requests are refused.
    if (err instanceof WebAssembly.RuntimeError) broken = `it trapped: ${err.message}`;
    throw err;
  }
}

self.addEventListener('message', ({ data }) => {
  if (data.type === 'warm-up') warmUp(data);
  else if (data.type === 'stop-warm-up') warmUps = [];
  else {
    warmUps = [];
    const { id, method, args } = data;
    answer(id, () => (method === 'start' ? start(...args) : answerLab(...args)));
  }
});
