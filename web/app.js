// Wiring: the page's controls, the wasm lab, and what the user sees.

import { LabClient, LatestOnly } from './lab-client.js';
import { DrawPad } from './draw.js';
import { toMnist } from './preprocess.js';
import { paintImage, paintResidual, paintSpectrum, SIDE } from './render.js';
import { Zoom } from './zoom.js';
import { LineChart } from './charts.js';
import { OverlapExplorer } from './overlap.js';
import { decodeView, encodeView } from './share.js';
import { forgetModels, keepModels, keptModels } from './keep.js';
import { buildDecoderViews, showDecoderViews } from './panels.js';
import { whyDecoder } from './explain.js';
import { meterText, probeRows } from './meters.js';
import { walkRows } from './walk.js';

/** What a first visit shows: the two decoders the question is about. */
const FIRST_SHOWN = ['upsample', 'transposed'];
const DIGIT_STRIP = 24;
/** A training chunk should take about this long, so the page stays lively. */
const CHUNK_TARGET_MS = 250;

const $ = (id) => document.getElementById(id);

/** Every decoder's panel, toggle and save button, in the lab's order. */
let decoderViews = new Map();
const decoderNames = () => [...decoderViews.keys()];

const state = {
  input: new Float32Array(SIDE * SIDE),
  inputKind: 'digit',
  digit: 0,
  codeSeed: 1,
  codeUnit: -1,
  outputs: {},
  results: {},
  main: 'transposed',
  shown: FIRST_SHOWN,
  training: false,
  trainLoaded: false,
  untrained: false,
  chunk: 1,
};

// What the tests and benchmarks read; nothing in the page depends on it.
const probe = {
  firstReconstructionMs: null,
  reconstructions: 0,
  lastReconstructionMs: null,
  backend: null,
  ready: false,
  view: () => ({
    inputKind: state.inputKind,
    input: Array.from(state.input),
    outputs: Object.fromEntries(state.shown.map((d) => [d, state.outputs[d] ? Array.from(state.outputs[d]) : null])),
    results: Object.fromEntries(state.shown.map((d) => [d, state.results[d] ? { bce: state.results[d].bce, meters: state.results[d].meters } : null])),
    main: state.main,
    shown: [...state.shown],
  }),
};
window.checkerlab = probe;

function setStatus(text, busy = true) {
  $('status-text').textContent = text;
  $('status').classList.toggle('busy', busy);
}

function showError(message) {
  const item = document.createElement('div');
  item.className = 'error';
  item.textContent = message;
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.textContent = 'dismiss';
  dismiss.addEventListener('click', () => item.remove());
  item.append(' ', dismiss);
  $('errors').append(item);
}

const errorText = (err) => (err && err.message) || String(err);

window.addEventListener('checkerlab-panic', (event) => {
  showError(`Internal error in Checkerlab's Rust code: ${event.detail}. Reload the page to continue.`);
  setStatus('Stopped by an internal error', false);
  state.training = false;
});

async function fetchBytes(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch ${what} (${url}): ${errorText(err)}`);
  }
  if (!response.ok) throw new Error(`could not fetch ${what} (${url}): HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// ---- panels -----------------------------------------------------------

function paintPanels() {
  const input = $('panel-input');
  if (isCode(state.inputKind)) {
    const ctx = input.getContext('2d');
    ctx.fillStyle = '#222';
    ctx.fillRect(0, 0, input.width, input.height);
    ctx.fillStyle = '#aaa';
    ctx.font = '13px system-ui';
    ctx.fillText('no image: the decoders', 16, 80);
    ctx.fillText('get a code directly', 16, 100);
  } else {
    paintImage(input, state.input);
  }
  $('caption-input').textContent = {
    drawing: 'your drawing, as MNIST sees it',
    digit: 'MNIST test digit',
    blank: 'blank input',
    grey: 'constant grey input',
    noise: 'noise input',
    code: `random code #${state.codeSeed}`,
    unit: `code unit ${state.codeUnit} of 128 on`,
  }[state.inputKind];

  for (const decoder of state.shown) {
    const image = state.outputs[decoder];
    if (!image) continue;
    const view = decoderViews.get(decoder);
    paintImage(view.canvas, image);
    const result = state.results[decoder];
    const bce = result.bce === undefined ? '' : `BCE ${result.bce.toFixed(3)} · `;
    view.meter.textContent =
      `${bce}stride energy ${meterText(result.meters.stride_energy)} · phase spread ${meterText(result.meters.polyphase_spread)}`;
    view.bar.value = Math.min(0.2, result.meters.stride_energy);
  }
  paintMain();
}

function paintMain() {
  $('main-name').textContent = state.main;
  const image = state.outputs[state.main];
  if (!image) return;
  if ($('residual').checked) paintResidual($('main'), image);
  else paintImage($('main'), image);
  paintSpectrum($('spectrum'), client.lab.spectrum(image));
  for (const view of decoderViews.values()) {
    view.figure.classList.toggle('selected', view.name === state.main);
  }
  writeNote();
}

function writeNote() {
  const lines = [whyDecoder(state.main)];
  if (state.untrained) {
    lines.push('These models are untrained: the transposed decoder\'s checkerboard is there before any learning, because its 3x3 kernel with stride 2 overlaps unevenly: each output pixel gets 1, 2 or 4 taps depending on its position in the 2x2 grid.');
  }
  const byKind = {
    digit: 'Trained on MNIST with a per-pixel loss, the transposed decoder has learned to hide much of its checkerboard on digits like these. Switch on the checkerboard view, or feed it something it never saw.',
    drawing: 'Your drawing goes through the same MNIST preprocessing (20x20 box, centred by mass). The further it is from MNIST digits, the less training has taught the transposed decoder to cancel its pattern.',
    blank: 'A blank input: what each decoder paints when there is nothing to paint.',
    grey: 'A constant input is the plainest test. Upsampling then convolving gives every output pixel the same number of kernel taps; the transposed convolution does not, and the 2x2-phase pattern shows.',
    noise: 'Noise is nothing like the training digits, so nothing taught the transposed decoder to cancel its uneven overlap here.',
    code: 'This skips the encoder: each of the 128 code units comes from a different digit. The decoder\'s own structure shows through.',
    unit: 'One code unit on, the rest off: the decoder\'s impulse response for that unit. A pixel-wise loss on digits never asked for these to be smooth.',
  };
  lines.push(byKind[state.inputKind]);
  lines.push('Meters: stride energy is the share of the image\'s spectrum at the stride-2 frequencies (0 smooth, 1 a pure checkerboard); phase spread is how far apart the four 2x2 phases\' mean levels are.');
  $('note').replaceChildren(...lines.map((text) => Object.assign(document.createElement('p'), { textContent: text })));
}

// ---- reconstruction -----------------------------------------------------

let client;

const isCode = (kind) => kind === 'code' || kind === 'unit';

async function refresh() {
  const started = performance.now();
  const results = await client.run((lab) => {
    if (state.inputKind === 'code') return lab.decodeShuffledCode(state.codeSeed);
    if (state.inputKind === 'unit') return lab.decodeCodeUnit(state.codeUnit);
    return lab.reconstruct(state.input);
  });
  state.outputs = {};
  state.results = {};
  for (const result of results) {
    state.outputs[result.decoder] = result.image;
    state.results[result.decoder] = result;
  }
  const elapsed = performance.now() - started;
  probe.lastReconstructionMs = elapsed;
  probe.reconstructions += 1;
  paintPanels();
  return elapsed;
}

const liveRefresh = new LatestOnly(async () => {
  try {
    await refresh();
  } catch (err) {
    showError(`Reconstruction failed: ${errorText(err)}`);
  }
});

function useInput(kind, image) {
  state.inputKind = kind;
  if (image) state.input = image;
  // The drawing stays, dimmed, while another input is shown; drawing again revives it.
  $('pad').classList.toggle('inactive', kind !== 'drawing' && !pad.isEmpty);
  writeAddress();
  liveRefresh.request();
}

/**
 * Keeps the address in step with the view, so copying it shares the view.
 * Drawing changes the view every frame: the address is written once things
 * settle, since browsers throttle (and warn about) rapid history updates.
 */
let addressTimer = null;
function writeAddress() {
  clearTimeout(addressTimer);
  addressTimer = setTimeout(writeAddressNow, 250);
}

function writeAddressNow() {
  const settings = readSettings();
  const hash = encodeView({
    ...state,
    strokes: pad.strokes,
    residual: $('residual').checked,
    ...settings,
    seed: Math.round(Number($('seed').value)),
  });
  history.replaceState(null, '', `#${hash}`);
}

/** Applies a shared view from the address, once the lab and the digits are ready. */
async function applyAddress() {
  const shared = decodeView(location.hash);
  if (shared.optimizer) $('optimizer').value = shared.optimizer;
  if (shared.learningRate) $('learning-rate').value = String(shared.learningRate);
  if (shared.batchSize) $('batch-size').value = String(shared.batchSize);
  if (shared.seed !== undefined) $('seed').value = String(shared.seed);
  if (shared.optimizer || shared.learningRate || shared.batchSize) {
    await client.run((lab) => lab.configureTraining(readSettings()));
  }
  if (shared.shown) {
    const known = shared.shown.filter((name) => decoderViews.has(name));
    if (known.length > 0) await showDecoders(known);
  }
  if (shared.main && state.shown.includes(shared.main)) state.main = shared.main;
  $('residual').checked = shared.residual;
  zoom.setMode(shared.residual ? 'residual' : 'pixels');
  switch (shared.inputKind) {
    case 'digit':
      if (shared.digit !== undefined && shared.digit < 10_000) {
        state.digit = shared.digit;
        state.input = client.lab.testDigit(shared.digit);
        state.inputKind = 'digit';
      }
      break;
    case 'drawing':
      pad.setStrokes(shared.strokes);
      state.inputKind = 'drawing';
      state.input = toMnist(pad.ink(), $('pad').width, $('pad').height);
      break;
    case 'blank':
    case 'grey':
    case 'noise':
      state.inputKind = shared.inputKind;
      state.input = inputImage(shared.inputKind);
      break;
    case 'code':
      state.inputKind = 'code';
      state.codeSeed = shared.codeSeed ?? state.codeSeed;
      break;
    case 'unit':
      state.inputKind = 'unit';
      state.codeUnit = shared.codeUnit ?? 0;
      break;
    default:
  }
}

/** The synthetic inputs. */
function inputImage(kind) {
  const image = new Float32Array(SIDE * SIDE);
  if (kind === 'grey') image.fill(0.5);
  if (kind === 'noise') for (let i = 0; i < image.length; i++) image[i] = Math.random();
  return image;
}

// ---- drawing, digits, zoom ------------------------------------------------

let frameRequested = false;
const pad = new DrawPad($('pad'), () => {
  // Throttled to the frame rate: many pointer events, one conversion a frame.
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    if (!client) return;
    const { width, height } = $('pad');
    useInput(pad.isEmpty ? 'blank' : 'drawing', toMnist(pad.ink(), width, height));
  });
});
$('undo').addEventListener('click', () => pad.undo());
$('clear').addEventListener('click', () => pad.clear());

for (const kind of ['blank', 'grey', 'noise']) {
  $(`input-${kind}`).addEventListener('click', () => useInput(kind, inputImage(kind)));
}
$('input-code').addEventListener('click', () => {
  state.codeSeed += 1;
  useInput('code');
});
$('input-unit').addEventListener('click', () => {
  state.codeUnit = (state.codeUnit + 1) % 128;
  useInput('unit');
});

function fillDigitStrip() {
  const strip = $('digits');
  for (let index = 0; index < DIGIT_STRIP; index++) {
    const image = client.lab.testDigit(index);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'digit';
    button.title = `test digit ${index}: a ${client.lab.testLabel(index)}`;
    button.dataset.index = String(index);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 42;
    paintImage(canvas, image);
    button.append(canvas);
    button.addEventListener('click', () => {
      state.digit = index;
      useInput('digit', client.lab.testDigit(index));
    });
    strip.append(button);
  }
}

const zoom = new Zoom($('zoom'));
zoom.register($('panel-input'), 'input', () => (isCode(state.inputKind) ? null : state.input));
zoom.register($('main'), 'main', () => state.outputs[state.main], { shown: false });

/** The main view moves to the next shown decoder. */
function toggleMain() {
  const at = state.shown.indexOf(state.main);
  state.main = state.shown[(at + 1) % state.shown.length];
  paintMain();
  writeAddress();
}

/** Shows exactly `names` (in the lab's order), keeping the main view on a shown one. */
async function showDecoders(names) {
  const shown = decoderNames().filter((name) => names.includes(name));
  await client.run((lab) => lab.showDecoders(shown));
  state.shown = shown;
  if (!shown.includes(state.main)) state.main = shown[shown.length - 1];
  showDecoderViews(decoderViews, shown);
}

async function toggleDecoder(name) {
  const on = state.shown.includes(name);
  if (on && state.shown.length === 1) {
    setStatus('At least one decoder stays shown', false);
    return;
  }
  try {
    await showDecoders(on ? state.shown.filter((d) => d !== name) : [...state.shown, name]);
    if (!on) state.main = name;
    writeAddress();
    liveRefresh.request();
  } catch (err) {
    showError(`Could not change the decoders shown: ${errorText(err)}`);
  }
}
$('toggle').addEventListener('click', toggleMain);
$('residual').addEventListener('change', () => {
  zoom.setMode($('residual').checked ? 'residual' : 'pixels');
  paintMain();
  writeAddress();
});
document.addEventListener('keydown', (event) => {
  if (event.key.toLowerCase() === 't' && !event.target.closest('input, select, textarea')) toggleMain();
});

// ---- training -------------------------------------------------------------

/** One line per decoder; made once the lab has listed the decoders. */
let charts;

function makeCharts() {
  const series = [...decoderViews.values()].map(({ name, colour }) => ({ name, colour }));
  charts = {
    loss: new LineChart($('chart-loss'), { title: 'training loss (BCE)', series, log: true }),
    energy: new LineChart($('chart-energy'), { title: 'stride energy of the current input', series, log: true }),
    spread: new LineChart($('chart-spread'), { title: 'phase spread of the current input', series, log: true }),
  };
  probe.charts = charts;
}

function recordMeters(step) {
  for (const decoder of state.shown) {
    const result = state.results[decoder];
    if (!result) continue;
    charts.energy.add(decoder, step, result.meters.stride_energy);
    charts.spread.add(decoder, step, result.meters.polyphase_spread);
  }
  charts.energy.draw();
  charts.spread.draw();
}

function readSettings() {
  return {
    optimizer: $('optimizer').value,
    learningRate: Number($('learning-rate').value),
    batchSize: Math.round(Number($('batch-size').value)),
  };
}

async function ensureTrainingData() {
  if (state.trainLoaded) return;
  setStatus('Loading the 60,000 MNIST training digits (9.7 MB)…');
  const [images, labels] = await Promise.all([
    fetchBytes('data/mnist/train-images-idx3-ubyte.gz', 'the MNIST training images'),
    fetchBytes('data/mnist/train-labels-idx1-ubyte.gz', 'the MNIST training labels'),
  ]);
  await client.run((lab) => lab.loadMnist('train', images, labels));
  state.trainLoaded = true;
}

async function trainLoop() {
  try {
    await ensureTrainingData();
    await client.run((lab) => lab.configureTraining(readSettings()));
    setStatus('Training… (the first steps compile GPU kernels and are slow)');
    while (state.training) {
      const report = await client.run((lab) => lab.trainSteps(state.chunk));
      const first = report.step - state.chunk + 1;
      for (const { decoder, losses } of report.losses) {
        losses.forEach((loss, i) => charts.loss.add(decoder, first + i, loss));
      }
      charts.loss.draw();
      const msPerStep = report.milliseconds / state.chunk;
      state.chunk = Math.max(1, Math.min(20, Math.round(CHUNK_TARGET_MS / msPerStep)));
      const models = report.losses.length === 1 ? '1 model' : `${report.losses.length} models`;
      $('train-status').textContent = `step ${report.step} · ${msPerStep.toFixed(0)} ms per step (${models})`;
      probe.lastTrainReport = report;
      state.untrained = false;
      await refresh();
      recordMeters(report.step);
      setStatus(`Training: step ${report.step}`);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    setStatus('Paused', false);
  } catch (err) {
    showError(`Training stopped: ${errorText(err)}`);
    setStatus('Training stopped', false);
  } finally {
    state.training = false;
    $('train').textContent = 'Train';
    await refreshDecoders();
    await keepTrainedModels();
  }
}

/** Stores every model in this browser, so a reload brings them back. */
async function keepTrainedModels() {
  try {
    const files = {};
    for (const decoder of decoderNames()) files[decoder] = await client.run((lab) => lab.saveWeights(decoder));
    await keepModels(files);
    probe.kept = true;
  } catch (err) {
    console.warn(`could not keep the trained models in this browser: ${errorText(err)}`);
  }
}

/** Loads the models kept from an earlier visit, if any; says so. */
async function restoreKeptModels() {
  let record;
  try {
    record = await keptModels();
  } catch (err) {
    console.warn(`no access to kept models: ${errorText(err)}`);
    return;
  }
  if (!record) return;
  try {
    // A record from a version with fewer decoders restores the ones it has.
    for (const decoder of decoderNames().filter((d) => record.files[d])) {
      await client.run((lab) => lab.loadWeights(record.files[decoder], 'kept from your last visit'));
    }
    $('train-status').textContent =
      `restored the models you trained on ${new Date(record.kept).toLocaleString()} (Reset models for the shipped ones)`;
  } catch (err) {
    showError(`The models kept from your last visit could not be restored (${errorText(err)}); starting from the shipped weights.`);
    await forgetModels().catch(() => {});
    await loadShippedWeights().catch((e) => showError(errorText(e)));
  }
}

$('train').addEventListener('click', () => {
  if (!client) return;
  state.training = !state.training;
  $('train').textContent = state.training ? 'Pause' : 'Train';
  if (state.training) trainLoop();
});

for (const id of ['optimizer', 'learning-rate', 'batch-size']) {
  $(id).addEventListener('change', async () => {
    if ($(id).id === 'optimizer') $('learning-rate').value = $('optimizer').value === 'adadelta' ? '1' : '0.001';
    writeAddress();
    try {
      await client.run((lab) => lab.configureTraining(readSettings()));
    } catch (err) {
      showError(`Settings not applied: ${errorText(err)}`);
    }
  });
}

/** The shipped weights files as fetched at start, for "Reset models". */
const shippedWeights = {};

async function loadShippedWeights() {
  for (const decoder of decoderNames()) {
    const bytes = shippedWeights[decoder];
    if (!bytes) throw new Error(`the shipped ${decoder} weights did not load at start`);
    await client.run((lab) => lab.loadWeights(bytes, 'shipped weights'));
  }
}

$('reset').addEventListener('click', async () => {
  state.training = false;
  const from = $('start-from').value;
  try {
    if (from === 'scratch') {
      await client.run((lab) => lab.reset(Math.max(0, Math.round(Number($('seed').value)))));
    } else {
      await loadShippedWeights();
    }
    await forgetModels().catch(() => {});
    await client.run((lab) => lab.configureTraining(readSettings()));
    state.untrained = from === 'scratch';
    for (const chart of Object.values(charts)) chart.clear();
    $('train-status').textContent = from === 'scratch' ? 'untrained models' : 'shipped weights';
    setStatus(from === 'scratch' ? `Models reset: untrained, seed ${$('seed').value}` : 'Models reset to the shipped weights', false);
    await refreshDecoders();
    liveRefresh.request();
  } catch (err) {
    showError(`Reset failed: ${errorText(err)}`);
  }
});

// ---- probes -----------------------------------------------------------------

$('measure-probes').addEventListener('click', async () => {
  setStatus('Measuring the probes…');
  try {
    const results = await client.run((lab) => lab.probes());
    const byDecoder = Object.fromEntries(results.map((r) => [r.decoder, r.probes]));
    $('probe-table').replaceChildren(...probeRows(results.map((r) => r.decoder), byDecoder));
    probe.probes = byDecoder;
    setStatus('Probes measured', false);
  } catch (err) {
    showError(`Measuring the probes failed: ${errorText(err)}`);
    setStatus('Probes not measured', false);
  }
});

// ---- weights files ----------------------------------------------------------

$('weights-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const info = await client.run((lab) => lab.loadWeights(bytes, file.name));
    setStatus(`Loaded ${file.name} into the ${info.decoder} decoder`, false);
    state.untrained = false;
    await refreshDecoders();
    liveRefresh.request();
  } catch (err) {
    showError(`Could not load ${file.name}: ${errorText(err)}. The current models are unchanged.`);
  }
});

async function saveWeights(decoder) {
  try {
    const bytes = await client.run((lab) => lab.saveWeights(decoder));
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    link.download = `${decoder}.ckpt`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (err) {
    showError(`Could not save the ${decoder} weights: ${errorText(err)}`);
  }
}

async function refreshDecoders() {
  const decoders = await client.run((lab) => lab.decoders());
  for (const d of decoders) {
    decoderViews.get(d.name).figure.title = `${d.label}\n${d.parameters} parameters · ${d.origin} · ${d.steps} steps here\n` +
      d.layers.map((l) => `${l.name}: ${l.shape.slice(1).join('x')}`).join('\n');
  }
  probe.decoders = decoders;
}

// ---- latent walk -------------------------------------------------------------

const WALK_STEPS = 8;
const walk = { from: null, to: null };

function setWalkEnd(end) {
  if (isCode(state.inputKind)) {
    showError('A walk needs an image at each end: pick a test digit or draw one.');
    return;
  }
  walk[end] = Float32Array.from(state.input);
  $('walk-status').textContent = `start ${walk.from ? 'set' : 'not set'} · end ${walk.to ? 'set' : 'not set'}`;
  $('walk').disabled = !(walk.from && walk.to);
}
$('walk-from').addEventListener('click', () => setWalkEnd('from'));
$('walk-to').addEventListener('click', () => setWalkEnd('to'));

$('walk').addEventListener('click', async () => {
  try {
    const results = await client.run((lab) => lab.latentWalk(walk.from, walk.to, WALK_STEPS));
    $('walk-rows').replaceChildren(...walkRows(results, (decoder) => decoderViews.get(decoder).colour));
    probe.walk = results.map(({ decoder, steps, images }) => ({
      decoder,
      steps,
      length: images.length,
      first: Array.from(images.subarray(0, SIDE * SIDE)),
      last: Array.from(images.subarray((steps - 1) * SIDE * SIDE)),
    }));
  } catch (err) {
    showError(`The latent walk failed: ${errorText(err)}`);
  }
});

// ---- overlap explorer ------------------------------------------------------

const overlap = new OverlapExplorer(
  $('overlap'),
  (layers, inputSide) => client.run((lab) => lab.overlapMap(layers, inputSide)),
  showError,
);
probe.overlap = () => overlap.last;
probe.updateOverlap = () => overlap.update();

// ---- start -----------------------------------------------------------------

async function start() {
  const began = performance.now();
  const forceCpu = new URLSearchParams(location.search).get('backend') === 'cpu';
  try {
    setStatus('Starting the model (WebAssembly, then WebGPU if available)…');
    client = await LabClient.start({ forceCpu });
  } catch (err) {
    showError(`Checkerlab could not start: ${errorText(err)}`);
    setStatus('Could not start', false);
    return;
  }
  const backend = client.lab.backend();
  probe.backend = backend;
  $('backend').textContent = backend.fallbackReason
    ? `Running on ${backend.description}, because ${backend.fallbackReason}.`
    : `Running on ${backend.description}.`;
  $('backend').dataset.kind = backend.kind;

  decoderViews = buildDecoderViews(client.lab.decoders(), {
    panels: $('panels'),
    chooser: $('decoder-chooser'),
    saves: $('save-buttons'),
    onToggle: toggleDecoder,
    onSave: saveWeights,
  });
  for (const [name, view] of decoderViews) {
    zoom.register(view.canvas, name, () => (state.shown.includes(name) ? state.outputs[name] : null));
  }
  showDecoderViews(decoderViews, state.shown);
  makeCharts();

  setStatus('Loading the shipped weights and the MNIST test digits…');
  const weights = decoderNames().map(async (decoder) => {
    try {
      const bytes = await fetchBytes(`weights/${decoder}.ckpt`, `the ${decoder} weights`);
      await client.run((lab) => lab.loadWeights(bytes, 'shipped weights'));
      shippedWeights[decoder] = bytes;
    } catch (err) {
      state.untrained = true;
      showError(`The ${decoder} decoder starts untrained: ${errorText(err)}`);
    }
  });
  const digits = (async () => {
    const [images, labels] = await Promise.all([
      fetchBytes('data/mnist/t10k-images-idx3-ubyte.gz', 'the MNIST test images'),
      fetchBytes('data/mnist/t10k-labels-idx1-ubyte.gz', 'the MNIST test labels'),
    ]);
    await client.run((lab) => lab.loadMnist('test', images, labels));
  })();
  await Promise.all(weights);
  await restoreKeptModels();
  try {
    await digits;
    fillDigitStrip();
    state.input = client.lab.testDigit(0);
    state.inputKind = 'digit';
    await applyAddress();
  } catch (err) {
    showError(`The test digits are unavailable: ${errorText(err)}`);
    state.inputKind = 'blank';
  }
  try {
    setStatus('First reconstruction (compiling GPU kernels on first use)…');
    await refresh();
    probe.firstReconstructionMs = performance.now() - began;
    setStatus(`Ready: draw a digit (first reconstruction after ${(probe.firstReconstructionMs / 1000).toFixed(1)} s)`, false);
    await refreshDecoders();
    await overlap.update();
    writeAddress();
  } catch (err) {
    showError(`The first reconstruction failed: ${errorText(err)}`);
    setStatus('Started with errors', false);
  }
  probe.ready = true;
}

start();
