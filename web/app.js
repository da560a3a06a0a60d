// The orchestrator: starts the lab in its worker, builds the page from the
// lab's catalog and wires the modules together through one context object.
// Each module owns one job; this file only connects them.

import { LatestOnly } from './lab-client.js';
import { takeLab } from './lab-start.js';
import { backendSentence } from './backend-choice.js';
import { Messages, errorText } from './messages.js';
import { paintMain, paintPanels, refresh, setComponentView, setStretch } from './reconstruction.js';
import { fillDigitStrip, setupInputButtons, setupPad } from './inputs.js';
import { readSettings, resetModels, setupTraining } from './training.js';
import { saveWeights, setupSaveFormats, setupWeights } from './weights-files.js';
import { fetchGunzipped } from './fetch-files.js';
import { applyAddress, setupAddress } from './address.js';
import { buildDecoderViews, showDecoderViews } from './panels.js';
import { probeRows, spreadLegend } from './meters.js';
import { walkRows } from './walk.js';
import { Zoom } from './zoom.js';
import { OverlapExplorer } from './overlap.js';
import { Story } from './story.js';
import { setupGlossary } from './glossary.js';
import { SIDE } from './render.js';

const $ = (id) => document.getElementById(id);
/** Paint latencies kept for the benchmark: the latest this many. */
const LATENCY_WINDOW = 2000;

// What the tests and benchmarks read; nothing in the page depends on it.
const probe = {
  ready: false,
  reconstructions: 0,
  trainingStopped: 0,
  paintLatencies: [],
  clickLatencies: [],
  /** Each decoder's latest training loss, from the lab's reports. */
  latestLosses: {},
  restarts: [],
  recordPaint(ms) {
    probe.paintLatencies.push(ms);
    if (probe.paintLatencies.length > LATENCY_WINDOW) probe.paintLatencies.shift();
  },
};

/** Frames of a latent walk, within the lab's limits. */
const WALK_FRAMES = 8;
window.checkerlab = probe;

const ctx = {
  $,
  probe,
  messages: new Messages($),
  ready: false,
  state: {
    input: new Float32Array(SIDE * SIDE),
    inputKind: 'digit',
    /** The pad's ink changed since it was last read into `input`. */
    inkChanged: false,
    digit: 0,
    codeSeed: 1,
    codeUnit: -1,
    noiseSeed: 0,
    outputs: {},
    results: {},
    main: 'transposed',
    shown: [],
    training: false,
    trainLoaded: false,
    untrained: false,
    /** Where the current models began, and the steps trained here since. */
    origin: { from: 'shipped', steps: 0 },
    /** "Start from" or the seed changed since: the next Train starts afresh. */
    startChanged: false,
    chunk: 1,
  },
  isCode: (kind) => ctx.catalog.inputs.find((input) => input.name === kind)?.is_code ?? false,
};

/** Makes the lab's wasm instance trap (only with `?test-hooks`), to test the restart. */
probe.trap = () => ctx.client.call('trapForTest').catch((err) => err.message);
/** Stops the second worker (only with `?test-hooks`), to test training going on without it. */
probe.stopHelper = () => ctx.client.call('stopHelperForTest');

/**
 * The shown decoders' reconstructions of `image` with the views on the CPU's
 * copies of the models (`onCpu`) or beside WebGPU's training, where they
 * then stay: for comparing the two.
 */
probe.reconstructDrawingOn = async (onCpu, image) => {
  await ctx.client.call('drawOnCpu', [onCpu]);
  const results = await ctx.client.call('reconstruct', [Float32Array.from(image)]);
  return Object.fromEntries(results.map((r) => [r.decoder, Array.from(r.image)]));
};

/** A decoder's gradient at every layer and parameter, on this page's backend: for comparing backends. */
probe.layerGradients = (decoder) => ctx.client.call('layerGradients', [decoder]);

/** Whether every input so far has been sent and answered, and painted. */
probe.settled = () => (ctx.live?.idle ?? false) && (ctx.spectrum?.idle ?? true);

probe.view = () => {
  const { state } = ctx;
  const pick = (make) => Object.fromEntries(state.shown.map((d) => [d, make(d)]));
  return {
    inputKind: state.inputKind,
    input: Array.from(state.input),
    outputs: pick((d) => (state.outputs[d] ? Array.from(state.outputs[d]) : null)),
    results: pick((d) => (state.results[d] ? { bce: state.results[d].bce, meters: state.results[d].meters } : null)),
    main: state.main,
    shown: [...state.shown],
  };
};

/** Shows exactly `names` (in the lab's order), keeping the main view on a shown one. */
async function showDecoders(ctx, names) {
  const shown = ctx.catalog.decoders.map((d) => d.name).filter((name) => names.includes(name));
  // Only before the page is ready can a decoder still wait for its shipped model.
  await ctx.loadShipped(shown);
  await ctx.client.call('showDecoders', [shown]);
  ctx.state.shown = shown;
  if (!shown.includes(ctx.state.main)) ctx.state.main = shown[shown.length - 1];
  showDecoderViews(ctx.views, shown);
}

async function toggleDecoder(name) {
  const { state, messages } = ctx;
  const on = state.shown.includes(name);
  if (on && state.shown.length === 1) {
    messages.note('decoder-message', 'At least one decoder stays shown');
    return;
  }
  try {
    await showDecoders(ctx, on ? state.shown.filter((d) => d !== name) : [...state.shown, name]);
    if (!on) state.main = name;
    ctx.address.write();
    ctx.live.request();
  } catch (err) {
    messages.error('decoder-message', `Could not change the decoders shown: ${errorText(err)}`);
  }
}

/** The main view moves to the next shown decoder. */
function toggleMain() {
  const { state } = ctx;
  state.main = state.shown[(state.shown.indexOf(state.main) + 1) % state.shown.length];
  paintMain(ctx);
  ctx.address.write();
}

ctx.refreshDecoders = async () => {
  const decoders = await ctx.client.call('decoders');
  for (const d of decoders) {
    ctx.views.get(d.name).figure.title =
      `${d.label}\n${d.parameters} parameters · ${d.origin} · ${d.steps} steps here\n${d.layers
        .map((l) => `${l.name}: ${l.shape.slice(1).join('x')}`)
        .join('\n')}`;
  }
  probe.decoders = decoders;
};

/**
 * The backend line: one plain sentence of where the lab runs, and behind
 * "details" what runs it and why, where the views draw and whether two
 * workers train. Built once, so an open "details" stays open as it changes.
 */
ctx.showBackend = () => {
  const { backend, training } = ctx.client;
  const line = $('backend');
  if (!line.querySelector('details')) {
    const details = document.createElement('details');
    details.append(
      Object.assign(document.createElement('summary'), { textContent: 'details' }),
      document.createElement('span'),
    );
    line.replaceChildren(Object.assign(document.createElement('span'), { className: 'backend-plain' }), ' ', details);
  }
  const workersLine = training.workers === 2 ? ` Training uses two workers: ${training.why}.` : '';
  const where = (job) => (job === 'cpu' ? 'the CPU' : 'WebGPU');
  const jobsLine =
    backend.kind === 'webgpu'
      ? ` Drawing runs on ${where(backend.drawing)}: ${backend.drawingWhy}.` +
        ` Training runs on ${where(backend.training)}: ${backend.trainingWhy}.`
      : '';
  line.querySelector('.backend-plain').textContent = backendSentence(backend);
  line.querySelector('details span').textContent =
    `Running on ${backend.description}, because ${backend.reason}.${jobsLine}${workersLine}`;
  line.dataset.drawing = backend.drawing;
  line.dataset.training = backend.training;
  line.dataset.kind = backend.kind;
};

ctx.ensureTrainingData = async () => {
  if (ctx.state.trainLoaded) return;
  ctx.messages.status('Loading the 60,000 MNIST training digits (9.7 MB)…');
  const [images, labels] = await Promise.all([
    fetchGunzipped('data/mnist/train-images-idx3-ubyte.gz', 'the MNIST training images'),
    fetchGunzipped('data/mnist/train-labels-idx1-ubyte.gz', 'the MNIST training labels'),
  ]);
  await ctx.client.call('loadMnist', ['train', images, labels], [images.buffer, labels.buffer]);
  ctx.state.trainLoaded = true;
};

ctx.afterTraining = async () => {
  await ctx.refreshDecoders();
  await ctx.keepTrainedModels();
};

function wireControls() {
  $('toggle').addEventListener('click', toggleMain);
  $('component').addEventListener('change', () => setComponentView(ctx, $('component').checked));
  $('stretch').addEventListener('change', () => setStretch(ctx, $('stretch').checked));
  document.addEventListener('keydown', (event) => {
    if (event.key.toLowerCase() === 't' && !event.target.closest('input, select, textarea')) toggleMain();
  });
  $('reset').addEventListener('click', () => resetModels(ctx));

  $('measure-probes').addEventListener('click', async () => {
    ctx.messages.note('probes-message', 'Measuring the probes…');
    try {
      const results = await ctx.client.call('probes');
      const byDecoder = Object.fromEntries(results.map((r) => [r.decoder, r.probes]));
      const spread = await ctx.seedSpread;
      $('probe-table').replaceChildren(
        ...probeRows(
          ctx.catalog.probes,
          results.map((r) => r.decoder),
          byDecoder,
          spread,
        ),
      );
      $('probe-legend').textContent = spreadLegend(spread);
      probe.probes = byDecoder;
      ctx.messages.clear('probes-message');
    } catch (err) {
      ctx.messages.error('probes-message', `Measuring the probes failed: ${errorText(err)}`);
    }
  });

  const walk = { from: null, to: null };
  const setWalkEnd = (end) => {
    if (ctx.isCode(ctx.state.inputKind)) {
      ctx.messages.error('walk-message', 'A walk needs an image at each end: pick a test digit or draw one.');
      return;
    }
    walk[end] = Float32Array.from(ctx.state.input);
    $('walk-status').textContent = `start ${walk.from ? 'set' : 'not set'} · end ${walk.to ? 'set' : 'not set'}`;
    $('walk').disabled = !(walk.from && walk.to);
  };
  $('walk-from').addEventListener('click', () => setWalkEnd('from'));
  $('walk-to').addEventListener('click', () => setWalkEnd('to'));
  $('walk').addEventListener('click', async () => {
    try {
      const [fewest, most] = ctx.catalog.limits.walk_steps;
      const steps = Math.min(most, Math.max(fewest, WALK_FRAMES));
      const results = await ctx.client.call('latentWalk', [walk.from, walk.to, steps]);
      $('walk-rows').replaceChildren(...walkRows(results, (decoder) => ctx.views.get(decoder).colour));
      probe.walk = results.map(({ decoder, steps: count, images }) => ({
        decoder,
        steps: count,
        length: images.length,
        first: Array.from(images.subarray(0, SIDE * SIDE)),
        last: Array.from(images.subarray((count - 1) * SIDE * SIDE)),
      }));
    } catch (err) {
      ctx.messages.error('walk-message', `The latent walk failed: ${errorText(err)}`);
    }
  });
}

/** The seed sweep's spread, for the probes table; undefined (and said there) when it cannot load. */
ctx.seedSpread = fetch('web/seed-spread.json')
  .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
  .catch((err) => console.warn(`no seed spread: ${errorText(err)}`));

/** Starts a lab in a fresh worker and listens to it. */
async function startLab() {
  const client = await takeLab();
  client.on('log', ({ level, text }) => console[level](`[lab] ${text}`));
  client.on('panic', ({ text }) => console.error(`[lab] panic: ${text}`));
  client.on('trap', (message) => restartLab(message));
  client.on('jobs', ({ backend, training }) => {
    client.backend = backend;
    if (training) client.training = training;
    probe.backend = backend;
    ctx.showBackend();
  });
  ctx.client = client;
  probe.backend = client.backend;
  return client;
}

/** Gives a started lab its data and weights: the test digits, the shipped models, then any kept ones. */
async function loadLabData() {
  await ctx.fetchShipped();
  await ctx.restoreKeptModels();
  await ctx.client.testDigitsLoaded;
}

/** The test digits' and white noise's meters: only marks on the meter bars, which read without them. */
async function loadReferences() {
  ctx.references = await ctx.client.call('meterReferences').catch((err) => {
    console.error(`no meter references: ${errorText(err)}`);
    return undefined;
  });
  probe.references = ctx.references;
}

/**
 * A trap leaves a wasm instance unusable: replace the worker, give the new
 * lab the models kept in this browser (or the shipped ones), the decoders
 * shown and the settings, and repaint the current input. Models trained
 * since they were last kept are lost, and the message says so.
 */
async function restartLab(reason) {
  const { state, messages } = ctx;
  state.training = false;
  state.trainLoaded = false;
  $('train').textContent = 'Train';
  const began = performance.now();
  messages.status('Restarting the lab after an internal error…');
  ctx.client.terminate();
  try {
    await startLab();
    await loadLabData();
    await ctx.loadShipped(ctx.catalog.decoders.map((d) => d.name));
    await loadReferences();
    await ctx.client.call('showDecoders', [state.shown]);
    await ctx.client.call('configureTraining', [readSettings(ctx)]);
    await refresh(ctx);
    await ctx.refreshDecoders();
    probe.restarts.push(performance.now() - began);
    messages.error(
      'start-message',
      `The lab stopped on an internal error (${reason}) and was restarted with the models kept in this browser (or the shipped ones) and your input; training since the models were last kept is lost.`,
    );
    messages.status('Ready again after a restart', false);
  } catch (err) {
    messages.error(
      'start-message',
      `The lab stopped on an internal error and could not restart (${errorText(err)}): reload the page.`,
    );
    messages.status('Stopped by an internal error', false);
  }
}

async function start() {
  const { messages } = ctx;
  setupGlossary($('glossary-list'));
  setupPad(ctx);
  setupAddress(ctx, showDecoders);
  try {
    messages.status('Starting the lab (WebAssembly in a worker, then WebGPU or the CPU)…');
    await startLab();
    performance.mark('checkerlab:lab started');
  } catch (err) {
    messages.error('start-message', `Checkerlab could not start: ${errorText(err)}`);
    messages.status('Could not start', false);
    return;
  }
  const { client } = ctx;
  ctx.catalog = client.catalog;
  probe.catalog = client.catalog;
  ctx.showBackend();
  setupWeights(ctx);
  setupSaveFormats(ctx);
  // The lab takes its data and weights while the page builds its views.
  messages.status('Loading the shipped weights and the MNIST test digits…');
  const data = loadLabData();
  data.catch(() => {}); // reported where it is awaited

  ctx.state.shown = [...ctx.catalog.first_shown];
  ctx.views = buildDecoderViews(ctx.catalog.decoders, {
    panels: $('panels'),
    chooser: $('decoder-chooser'),
    saves: $('save-buttons'),
    onToggle: toggleDecoder,
    onSave: (name) => saveWeights(ctx, name),
  });
  ctx.zoom = new Zoom($('zoom'));
  ctx.zoom.register($('panel-input'), 'input', () => (ctx.isCode(ctx.state.inputKind) ? null : ctx.state.input));
  ctx.zoom.register($('main'), 'main', () => ctx.state.outputs[ctx.state.main], { shown: false });
  for (const [name, view] of ctx.views) {
    ctx.zoom.register(view.canvas, name, () => (ctx.state.shown.includes(name) ? ctx.state.outputs[name] : null));
  }
  showDecoderViews(ctx.views, ctx.state.shown);
  ctx.live = new LatestOnly(async (inputAt) => {
    try {
      await refresh(ctx, inputAt);
    } catch (err) {
      messages.error('input-message', `Reconstruction failed: ${errorText(err)}`);
    }
  });
  setupInputButtons(ctx);
  setupTraining(ctx);
  wireControls();
  const overlap = new OverlapExplorer(
    $('overlap'),
    (layers, inputSide) => ctx.client.call('overlapMap', [layers, inputSide]),
    (message) => messages.error('overlap-message', message),
    () => ctx.story?.update(),
  );
  ctx.overlap = overlap;
  probe.overlap = () => overlap.last;

  try {
    await data;
    ctx.state.input = (await client.call('testDigit', [0])).image;
    ctx.state.inputKind = 'digit';
    await applyAddress(ctx, showDecoders);
  } catch (err) {
    messages.error('start-message', `The test digits are unavailable: ${errorText(err)}`);
    ctx.state.inputKind = 'blank';
  }
  try {
    messages.status('First reconstruction…');
    // The shown decoders' models first; the others' while the page shows these.
    await ctx.loadShipped(ctx.state.shown);
    await refresh(ctx);
    performance.mark('checkerlab:first reconstruction');
    // From navigation (the page's time origin), as a visitor waits for it.
    probe.firstReconstructionMs = performance.now();
    await ctx.loadShipped(ctx.catalog.decoders.map((d) => d.name));
    messages.status(
      `Ready: draw a digit (first reconstruction after ${(probe.firstReconstructionMs / 1000).toFixed(1)} s)`,
      false,
    );
    await loadReferences();
    paintPanels(ctx);
    await fillDigitStrip(ctx).catch((err) =>
      messages.error('input-message', `No test digits to pick: ${errorText(err)}`),
    );
    await ctx.refreshDecoders();
    await overlap.update();
    ctx.address.write();
  } catch (err) {
    messages.error('start-message', `The first reconstruction failed: ${errorText(err)}`);
    messages.status('Started with errors', false);
  }
  ctx.showDecoders = (names) => showDecoders(ctx, names);
  ctx.story = new Story(ctx, { showDecoders: ctx.showDecoders });
  ctx.ready = true;
  probe.ready = true;
}

start();
