// Live training of the shown decoders: the settings, the loop (chunks of
// steps in the worker, sized to stay short so a reconstruction never waits
// long), reset, and the loss and meter charts.

import { LineChart } from './charts.js';
import { errorText } from './messages.js';

/**
 * A chunk of training should take about this long in the worker: a chunk
 * counts single models' steps, so it can stop part-way through a lock step
 * of every shown model, and a stroke's first move waits for no more than this.
 */
const CHUNK_TARGET_MS = 50;
/** The reconstructions and meter charts follow the models this often while training. */
const REFRESH_MS = 250;
/**
 * Drawing goes first: while ink arrived this recently, no new chunk starts,
 * so a stroke's reconstructions wait for at most the chunk already running.
 */
const DRAWING_HOLD_MS = 400;

/** Resolves once the pad has been still for DRAWING_HOLD_MS (or at once). */
async function drawingPause(ctx) {
  for (;;) {
    const still = performance.now() - (ctx.lastInkAt ?? Number.NEGATIVE_INFINITY);
    if (still >= DRAWING_HOLD_MS || !ctx.state.training) return;
    await new Promise((resolve) => setTimeout(resolve, DRAWING_HOLD_MS - still));
  }
}

/** The settings as the lab spells them. */
export function readSettings({ $ }) {
  return {
    optimizer: $('optimizer').value,
    learning_rate: Number($('learning-rate').value),
    batch_size: Math.round(Number($('batch-size').value)),
  };
}

export function setupTraining(ctx) {
  const { catalog, $, messages } = ctx;
  for (const { name, label } of catalog.optimizers) {
    $('optimizer').append(Object.assign(document.createElement('option'), { value: name, textContent: label }));
  }
  const defaults = catalog.training;
  $('optimizer').value = defaults.optimizer;
  $('learning-rate').value = String(defaults.learning_rate);
  $('batch-size').value = String(defaults.batch_size);
  $('batch-size').max = String(catalog.limits.batch_size);
  $('learning-rate').max = String(catalog.limits.learning_rate);
  $('seed').max = String(catalog.limits.seed);

  const series = [...ctx.views.values()].map(({ name, colour }) => ({ name, colour }));
  ctx.charts = {
    loss: new LineChart($('chart-loss'), { title: 'training loss (BCE)', series, log: true }),
    energy: new LineChart($('chart-energy'), { title: 'stride energy of the current input', series, log: true }),
    spread: new LineChart($('chart-spread'), { title: 'phase spread of the current input', series, log: true }),
  };
  ctx.probe.charts = ctx.charts;

  $('train').addEventListener('click', (event) => {
    if (ctx.state.training) pauseTraining(ctx);
    else startTraining(ctx);
    // When the click took effect on screen, for the tests and the benchmark:
    // the clock at the frame's rendering, not the frame's own timestamp, which
    // Chromium takes when the frame begins and so can precede the click.
    requestAnimationFrame(() => ctx.probe.clickLatencies.push(performance.now() - event.timeStamp));
  });

  // A new start point applies to the next Train (or Reset), and the Train
  // button says so, rather than silently training the current models on.
  for (const id of ['start-from', 'seed']) {
    $(id).addEventListener('change', () => {
      ctx.state.startChanged = true;
      if (!ctx.state.training) $('train').textContent = trainLabel(ctx);
    });
  }

  for (const id of ['optimizer', 'learning-rate', 'batch-size']) {
    $(id).addEventListener('change', async () => {
      if (id === 'optimizer') {
        const chosen = catalog.optimizers.find((o) => o.name === $('optimizer').value);
        $('learning-rate').value = String(chosen.default_learning_rate);
      }
      ctx.address.write();
      try {
        await ctx.client.call('configureTraining', [readSettings(ctx)]);
        messages.clear('train-message');
      } catch (err) {
        messages.error('train-message', `Settings not applied: ${errorText(err)}`);
      }
    });
  }
}

/**
 * Starts training the shown models (afresh first where "Start from" changed
 * since they began, as the Train button says); resolves once training has
 * stopped again.
 */
export function startTraining(ctx) {
  const { state, $ } = ctx;
  if (state.training) return ctx.trainingStopped;
  state.training = true;
  $('train').textContent = 'Pause';
  // One loop at a time: a loop paused a moment ago may still be finishing
  // its chunk; this one starts after it, and that one sees it is superseded.
  ctx.trainingGeneration = (ctx.trainingGeneration ?? 0) + 1;
  const generation = ctx.trainingGeneration;
  ctx.trainingStopped = (ctx.trainingStopped ?? Promise.resolve()).then(async () => {
    if (generation !== ctx.trainingGeneration || !state.training) return;
    if (state.startChanged && !(await resetModels(ctx, { keepTraining: true }))) {
      state.training = false;
      $('train').textContent = trainLabel(ctx);
      return;
    }
    await trainLoop(ctx, generation);
  });
  return ctx.trainingStopped;
}

/** Asks training to stop after the chunk in flight; resolves once it has. */
export function pauseTraining(ctx) {
  const { state, $ } = ctx;
  if (state.training) {
    state.training = false;
    $('train').textContent = trainLabel(ctx);
  }
  return ctx.trainingStopped ?? Promise.resolve();
}

/** What Train will do: continue the current models, or start afresh as "Start from" says. */
export function trainLabel({ state, $ }) {
  if (!state.startChanged) return 'Train';
  return $('start-from').value === 'scratch'
    ? `Train from scratch (seed ${$('seed').value})`
    : 'Train from the shipped weights';
}

/** Draws the current input's meters into the charts at `step`. */
function recordMeters(ctx, step) {
  const { state, charts } = ctx;
  for (const decoder of state.shown) {
    const result = state.results[decoder];
    if (!result) continue;
    charts.energy.add(decoder, step, result.meters.stride_energy);
    charts.spread.add(decoder, step, result.meters.polyphase_spread);
  }
  charts.energy.draw();
  charts.spread.draw();
}

/** Trains `modelSteps` single models' steps in the worker and charts their losses. */
async function trainChunk(ctx, modelSteps) {
  const { state, charts, probe } = ctx;
  const report = await ctx.client.call('train', [modelSteps]);
  for (const { decoder, first_step: first, losses } of report.losses) {
    for (const [i, loss] of losses.entries()) charts.loss.add(decoder, first + i, loss);
    probe.latestLosses[decoder] = losses.at(-1);
  }
  charts.loss.draw();
  if (report.workers === 1 && ctx.client.training.workers === 2) {
    // The second worker failed; the models were rolled back and trained alone.
    ctx.client.training = { workers: 1, why: report.why };
    ctx.showBackend();
    ctx.messages.error('train-message', `Training goes on in one worker: ${report.why}`);
  }
  probe.lastTrainReport = { ...report, milliseconds: ctx.client.lastMs };
  state.untrained = false;
  state.origin.steps = report.step;
  return report;
}

async function trainLoop(ctx, generation) {
  const { state, messages, $ } = ctx;
  const going = () => state.training && ctx.trainingGeneration === generation;
  try {
    await ctx.ensureTrainingData();
    await ctx.client.call('configureTraining', [readSettings(ctx)]);
    messages.status('Training… (on WebGPU the first steps compile kernels and are slow)');
    let report = null;
    let rate = '';
    let refreshedAt = Number.NEGATIVE_INFINITY;
    while (going()) {
      await drawingPause(ctx);
      if (!going()) break;
      report = await trainChunk(ctx, state.chunk);
      const msPerModelStep = ctx.client.lastMs / state.chunk;
      state.chunk = Math.max(
        1,
        Math.min(ctx.catalog.limits.model_steps_per_call, Math.round(CHUNK_TARGET_MS / msPerModelStep)),
      );
      const models = state.shown.length === 1 ? '1 model' : `${state.shown.length} models`;
      const workers = report.workers === 2 ? ', each step split between two workers' : '';
      const msPerStep = msPerModelStep * state.shown.length;
      rate = `${msPerStep.toFixed(0)} ms per step (${models}${workers})`;
      $('train-status').textContent = `step ${report.step} · ${rate}`;
      if (performance.now() - refreshedAt >= REFRESH_MS) {
        refreshedAt = performance.now();
        // The reconstruction follows the models; a drawing in progress has its own requests.
        ctx.live.request();
        recordMeters(ctx, report.step);
      }
      messages.status(`Training: step ${report.step}`);
    }
    // Paused part-way through a lock step: the models still to take it do,
    // so every model stops on the same step.
    if (report?.models_behind > 0) report = await trainChunk(ctx, report.models_behind);
    // The reconstructions and meters show the models where they stopped.
    if (report) {
      ctx.live.request();
      recordMeters(ctx, report.step);
    }
    if (ctx.trainingGeneration === generation) {
      messages.status('Paused', false);
      // Said beside the Train button too, where the click was.
      if (report) $('train-status').textContent = `Paused at step ${report.step} · ${rate}`;
    }
  } catch (err) {
    messages.error('train-message', `Training stopped: ${errorText(err)}`);
    messages.status('Training stopped', false);
  } finally {
    if (ctx.trainingGeneration === generation) {
      state.training = false;
      $('train').textContent = trainLabel(ctx);
    }
    try {
      await ctx.afterTraining();
    } finally {
      ctx.story?.update();
      // Counted last, so that a test waiting on it sees the models' records updated.
      ctx.probe.trainingStopped += 1;
    }
  }
}

/**
 * Replaces the models with the shipped or untrained ones, as the controls
 * say; `keepTraining` when Train called it. Its message goes to `slot`,
 * beside the control that asked (the story's box when the story did).
 * Returns whether it succeeded.
 */
export async function resetModels(ctx, { keepTraining = false, slot = 'train-message' } = {}) {
  const { state, $, messages } = ctx;
  state.training = keepTraining;
  const from = $('start-from').value;
  const seed = Math.max(0, Math.round(Number($('seed').value)));
  try {
    if (from === 'scratch') {
      await ctx.client.call('reset', [seed]);
    } else {
      await ctx.loadShippedWeights();
    }
    await ctx.forgetKept();
    await ctx.client.call('configureTraining', [readSettings(ctx)]);
    state.untrained = from === 'scratch';
    state.origin = from === 'scratch' ? { from, seed, steps: 0 } : { from: 'shipped', steps: 0 };
    state.startChanged = false;
    ctx.probe.lastTrainReport = null;
    ctx.probe.latestLosses = {};
    if (!state.training) $('train').textContent = trainLabel(ctx);
    for (const chart of Object.values(ctx.charts)) chart.clear();
    $('train-status').textContent = from === 'scratch' ? `untrained models, seed ${seed}` : 'shipped weights';
    messages.note(
      slot,
      from === 'scratch' ? `Models reset: untrained, seed ${seed}` : 'Models reset to the shipped weights',
    );
    await ctx.refreshDecoders();
    ctx.live.request();
    return true;
  } catch (err) {
    messages.error(slot, `Reset failed: ${errorText(err)}`);
    return false;
  }
}
