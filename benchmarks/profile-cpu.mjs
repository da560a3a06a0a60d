// Where the CPU (wasm) training step spends its time: Chromium's sampling
// profiler on the lab's worker while the benchmark harness trains one
// decoder, then the functions with the most self and total time. The wasm
// must keep its name section (wasm-opt -g, not --strip-debug) for Rust names:
// benchmarks/profile-cpu.sh makes such a build and runs this on it.
//
//   node --experimental-websocket benchmarks/profile-cpu.mjs [--decoder upsample] [--steps 40] [--top 30]

import { parseArgs } from 'node:util';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';

const { values: options } = parseArgs({
  options: {
    decoder: { type: 'string', default: 'upsample' },
    steps: { type: 'string', default: '40' },
    top: { type: 'string', default: '30' },
  },
});
for (const name of ['steps', 'top']) {
  if (!/^[1-9]\d*$/.test(options[name]))
    throw new Error(`--${name} takes a positive whole number, not '${options[name]}'`);
}
if (!['upsample', 'transposed'].includes(options.decoder)) {
  // The harness reads a decoder's steps by name; any of the lab's decoders would do.
  console.warn(`profiling '${options.decoder}': the lab refuses it if it is not one of its decoders`);
}
const BENCHMARK_FILES = [/^benchmarks\/harness\.(html|js)$/, /^benchmarks\/tfjs-model\.js$/];
const PORT = 9333;

/** A CDP connection to the whole browser, with flat sessions for its targets. */
async function connect() {
  const { webSocketDebuggerUrl } = await (await fetch(`http://127.0.0.1:${PORT}/json/version`)).json();
  const socket = new WebSocket(webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let next = 0;
  const waiting = new Map();
  socket.onmessage = ({ data }) => {
    const message = JSON.parse(data);
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.error) pending.reject(new Error(JSON.stringify(message.error)));
    else pending.resolve(message.result);
  };
  const send = (method, params = {}, sessionId = undefined) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params, sessionId }));
    });
  return { send, close: () => socket.close() };
}

/** Self and total microseconds per function name in a CDP profile. */
function tally(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const interval = new Map();
  // Each sample's time is the gap to the next one.
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    interval.set(profile.samples[i], (interval.get(profile.samples[i]) ?? 0) + delta);
  }
  const self = new Map();
  const total = new Map();
  // A script's top level by its path: the server's port changes between runs.
  const where = (url) => (url ? new URL(url).pathname : 'anonymous');
  const name = (node) => node.callFrame.functionName || `(${where(node.callFrame.url)})`;
  const walk = (node, onStack) => {
    const own = interval.get(node.id) ?? 0;
    const key = name(node);
    self.set(key, (self.get(key) ?? 0) + own);
    let sum = own;
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const child of node.children ?? []) sum += walk(byId.get(child), onStack);
    if (fresh) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + sum);
    }
    return sum;
  };
  const all = walk(profile.nodes[0], new Set());
  return { self, total, all };
}

const server = await startServer({ port: 0, also: BENCHMARK_FILES });
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium({ extra: [`--remote-debugging-port=${PORT}`] });
const cdp = await connect();
try {
  const page = await browser.newPage();
  await page.goto(`${base}benchmarks/harness.html`);
  await page.waitForFunction(() => window.harnessReady, null, { timeout: 120_000 });
  const settings = { backend: 'cpu', decoders: [options.decoder], batch: 128, warmup: 0, updates: 0, chunk: 1 };
  // A short run first, so that the worker exists and is warm when profiled.
  const warm = page.evaluate((run) => window.harness.checkerlab(run), { ...settings, steps: 3 });
  let worker;
  for (let tries = 0; !worker && tries < 600; tries++) {
    const { targetInfos } = await cdp.send('Target.getTargets');
    worker = targetInfos.find((target) => target.type === 'worker');
    if (!worker) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!worker) throw new Error('no worker target appeared');
  await warm;
  // Each harness run starts its own worker: profile the next one from its start.
  const run = page.evaluate((run) => window.harness.checkerlab(run), { ...settings, steps: Number(options.steps) });
  let sessionId;
  for (let tries = 0; !sessionId && tries < 600; tries++) {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const fresh = targetInfos.find((target) => target.type === 'worker' && target.targetId !== worker.targetId);
    if (fresh) ({ sessionId } = await cdp.send('Target.attachToTarget', { targetId: fresh.targetId, flatten: true }));
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!sessionId) throw new Error('the profiled run started no worker');
  await cdp.send('Profiler.enable', {}, sessionId);
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 }, sessionId);
  await cdp.send('Profiler.start', {}, sessionId);
  const result = await run;
  const { profile } = await cdp.send('Profiler.stop', {}, sessionId);
  const { self, total, all } = tally(profile);
  const stepMs = result.training[options.decoder].stepMs;
  const sorted = [...stepMs].sort((a, b) => a - b);
  console.log(
    `## ${options.decoder}: ${stepMs.length} steps at batch 128 (median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms while sampled), ${(all / 1e3).toFixed(0)} ms sampled, Chromium ${browser.version()}\n`,
  );
  const show = (title, table) => {
    console.log(`| ${title} | ms | share |\n| --- | --- | --- |`);
    for (const [key, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, Number(options.top))) {
      console.log(
        `| \`${key.slice(0, 120).replaceAll('|', '\\|')}\` | ${(us / 1e3).toFixed(0)} | ${((100 * us) / all).toFixed(1)} % |`,
      );
    }
    console.log();
  };
  show('function, self time', self);
  show('function, total time', total);
} finally {
  cdp.close();
  await browser.close();
  server.close();
}
