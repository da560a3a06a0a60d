// Where the time to the first reconstruction goes: each call the page makes
// to the lab's worker on the way, when it was sent and answered (from
// navigation) and how long the worker spent on it, with the wasm's download
// and the page's own marks; the median of several loads, each in a fresh
// browser context (an empty cache, as a first visit). Prints one table and,
// with --out, writes it.
//
//   node benchmarks/start.mjs [--loads 9] [--query '?backend=cpu'] [--out FILE.md] [--json FILE]

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/chromium.mjs';
import { startServer } from '../scripts/serve.mjs';

const { values: options } = parseArgs({
  options: {
    loads: { type: 'string', default: '9' },
    query: { type: 'string', default: '' },
    out: { type: 'string' },
    // The median as JSON, for scripts that compare builds (cpu-builds.sh).
    json: { type: 'string' },
  },
});

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** One load: the page's worker calls until the first reconstruction, and its marks. */
async function load(browser, url) {
  const page = await browser.newPage();
  try {
    // Watches the worker's messages from the page's side, before any script runs.
    await page.addInitScript(() => {
      window.labCalls = [];
      const Base = window.Worker;
      window.Worker = class extends Base {
        constructor(...args) {
          super(...args);
          const sent = new Map();
          this.addEventListener('message', ({ data }) => {
            const call = data?.id && sent.get(data.id);
            if (call) window.labCalls.push({ ...call, answered: performance.now(), workerMs: data.ms ?? null });
          });
          const post = this.postMessage.bind(this);
          this.postMessage = (message, transfer) => {
            if (message?.id) sent.set(message.id, { method: message.method, sent: performance.now() });
            return post(message, transfer);
          };
        }
      };
    });
    await page.goto(url);
    await page.waitForFunction(() => window.checkerlab?.firstReconstructionMs > 0, null, { timeout: 600_000 });
    return await page.evaluate(() => {
      const first = window.checkerlab.firstReconstructionMs;
      const wasm = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.endsWith('_bg.wasm'))
        .map((e) => ({ name: e.name.split('/').pop(), start: e.startTime, end: e.responseEnd }));
      const mark = (name) => performance.getEntriesByName(`checkerlab:${name}`)[0]?.startTime;
      return {
        first,
        wasm,
        labStarted: mark('lab started'),
        calls: window.labCalls.filter((call) => call.sent < first),
      };
    });
  } finally {
    await page.close();
  }
}

const server = await startServer({ port: 0 });
const url = `http://127.0.0.1:${server.address().port}/${options.query}`;
const browser = await launchChromium({ webgpu: true });
const loads = [];
try {
  for (let i = 0; i < Number(options.loads); i++) loads.push(await load(browser, url));
} finally {
  await browser.close();
  server.close();
}

// The calls in the order the page made them; a load whose sequence differs
// (a call more or fewer) is reported, not merged.
const signature = (run) => run.calls.map((call) => call.method).join(',');
const common = median(loads.map((run) => run.calls.length));
const alike = loads.filter((run) => run.calls.length === common && signature(run) === signature(loads[0]));
const ms = (x) => (x === undefined || x === null ? '-' : `${Math.round(x)} ms`);
const lines = [
  `# The way to the first reconstruction: ${new Date().toISOString().slice(0, 10)}`,
  '',
  `${os.cpus().length} × ${os.cpus()[0].model}, headless Chromium ${browser.version()}; page \`/${options.query}\`; medians of ${loads.length} loads, each in a fresh browser context; times from navigation.`,
  '',
  `Navigation to the first reconstruction: ${ms(median(loads.map((run) => run.first)))} (${ms(Math.min(...loads.map((run) => run.first)))} to ${ms(Math.max(...loads.map((run) => run.first)))}).`,
  ...loads[0].wasm.map(
    ({ name }) =>
      `${name}: fetched (and compiled as it streamed in) from ${ms(median(loads.map((run) => run.wasm.find((w) => w.name === name)?.start)))} to ${ms(median(loads.map((run) => run.wasm.find((w) => w.name === name)?.end)))}.`,
  ),
  `The lab started (the page's mark): ${ms(median(loads.map((run) => run.labStarted)))}.`,
  '',
  '| call to the worker | sent | answered | in the worker |',
  '| --- | --- | --- | --- |',
];
for (let i = 0; i < common && alike.length; i++) {
  const column = (key) => median(alike.map((run) => run.calls[i][key]));
  lines.push(
    `| ${alike[0].calls[i].method} | ${ms(column('sent'))} | ${ms(column('answered'))} | ${ms(column('workerMs'))} |`,
  );
}
if (alike.length < loads.length) {
  lines.push('', `${loads.length - alike.length} of the loads made other calls and are left out of the table.`);
}
const table = lines.join('\n');
console.log(table);
if (options.out) writeFileSync(options.out, `${table}\n`);
if (options.json)
  writeFileSync(options.json, `${JSON.stringify({ firstMs: median(loads.map((run) => run.first)) })}\n`);
