// End-to-end tests in real headless Chromium (Debian's), driven by
// playwright-core: the page as a user meets it, on WebGPU and on the CPU.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot, startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { STARTUP_MS, openPage as openAt, shot } from './browser-page.mjs';

let server;
let baseUrl;

before(async () => {
  server = await startServer({ port: 0 });
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
});

after(() => server?.close());

const openPage = (browser, query = '') => openAt(browser, baseUrl + query);
const view = (page) => page.evaluate(() => window.checkerlab.view());

const pickRange = ({ min, max }) => ({ min, max });

/** Mean per-pixel BCE of `output` against the soft target `target`. */
function bce(output, target) {
  let total = 0;
  for (let i = 0; i < target.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, output[i]));
    total -= target[i] * Math.log(p) + (1 - target[i]) * Math.log(1 - p);
  }
  return total / target.length;
}

/** The BCE of the best image that ignores the input's layout: its mean everywhere. */
function flatGuessBce(target) {
  const mean = target.reduce((s, v) => s + v, 0) / target.length;
  return bce(new Float32Array(target.length).fill(mean), target);
}

async function waitForNewReconstruction(page, since) {
  await page.waitForFunction((n) => window.checkerlab.reconstructions > n && window.checkerlab.settled(), since, {
    timeout: 120_000,
  });
}

/** How long the last click on Train or Pause took to show on screen, in ms. */
const lastClickLatency = (page) => page.evaluate(() => window.checkerlab.clickLatencies.at(-1));

/** The issue's bound for a click during training to take effect on screen. */
const CLICK_MS = 200;

/** A training report's time per single model's step. */
const msPerModelStep = (report) => report.milliseconds / report.losses.reduce((n, { losses }) => n + losses.length, 0);

/** Trains the shown models from scratch (seed 0) for `steps` steps; returns each one's losses. */
/**
 * Waits for `job` ('drawing' or 'training') to be timed on both backends
 * once the page is idle, and asserts it moved to the CPU, as it must beside
 * SwiftShader (WebGPU emulated on the CPU), with the backend line saying
 * so: first the plan, then `what` and the two figures. Returns them.
 */
async function assertTimedToCpu(page, job, what) {
  const line = page.locator('#backend');
  const label = { drawing: 'Drawing', training: 'Training' }[job];
  assert.match(await line.textContent(), new RegExp(`${label} runs on WebGPU: until both backends are timed`));
  await page.waitForFunction((key) => window.checkerlab.backend[key], `${job}Ms`, { timeout: 300_000 });
  const backend = await page.evaluate(() => window.checkerlab.backend);
  const ms = backend[`${job}Ms`];
  assert.equal(backend[job], 'cpu', JSON.stringify(backend));
  assert.ok(ms.cpu < ms.webgpu, JSON.stringify(ms));
  const figures = `${label} runs on the CPU: ${what} took [\\d.]+ ms on the CPU and [\\d.]+ ms on WebGPU`;
  assert.match(await line.textContent(), new RegExp(figures));
  return ms;
}

async function trainFromScratch(page, steps) {
  await page.selectOption('#start-from', 'scratch');
  await page.fill('#seed', '0');
  await page.click('#reset');
  await page.fill('#learning-rate', '0.003');
  await page.fill('#batch-size', '16');
  await page.locator('#batch-size').dispatchEvent('change');
  const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
  await page.click('#train');
  await page.waitForFunction((n) => (window.checkerlab.lastTrainReport?.step ?? 0) >= n, steps, {
    timeout: 14 * 60_000,
  });
  // The lab trains in its worker: the page takes the click at once.
  await page.click('#train'); // pause
  const latency = await lastClickLatency(page);
  assert.ok(latency < CLICK_MS, `Pause took ${latency.toFixed(0)} ms to show while training`);
  assert.equal(await page.locator('#train').innerText(), 'Train');
  await page.waitForFunction((n) => window.checkerlab.trainingStopped > n, stopped, { timeout: 14 * 60_000 });
  const series = await page.evaluate(() =>
    Object.fromEntries(
      window.checkerlab.charts.loss.series
        .filter((s) => s.points.length > 0)
        .map((s) => [s.name, s.points.map((p) => p[1])]),
    ),
  );
  for (const name of Object.keys(series)) series[name] = series[name].slice(0, steps);
  return series;
}

/** Results of the WebGPU run, for the CPU run to check against. */
const webgpuRun = {};

/** Console lines that mean a kernel did not run: a rejected shader or a caught panic. */
const kernelFailure = /shader|validation|panic|poison/i;

/**
 * A component view's 28x28 cells as signed values in [-1, 1] of its scale,
 * read from its pixels: red is positive, blue negative, white zero.
 */
function componentView(page, id) {
  return page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const cell = canvas.width / 28;
    const cells = [];
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const at = (Math.floor((r + 0.5) * cell) * canvas.width + Math.floor((c + 0.5) * cell)) * 4;
        cells.push((data[at] - data[at + 2]) / 255);
      }
    }
    return cells;
  }, id);
}

async function drawSeven(page) {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('#pad').boundingBox();
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  const stroke = [
    [0.25, 0.22],
    [0.72, 0.22],
    [0.62, 0.45],
    [0.5, 0.65],
    [0.42, 0.82],
  ];
  await page.mouse.move(...at(...stroke[0]));
  await page.mouse.down();
  for (const point of stroke.slice(1)) await page.mouse.move(...at(...point), { steps: 8 });
  await page.mouse.up();
}

/** Draws a seven and waits until the page shows its reconstructions. */
async function drawAndReconstruct(page) {
  const before = await page.evaluate(() => window.checkerlab.reconstructions);
  await drawSeven(page);
  await page.waitForFunction(
    (n) =>
      window.checkerlab.reconstructions > n &&
      window.checkerlab.settled() &&
      window.checkerlab.view().inputKind === 'drawing',
    before,
    { timeout: 120_000 },
  );
}

/** Shows every decoder in `names` that is not shown yet, one toggle at a time. */
async function showAll(page, names) {
  for (const name of names) {
    if (!(await view(page)).shown.includes(name)) await clickAndReconstruct(page, `#show-${name}`);
  }
}

/** Clicks `selector` and waits for the reconstructions it brings. */
async function clickAndReconstruct(page, selector) {
  const before = await page.evaluate(() => window.checkerlab.reconstructions);
  await page.click(selector);
  await waitForNewReconstruction(page, before);
}

const showDigit = (page, index) => clickAndReconstruct(page, `.digit[data-index="${index}"]`);

describe('on WebGPU', () => {
  let browser;
  let page;
  let consoleErrors;

  before(async () => {
    browser = await launchChromium({ webgpu: true });
    ({ page, consoleErrors } = await openPage(browser, '?backend=webgpu'));
  });

  after(async () => browser?.close());

  test('on a software adapter the page chooses the CPU and says why', async () => {
    const chosen = await openPage(browser);
    try {
      const backend = await chosen.page.evaluate(() => window.checkerlab.backend);
      assert.equal(backend.kind, 'cpu', JSON.stringify(backend));
      assert.match(
        await chosen.page.locator('#backend').textContent(),
        /CPU.*because the WebGPU adapter .* runs on the CPU in software.*\?backend=webgpu/s,
      );
    } finally {
      await chosen.page.close();
    }
  });

  test('the page reports Burn on WebGPU when asked and reconstructs at once', async () => {
    const backend = await page.evaluate(() => window.checkerlab.backend);
    assert.equal(backend.kind, 'webgpu', JSON.stringify(backend));
    assert.match(await page.locator('#backend').textContent(), /WebGPU/);
    const first = await view(page);
    assert.equal(first.inputKind, 'digit');
    assert.equal(first.outputs.upsample.length, 784);
    webgpuRun.firstOutputs = first.outputs;
    const timing = await page.evaluate(() => window.checkerlab.firstReconstructionMs);
    console.log(`# navigation to first reconstruction on WebGPU: ${(timing / 1000).toFixed(1)} s`);
    await shot(page, 'webgpu-start');
  });

  test("every decoder's gradient is computed at every layer on WebGPU", { timeout: 5 * 60_000 }, async () => {
    const names = await page.evaluate(() => window.checkerlab.catalog.decoders.map((d) => d.name));
    webgpuRun.gradients = {};
    for (const decoder of names) {
      const gradients = await page.evaluate((name) => window.checkerlab.layerGradients(name), decoder);
      webgpuRun.gradients[decoder] = gradients;
      // The encoder's six layers and at least the decoder's three 2x steps
      // and output, each with a gradient somewhere.
      assert.ok(gradients.layers.length >= 10, `${decoder}: ${gradients.layers.length} layers`);
      for (const { name, values } of [...gradients.layers, ...gradients.parameters]) {
        assert.ok(
          values.some((v) => v !== 0),
          `${decoder}: no gradient at ${name}`,
        );
      }
    }
  });

  test('a drawn digit gives two different reconstructions that resemble it', async () => {
    await drawAndReconstruct(page);
    const { input, outputs } = await view(page);
    assert.ok(
      input.some((v) => v > 0.5),
      'the drawing reached the model',
    );
    const difference = Math.max(...outputs.upsample.map((v, i) => Math.abs(v - outputs.transposed[i])));
    assert.ok(difference > 0.01, `the decoders agree to ${difference}`);
    // Resemblance: each reconstruction explains at least half of the BCE that
    // the best input-blind guess (the drawing's mean everywhere) leaves.
    const baseline = flatGuessBce(input);
    for (const decoder of ['upsample', 'transposed']) {
      const score = bce(outputs[decoder], input);
      assert.ok(score < 0.5 * baseline, `${decoder}: BCE ${score.toFixed(3)} vs flat guess ${baseline.toFixed(3)}`);
    }
    await shot(page, 'webgpu-drawn');
  });

  test('the toggle and its shortcut switch the main view', async () => {
    assert.equal(await page.locator('#main-name').innerText(), 'transposed');
    await page.click('#toggle');
    assert.equal(await page.locator('#main-name').innerText(), 'upsample');
    assert.equal((await view(page)).main, 'upsample');
    await page.locator('body').press('t');
    assert.equal(await page.locator('#main-name').innerText(), 'transposed');
  });

  test('the zoom appears over the panels with every panel at pixel scale', async () => {
    await page.check('#component');
    await page.locator('#panel-transposed').scrollIntoViewIfNeeded();
    const box = await page.locator('#panel-transposed').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForSelector('#zoom:not([hidden])');
    const panels = await page.locator('#zoom figure').count();
    assert.ok(panels >= 3, `${panels} panels in the zoom`);
    assert.match(await page.locator('#zoom').innerText(), /row 14, column 14/);
    await shot(page, 'webgpu-zoom');
    await page.mouse.move(1, 1);
    await page.uncheck('#component');
  });

  test('clicking a test digit reconstructs it', async () => {
    await showDigit(page, 3);
    const { inputKind, input, outputs } = await view(page);
    assert.equal(inputKind, 'digit');
    assert.equal(await page.locator('#caption-input').innerText(), 'MNIST test digit');
    assert.ok(input.filter((v) => v > 0.5).length > 40, 'a digit has ink');
    for (const decoder of ['upsample', 'transposed']) {
      // Trained weights reconstruct a test digit well.
      assert.ok(bce(outputs[decoder], input) < 0.25, `${decoder}: ${bce(outputs[decoder], input)}`);
    }
  });

  test('a code unit decodes directly and the spectrum follows the main view', async () => {
    await clickAndReconstruct(page, '#input-unit');
    assert.equal(
      await page.locator('#caption-input').innerText(),
      'code unit 0 of 128 alone, at its largest on the test digits',
    );
    const { inputKind, outputs } = await view(page);
    assert.equal(inputKind, 'unit');
    assert.equal(outputs.transposed.length, 784);
    const colours = await page.evaluate(() => {
      const canvas = document.getElementById('spectrum');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
      return seen.size;
    });
    assert.ok(colours > 20, `the spectrum has ${colours} colours`);
    await shot(page, 'webgpu-code-unit');
  });

  test('the probes show the checkerboard surviving training off the digits', async () => {
    await page.click('#measure-probes');
    await page.waitForSelector('#probe-table tr[data-probe="grey"]', { timeout: 120_000 });
    const probes = await page.evaluate(() => window.checkerlab.probes);
    const ratio = (key) => probes.transposed[key].stride_energy / probes.upsample[key].stride_energy;
    // The README's finding with the shipped weights: level on digits, far apart on grey.
    assert.ok(ratio('grey') > 10, `grey: ${ratio('grey')}`);
    assert.ok(ratio('digits') < 3, `digits: ${ratio('digits')}`);
    assert.equal(await page.locator('#probe-table tr').count(), 6);

    // Each cell's strip: the seed sweep's ranges from the shipped file, and a dot at the value measured now.
    const spread = JSON.parse(readFileSync(path.join(repositoryRoot, 'web', 'seed-spread.json'), 'utf8'));
    const strips = await page.evaluate(() =>
      [...document.querySelectorAll('#probe-table tr[data-probe]')].flatMap((row) =>
        [...row.querySelectorAll('td')].slice(1).map((td, column) => ({
          probe: row.dataset.probe,
          column,
          now: td.querySelector('.spread-now')?.dataset.value,
          bands: [...td.querySelectorAll('.spread-band')].map((b) => ({
            stage: b.classList[1],
            min: Number(b.dataset.min),
            max: Number(b.dataset.max),
          })),
        })),
      ),
    );
    const decoders = Object.keys(probes);
    assert.equal(strips.length, 5 * decoders.length, 'a strip in every cell');
    for (const { probe, column, now, bands } of strips) {
      const decoder = decoders[column];
      assert.equal(Number(now), probes[decoder][probe].stride_energy, `${decoder} on ${probe}: the dot is now`);
      assert.deepEqual(
        bands,
        ['untrained', 'trained'].map((stage) => ({
          stage,
          ...pickRange(spread.decoders[decoder].stages[stage][probe]),
        })),
        `${decoder} on ${probe}: the bands are the sweep's`,
      );
    }
    assert.match(await page.locator('#probe-legend').innerText(), /seeds of the shipped recipe/);
  });

  test('a corrupt weights file gives a message and changes nothing', async () => {
    const bytes = readFileSync(path.join(repositoryRoot, 'weights', 'upsample.ckpt'));
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await showDigit(page, 3);
    const beforeView = await view(page);
    await page.setInputFiles('#weights-file', {
      name: 'corrupt.ckpt',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    await page.waitForSelector('#weights-message .error', { timeout: 30_000 });
    assert.match(await page.locator('#weights-message').innerText(), /corrupt\.ckpt.*corrupt.*unchanged/s);
    await showDigit(page, 3);
    assert.deepEqual((await view(page)).outputs, beforeView.outputs, 'the models were not touched');
    await shot(page, 'webgpu-corrupt-weights');
    await page.click('#weights-message .dismiss');
    assert.equal(await page.locator('#weights-message').isVisible(), false);
  });

  test('each decoder toggle shows that decoder, trained, beside the others', async () => {
    const catalog = await page.evaluate(() => window.checkerlab.catalog);
    const names = catalog.decoders.map((d) => d.name);
    assert.ok(names.length >= 7, `${names.length} decoders`);
    assert.deepEqual(await page.evaluate(() => window.checkerlab.decoders.map((d) => d.name)), names);
    await showDigit(page, 3);
    for (const name of names.filter((n) => !catalog.first_shown.includes(n))) {
      assert.equal(await page.locator(`#panel-${name}`).isVisible(), false, `${name} starts hidden`);
      await clickAndReconstruct(page, `#show-${name}`);
      assert.equal(await page.locator(`#panel-${name}`).isVisible(), true, `${name} is shown`);
      assert.equal(await page.locator(`#show-${name}`).getAttribute('aria-pressed'), 'true');
      const { input, outputs, main } = await view(page);
      assert.equal(main, name, 'a decoder switched on takes the main view');
      assert.equal(await page.locator('#main-name').innerText(), name);
      // Its shipped weights reconstruct a test digit well.
      assert.ok(bce(outputs[name], input) < 0.25, `${name}: ${bce(outputs[name], input)}`);
    }
    const { outputs } = await view(page);
    assert.deepEqual(Object.keys(outputs), names);
    await shot(page, 'webgpu-all-decoders');
    await clickAndReconstruct(page, '#show-bilinear');
    assert.equal(await page.locator('#panel-bilinear').isVisible(), false);
    assert.equal((await view(page)).outputs.bilinear, undefined);
    await clickAndReconstruct(page, '#show-bilinear');
  });

  test("a few training steps on WebGPU lower every shown decoder's loss", { timeout: 15 * 60_000 }, async () => {
    const losses = await trainFromScratch(page, 12);
    const names = await page.evaluate(() => window.checkerlab.catalog.decoders.map((d) => d.name));
    assert.deepEqual(Object.keys(losses), names, 'every decoder trained');
    for (const [decoder, series] of Object.entries(losses)) {
      const last = series.slice(-3).reduce((s, v) => s + v, 0) / 3;
      assert.ok(last < series[0] - 0.02, `${decoder}: ${series[0].toFixed(4)} -> ${last.toFixed(4)}`);
    }
    webgpuRun.losses = losses;
    const report = await page.evaluate(() => window.checkerlab.lastTrainReport);
    console.log(`# WebGPU training, batch 16: ${msPerModelStep(report).toFixed(0)} ms per model's step`);
    await shot(page, 'webgpu-trained');
  });

  test('split by the address, WebGPU trains and the CPU draws the models as they are now', async () => {
    const split = await openPage(browser, '?backend=webgpu&draw=cpu');
    try {
      const backend = await split.page.evaluate(() => window.checkerlab.backend);
      assert.equal(backend.kind, 'webgpu', JSON.stringify(backend));
      assert.equal(backend.drawing, 'cpu', JSON.stringify(backend));
      assert.match(await split.page.locator('#backend').textContent(), /Drawing runs on the CPU: the address asks/);
      const first = await view(split.page);
      // The CPU's copies of the shipped models: the CPU page compares them with its own.
      webgpuRun.splitOutputs = first.outputs;
      const gap = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      const beforeTraining = await split.page.evaluate(
        (image) => window.checkerlab.reconstructDrawingOn(true, image),
        first.input,
      );

      // Each chunk trains on WebGPU; the page's reconstruction that follows it is the CPU's.
      await trainFromScratch(split.page, 4);
      const { input, outputs } = await view(split.page);
      const onWebgpu = await split.page.evaluate(
        (image) => window.checkerlab.reconstructDrawingOn(false, image),
        input,
      );
      const onCpu = await split.page.evaluate((image) => window.checkerlab.reconstructDrawingOn(true, image), input);
      for (const decoder of first.shown) {
        assert.ok(
          gap(outputs[decoder], onWebgpu[decoder]) < 1e-5,
          `${decoder}: the page drew weights WebGPU does not hold`,
        );
        assert.ok(gap(onCpu[decoder], onWebgpu[decoder]) < 1e-5, `${decoder}: the CPU's copy lags WebGPU's model`);
        assert.ok(gap(onCpu[decoder], beforeTraining[decoder]) > 1e-3, `${decoder}: training changed nothing drawn`);
      }
      assert.deepEqual(
        split.consoleErrors.filter((line) => kernelFailure.test(line)),
        [],
      );
    } finally {
      await split.page.close();
    }
  });

  test('timed once the page is idle, drawing goes to the faster backend and the page says so', async () => {
    // SwiftShader computes WebGPU on the CPU, far slower than the CPU path: the timing must pick the CPU.
    const timed = await openPage(browser, '?backend=webgpu&draw=measure');
    try {
      await assertTimedToCpu(timed.page, 'drawing', 'one reconstruction');
      // A digit drawn after the move is the CPU's, of the same models.
      await showDigit(timed.page, 4);
      const { input, outputs } = await view(timed.page);
      const onWebgpu = await timed.page.evaluate(
        (image) => window.checkerlab.reconstructDrawingOn(false, image),
        input,
      );
      for (const [decoder, output] of Object.entries(outputs)) {
        const gap = Math.max(...output.map((v, i) => Math.abs(v - onWebgpu[decoder][i])));
        assert.ok(gap < 1e-5, `${decoder}: ${gap}`);
      }
    } finally {
      await timed.page.close();
    }
  });

  test('split by the address, the CPU trains and WebGPU draws the models as they are now', async () => {
    const split = await openPage(browser, '?backend=webgpu&train=cpu&draw=webgpu');
    try {
      const backend = await split.page.evaluate(() => window.checkerlab.backend);
      assert.equal(backend.kind, 'webgpu', JSON.stringify(backend));
      assert.equal(backend.training, 'cpu', JSON.stringify(backend));
      assert.equal(backend.drawing, 'webgpu', JSON.stringify(backend));
      assert.match(await split.page.locator('#backend').textContent(), /Training runs on the CPU: the address asks/);
      const gap = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      const first = await view(split.page);
      const beforeTraining = await split.page.evaluate(
        (image) => window.checkerlab.reconstructDrawingOn(false, image),
        first.input,
      );

      // Each chunk trains on the CPU; the page's reconstruction that follows it is WebGPU's.
      await trainFromScratch(split.page, 4);
      const { input, outputs } = await view(split.page);
      const onCpu = await split.page.evaluate((image) => window.checkerlab.reconstructDrawingOn(true, image), input);
      const onWebgpu = await split.page.evaluate(
        (image) => window.checkerlab.reconstructDrawingOn(false, image),
        input,
      );
      for (const decoder of first.shown) {
        assert.ok(gap(outputs[decoder], onWebgpu[decoder]) < 1e-6, `${decoder}: the page drew another model`);
        assert.ok(gap(onWebgpu[decoder], onCpu[decoder]) < 1e-6, `${decoder}: WebGPU's copy lags the CPU's model`);
        assert.ok(gap(onWebgpu[decoder], beforeTraining[decoder]) > 1e-3, `${decoder}: training changed nothing drawn`);
      }
    } finally {
      await split.page.close();
    }
  });

  test('timed once the page is idle, training goes to the faster backend and the page says so', async () => {
    // On SwiftShader the CPU trains faster than emulated WebGPU: the timing must pick it.
    const timed = await openPage(browser, '?backend=webgpu&train=measure&draw=webgpu');
    try {
      const { cpu, webgpu } = await assertTimedToCpu(timed.page, 'training', 'a training step of the shown decoders');
      console.log(`a training round timed: ${cpu.toFixed(0)} ms on the CPU, ${webgpu.toFixed(0)} ms on SwiftShader`);
      assert.match(
        await timed.page.locator('#backend').textContent(),
        /trains on your computer's processor \(CPU\), and draws on your graphics card/,
      );
      // The timing changed no model: WebGPU still draws what the CPU holds, the
      // shipped models to the backends' rounding (as "WebGPU and the CPU
      // compute the same reconstructions" allows).
      const { input } = await view(timed.page);
      const onWebgpu = await timed.page.evaluate(
        (image) => window.checkerlab.reconstructDrawingOn(false, image),
        input,
      );
      const onCpu = await timed.page.evaluate((image) => window.checkerlab.reconstructDrawingOn(true, image), input);
      for (const [decoder, output] of Object.entries(onCpu)) {
        const gap = Math.max(...output.map((v, i) => Math.abs(v - onWebgpu[decoder][i])));
        assert.ok(gap < 1e-5, `${decoder}: ${gap}`);
      }
      // Another batch size has training timed again once the page is idle.
      assert.match(await timed.page.locator('#backend').textContent(), /on WebGPU \(batch 32\)/);
      await timed.page.fill('#batch-size', '8');
      await timed.page.locator('#batch-size').dispatchEvent('change');
      await timed.page.waitForFunction(() => window.checkerlab.backend.trainingWhy.endsWith('(batch 8)'), null, {
        timeout: 300_000,
      });
      assert.equal(await timed.page.evaluate(() => window.checkerlab.backend.training), 'cpu');
      assert.match(
        await timed.page.locator('#backend').textContent(),
        /Training runs on the CPU: a training step of the shown decoders took [\d.]+ ms on the CPU and [\d.]+ ms on WebGPU \(batch 8\)/,
      );
    } finally {
      await timed.page.close();
    }
  });

  test('no shader was rejected and no panic was caught', () => {
    assert.deepEqual(
      consoleErrors.filter((line) => kernelFailure.test(line)),
      [],
    );
  });
});

describe('without WebGPU', () => {
  let browser;
  let page;
  let consoleErrors;

  before(async () => {
    browser = await launchChromium();
    ({ page, consoleErrors } = await openPage(browser));
  });

  after(async () => browser?.close());

  test('the CPU fallback runs and says why', async () => {
    const backend = await page.evaluate(() => window.checkerlab.backend);
    assert.equal(backend.kind, 'cpu');
    const line = await page.locator('#backend').textContent();
    assert.match(line, /CPU/);
    assert.match(line, /because .*no adapter/);
    // The machines this runs on have two cores (a check that cannot run fails).
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.ok(cores >= 2, `the browser reports ${cores} cores: two training workers cannot be tested`);
    assert.match(line, /Training uses two workers: each step splits its batch between two workers/);
    const { input, outputs } = await view(page);
    assert.ok(bce(outputs.transposed, input) < 0.25);
    await shot(page, 'cpu-fallback');
  });

  test("the CPU draws the split page's copies of the shipped models as it draws its own", async () => {
    assert.ok(webgpuRun.splitOutputs, 'the split run recorded no reconstructions to compare with');
    const { outputs } = await view(page);
    for (const [decoder, split] of Object.entries(webgpuRun.splitOutputs)) {
      const gap = Math.max(...outputs[decoder].map((v, i) => Math.abs(v - split[i])));
      assert.ok(gap <= 1e-6, `${decoder}: the CPU page and the split page's CPU differ by ${gap}`);
    }
  });

  test('the overlap explorer shows the known k3/s2 and k4/s2 patterns', async () => {
    const interior = ({ side, map }, margin) => {
      const values = new Set();
      for (let r = margin; r < side - margin; r++) {
        for (let c = margin; c < side - margin; c++) values.add(map[r * side + c]);
      }
      return [...values].sort((a, b) => a - b);
    };
    const settle = (kernel, layers) =>
      page.waitForFunction(
        ([k, n]) =>
          window.checkerlab.overlap()?.layers[0].kernel === k && window.checkerlab.overlap().layers.length === n,
        [kernel, layers],
      );
    await settle(3, 1);
    let last = await page.evaluate(() => window.checkerlab.overlap());
    assert.equal(last.side, 9); // (4 - 1) * 2 + 3
    assert.deepEqual(interior(last, 2), [1, 2, 4]);
    assert.match(await page.locator('#overlap-summary').innerText(), /uneven/);
    await shot(page, 'overlap-k3s2');

    // A tiny input is all border: the page says so rather than blaming the stride.
    await page.selectOption('#overlap-input', '2');
    await page.waitForFunction(() => window.checkerlab.overlap()?.side === 5);
    const tiny = await page.locator('#overlap-summary').innerText();
    assert.match(tiny, /border effects/);
    assert.doesNotMatch(tiny, /checkerboard's cause/);
    await page.selectOption('#overlap-input', '4');
    await page.waitForFunction(() => window.checkerlab.overlap()?.side === 9);

    await page.selectOption('#overlap-kernel-1', '4');
    await settle(4, 1);
    last = await page.evaluate(() => window.checkerlab.overlap());
    assert.equal(last.side, 10);
    assert.deepEqual(interior(last, 2), [4]);
    assert.match(await page.locator('#overlap-summary').innerText(), /even overlap/);

    await page.selectOption('#overlap-kernel-1', '3');
    await page.check('#overlap-on-2');
    await settle(3, 2);
    last = await page.evaluate(() => window.checkerlab.overlap());
    assert.equal(last.side, 19);
    assert.ok(interior(last, 5).length > 3, 'two uneven layers compound the pattern');
  });

  test('WebGPU and the CPU compute the same reconstructions', async () => {
    assert.ok(webgpuRun.firstOutputs, 'the WebGPU run recorded no reconstructions to compare with');
    const { outputs } = await view(page);
    for (const decoder of ['upsample', 'transposed']) {
      const gap = Math.max(...outputs[decoder].map((v, i) => Math.abs(v - webgpuRun.firstOutputs[decoder][i])));
      assert.ok(gap < 1e-4, `${decoder}: WebGPU and CPU differ by ${gap}`);
    }
  });

  test("WebGPU and the CPU compute the same gradient at every layer of every decoder's shipped model", async () => {
    assert.ok(webgpuRun.gradients, 'the WebGPU run recorded no gradients to compare with');
    for (const [decoder, webgpu] of Object.entries(webgpuRun.gradients)) {
      const cpu = await page.evaluate((name) => window.checkerlab.layerGradients(name), decoder);
      for (const part of ['layers', 'parameters']) {
        cpu[part].forEach(({ name, values }, i) => {
          const other = webgpu[part][i];
          assert.equal(other.name, name);
          let gap = 0;
          let scale = 0;
          values.forEach((v, j) => {
            gap = Math.max(gap, Math.abs(v - other.values[j]));
            scale = Math.max(scale, Math.abs(v));
          });
          // At trained weights a gradient is a sum that nearly cancels, and
          // float order reaches 1.4e-4 of the largest (tests/webgpu-dawn.test.mjs).
          assert.ok(gap <= 1e-3 * scale, `${decoder}, ${name}: WebGPU and CPU differ by ${gap} of ${scale}`);
        });
      }
    }
  });

  test("on grey, the transposed decoder's stride-2 component alternates and upsample's is flat beside it", async () => {
    const since = await page.evaluate(() => window.checkerlab.reconstructions);
    await page.click('#input-grey');
    await waitForNewReconstruction(page, since);
    const transposed = await componentView(page, 'component-transposed');
    const upsample = await componentView(page, 'component-upsample');
    const peak = (cells) => Math.max(...cells.map(Math.abs));
    // Measured from the view's pixels: the share of its energy in patterns
    // that flip sign every pixel (stripes and checkerboard).
    const alternating = (cells) => {
      let flips = 0;
      let total = 0;
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 27; c++) {
          const [a, b] = [cells[r * 28 + c], cells[r * 28 + c + 1]];
          const [d] = r < 27 ? [cells[(r + 1) * 28 + c]] : [a];
          total += a * a;
          if (Math.sign(a) !== Math.sign(b) || Math.sign(a) !== Math.sign(d)) flips += a * a;
        }
      }
      return total > 0 ? flips / total : 0;
    };
    assert.ok(peak(transposed) > 0.9, `transposed peaks at ${peak(transposed)} of full scale`);
    assert.ok(alternating(transposed) > 0.9, `alternating share ${alternating(transposed)}`);
    assert.ok(
      peak(upsample) < 0.25 * peak(transposed),
      `upsample ${peak(upsample)} vs transposed ${peak(transposed)} on one scale`,
    );
    assert.match(await page.locator('#amplitude-transposed').innerText(), /^±[\d.]+ grey levels$/);
    assert.match(await page.locator('#component-scale').innerText(), /full colour = ±[\d.]+ grey levels of 255/);
    await shot(page, 'cpu-grey-components');
  });

  test('training on the CPU follows the same losses as on WebGPU', { timeout: 10 * 60_000 }, async () => {
    await showAll(page, await page.evaluate(() => window.checkerlab.catalog.decoders.map((d) => d.name)));
    const losses = await trainFromScratch(page, 12);
    const report = await page.evaluate(() => window.checkerlab.lastTrainReport);
    console.log(`# CPU training, batch 16: ${msPerModelStep(report).toFixed(0)} ms per model's step`);
    // Every step was split between the two workers, and lands where WebGPU's whole batches do.
    assert.equal(report.workers, 2);
    assert.match(await page.locator('#train-status').innerText(), /each step split between two workers/);
    assert.ok(webgpuRun.losses, 'the WebGPU run recorded no losses to compare with');
    assert.deepEqual(Object.keys(losses), Object.keys(webgpuRun.losses));
    for (const decoder of Object.keys(losses)) {
      const gap = Math.max(...losses[decoder].map((v, i) => Math.abs(v - webgpuRun.losses[decoder][i])));
      assert.ok(gap < 1e-3, `${decoder}: losses differ by up to ${gap}`);
    }
    assert.deepEqual(
      consoleErrors.filter((line) => kernelFailure.test(line)),
      [],
    );
  });
  test('a reload brings back the models trained before it', async () => {
    await page.waitForFunction(() => window.checkerlab.kept === true);
    const trained = await view(page);
    await page.reload();
    await page.waitForFunction(() => window.checkerlab?.ready === true, null, { timeout: STARTUP_MS });
    const decoders = await page.evaluate(() => window.checkerlab.decoders);
    assert.equal(decoders.length, (await page.evaluate(() => window.checkerlab.catalog.decoders)).length);
    for (const { name, origin } of decoders) assert.equal(origin, 'kept from your last visit', name);
    assert.match(await page.locator('#train-status').innerText(), /restored the models you trained/);
    const restored = await view(page);
    assert.equal(restored.inputKind, trained.inputKind);
    assert.deepEqual(restored.outputs, trained.outputs);
  });

  test('saved weights load back to identical reconstructions', async () => {
    await showDigit(page, 5);
    const trained = await view(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-transposed')]);
    assert.equal(download.suggestedFilename(), 'transposed.ckpt');
    const bytes = readFileSync(await download.path());

    await page.selectOption('#start-from', 'scratch');
    await page.click('#reset');
    await page.waitForFunction(
      () => document.querySelector('#train-status').textContent === 'untrained models, seed 0',
    );
    await page.setInputFiles('#weights-file', {
      name: 'transposed.ckpt',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    await page.waitForFunction(() =>
      /Loaded transposed\.ckpt into the transposed decoder/.test(
        document.querySelector('#weights-message').textContent,
      ),
    );
    // The step counter and the charts no longer describe the replaced model.
    assert.equal(await page.locator('#train-status').innerText(), 'transposed: weights from transposed.ckpt');
    const legend = await page.evaluate(() => window.checkerlab.charts.loss.legend.map((entry) => entry.name));
    assert.ok(!legend.includes('transposed'), `legend after the load: ${legend}`);
    await showDigit(page, 5);
    assert.deepEqual((await view(page)).outputs.transposed, trained.outputs.transposed);
  });

  test('after training from scratch, a reset brings the shipped weights back', async () => {
    await page.selectOption('#start-from', 'shipped');
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector('#train-status').textContent === 'shipped weights');
    await showDigit(page, 3);
    const { input, outputs } = await view(page);
    assert.equal(Object.keys(outputs).length, (await page.evaluate(() => window.checkerlab.catalog.decoders)).length);
    for (const decoder of Object.keys(outputs)) {
      assert.ok(bce(outputs[decoder], input) < 0.25, `${decoder}: ${bce(outputs[decoder], input)}`);
    }
  });

  test('Train after choosing "scratch" starts from untrained models, as its label says; note and charts follow', {
    timeout: 10 * 60_000,
  }, async () => {
    await page.selectOption('#start-from', 'scratch');
    await page.fill('#seed', '0');
    await page.locator('#seed').dispatchEvent('change');
    assert.equal(await page.locator('#train').innerText(), 'Train from scratch (seed 0)');
    const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
    await page.click('#train');
    await page.waitForFunction(() => (window.checkerlab.lastTrainReport?.step ?? 0) >= 2, null, {
      timeout: 8 * 60_000,
    });
    await page.click('#train');
    await page.waitForFunction((n) => window.checkerlab.trainingStopped > n, stopped, { timeout: 8 * 60_000 });
    assert.equal(await page.locator('#train').innerText(), 'Train');

    const { report, latest, decoders, shown, legend } = await page.evaluate(() => ({
      report: window.checkerlab.lastTrainReport,
      latest: window.checkerlab.latestLosses,
      decoders: window.checkerlab.decoders,
      shown: window.checkerlab.view().shown,
      legend: window.checkerlab.charts.loss.legend,
    }));
    for (const name of shown) {
      const record = decoders.find((d) => d.name === name);
      assert.match(record.origin, /seed 0, untrained/, `${name} started from scratch`);
      assert.equal(record.steps, report.step, `${name} trained only the steps since the reset`);
    }
    const note = await page.locator('#note').innerText();
    assert.doesNotMatch(note, /has learned|learned to hide/);
    assert.match(note, new RegExp(`started untrained \\(seed 0\\) and have trained here for ${report.step} steps`));
    // The loss chart's legend: the decoders that trained, each with its latest loss.
    assert.deepEqual(legend.map((entry) => entry.name).sort(), [...shown].sort());
    for (const entry of legend) {
      assert.equal(entry.latest, latest[entry.name], `${entry.name}'s legend shows its latest loss`);
    }

    await page.selectOption('#start-from', 'shipped');
    await page.click('#reset');
    await page.waitForFunction(() => document.querySelector('#train-status').textContent === 'shipped weights');
    assert.deepEqual(await page.evaluate(() => window.checkerlab.charts.loss.legend), [], 'a reset clears the charts');
  });

  test('a shared address restores the drawing, the decoders shown, the main view and the settings', async () => {
    await clickAndReconstruct(page, '#show-subpixel');
    await drawAndReconstruct(page);
    await page.click('#toggle');
    await page.check('#component');
    await page.fill('#batch-size', '64');
    await page.locator('#batch-size').dispatchEvent('change');
    await page.waitForFunction(() => /batch=64/.test(location.hash) && /component=1/.test(location.hash));
    const original = await view(page);
    const address = page.url();
    assert.match(address, /#.*input=drawing/);

    const copy = await openPage(browser, address.slice(baseUrl.length));
    try {
      const restored = await view(copy.page);
      assert.equal(restored.inputKind, 'drawing');
      assert.equal(restored.main, original.main);
      assert.deepEqual(restored.shown, original.shown);
      assert.equal(restored.shown.includes('subpixel'), false);
      assert.equal(await copy.page.locator('#panel-subpixel').isVisible(), false);
      assert.equal(await copy.page.locator('#component').isChecked(), true);
      assert.equal(await copy.page.locator('#batch-size').inputValue(), '64');
      const gap = Math.max(...restored.input.map((v, i) => Math.abs(v - original.input[i])));
      assert.ok(gap < 0.01, `the restored drawing differs by ${gap}`);
    } finally {
      await copy.page.close();
    }
  });

  test('a lab that traps is restarted with its models and the input, and the page says so', async () => {
    const hooked = await openPage(browser, '?backend=cpu&test-hooks');
    try {
      await showDigit(hooked.page, 4);
      const before = await view(hooked.page);
      const answer = await hooked.page.evaluate(() => window.checkerlab.trap());
      assert.match(answer, /unreachable|RuntimeError/i);
      await hooked.page.waitForFunction(
        () => window.checkerlab.restarts.length === 1 && window.checkerlab.settled(),
        null,
        {
          timeout: STARTUP_MS,
        },
      );
      const restartMs = await hooked.page.evaluate(() => window.checkerlab.restarts[0]);
      console.log(`# restart after a trap: ${(restartMs / 1000).toFixed(2)} s`);
      assert.match(await hooked.page.locator('#start-message').innerText(), /internal error.*restarted/s);
      const after = await view(hooked.page);
      assert.deepEqual(after.input, before.input, 'the input survives');
      assert.deepEqual(after.outputs, before.outputs, 'the same models answer it');
      // The new lab works: another digit reconstructs.
      await showDigit(hooked.page, 5);
      assert.equal((await view(hooked.page)).inputKind, 'digit');
    } finally {
      await hooked.page.close();
    }
  });

  test('when the second worker fails, training goes on in one and the page says so', async () => {
    assert.ok(webgpuRun.losses, 'the WebGPU run recorded no losses to compare with');
    const hooked = await openPage(browser, '?backend=cpu&test-hooks');
    try {
      assert.match(await hooked.page.locator('#backend').textContent(), /Training uses two workers/);
      assert.equal(await hooked.page.evaluate(() => window.checkerlab.stopHelper()), true);
      const losses = await trainFromScratch(hooked.page, 3);
      assert.equal((await hooked.page.evaluate(() => window.checkerlab.lastTrainReport)).workers, 1);
      assert.match(
        await hooked.page.locator('#train-message').innerText(),
        /Training goes on in one worker: the second worker failed \(it was stopped\)/,
      );
      assert.doesNotMatch(await hooked.page.locator('#backend').textContent(), /two workers/);
      // The failed call was rolled back and repeated alone: the models take
      // the steps they would have taken anywhere.
      assert.ok(Object.keys(losses).length > 0);
      for (const [decoder, series] of Object.entries(losses)) {
        assert.equal(series.length, 3, decoder);
        const gap = Math.max(...series.map((v, i) => Math.abs(v - webgpuRun.losses[decoder][i])));
        assert.ok(gap < 1e-3, `${decoder}: losses differ from WebGPU's by up to ${gap}`);
      }
    } finally {
      await hooked.page.close();
    }
  });

  test('on a 390 px phone the pad and the reconstructions are on screen together', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.goto(baseUrl);
    await phone.waitForFunction(() => window.checkerlab?.ready === true, null, { timeout: STARTUP_MS });
    await phone.evaluate(() => document.getElementById('pad').scrollIntoView({ block: 'start' }));
    const onScreen = async (selector) => {
      const box = await phone.locator(selector).boundingBox();
      return box && box.y >= 0 && box.y + box.height <= 844 && box.x >= 0 && box.x + box.width <= 390;
    };
    for (const selector of ['#pad', '#panel-input', '#panel-upsample', '#panel-transposed']) {
      assert.ok(await onScreen(selector), `${selector} is on screen with the pad`);
    }
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    await shot(phone, 'phone');
    await phone.close();
  });

  test('a latent walk between two digits decodes the path with every shown decoder', async () => {
    await showDigit(page, 0);
    const start = (await view(page)).outputs;
    await page.click('#walk-from');
    await showDigit(page, 1);
    const end = (await view(page)).outputs;
    await page.click('#walk-to');
    await page.click('#walk');
    await page.waitForSelector('.walk-row[data-decoder="transposed"] canvas');
    const walk = await page.evaluate(() => window.checkerlab.walk);
    const { shown } = await view(page);
    assert.deepEqual(
      walk.map((w) => [w.decoder, w.steps, w.length]),
      shown.map((d) => [d, 8, 8 * 784]),
    );
    assert.equal(await page.locator('.walk-row canvas').count(), 8 * shown.length);
    // The ends of the walk are the two digits' own reconstructions.
    for (const { decoder, first, last } of walk) {
      const gap = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      assert.ok(gap(first, start[decoder]) < 1e-4, `${decoder} start: ${gap(first, start[decoder])}`);
      assert.ok(gap(last, end[decoder]) < 1e-4, `${decoder} end: ${gap(last, end[decoder])}`);
    }
    await shot(page, 'latent-walk');
  });
});
