// The reconstructions: asking the lab for the shown decoders' answers to
// the current input, and painting them (panels, main view, spectrum, note).

import { greyText, paintComponent, paintImage, paintSpectrum, strideComponent } from './render.js';
import { meterScaleText, meterText, setMeterBar } from './meters.js';
import { wholeNumbers } from './whole-numbers.js';
import { withTerms, writeWithTerms } from './glossary.js';
import { readPad } from './inputs.js';
import { LatestOnly } from './lab-client.js';

/** Asks the lab for the current input's reconstructions and paints them. */
export async function refresh(ctx, inputAt = performance.now()) {
  const { state } = ctx;
  readPad(ctx);
  const kind = state.inputKind;
  let results;
  if (kind === 'code') results = await ctx.client.call('decodeShuffledCode', [state.codeSeed]);
  else if (kind === 'unit') results = await ctx.client.call('decodeCodeUnit', [state.codeUnit]);
  else results = await ctx.client.call('reconstruct', [state.input]);
  state.outputs = {};
  state.results = {};
  for (const result of results) {
    state.outputs[result.decoder] = result.image;
    state.results[result.decoder] = result;
  }
  paintPanels(ctx);
  ctx.probe.reconstructions += 1;
  // The frame that shows this input's reconstructions: the latency a user
  // feels, read when that frame renders (see the Train button's latency).
  requestAnimationFrame(() => ctx.probe.recordPaint(performance.now() - inputAt));
  paintMain(ctx);
  ctx.story?.update();
}

/** Paints the reconstructions over their own range (see `paintImage`), or as they are. */
export function setStretch(ctx, on) {
  ctx.$('stretch').checked = on;
  paintPanels(ctx);
  paintMain(ctx);
  ctx.address.write();
}

/** Shows the panels' stride-2 components in the main view and the zoom, or their pixels. */
export function setComponentView(ctx, on) {
  ctx.$('component').checked = on;
  ctx.zoom.setMode(on ? 'component' : 'pixels');
  paintMain(ctx);
  ctx.address.write();
}

/** What the input panel's caption calls the current input. */
export function inputCaption(ctx) {
  const { state, catalog } = ctx;
  const entry = catalog.inputs.find((input) => input.name === state.inputKind);
  if (state.inputKind === 'code') return `${entry.caption} #${state.codeSeed}`;
  if (state.inputKind === 'unit')
    return `code unit ${state.codeUnit} of ${catalog.code_units} alone, at its largest on the test digits`;
  return entry.caption;
}

/** The input and every shown decoder's panel with its figures. */
export function paintPanels(ctx) {
  const { state, views, $ } = ctx;
  const input = $('panel-input');
  if (ctx.isCode(state.inputKind)) {
    const context = input.getContext('2d');
    context.fillStyle = '#222';
    context.fillRect(0, 0, input.width, input.height);
    context.fillStyle = '#aaa';
    context.font = '13px system-ui';
    context.fillText('no image: the decoders', 16, 80);
    context.fillText('get a code directly', 16, 100);
  } else {
    paintImage(input, state.input);
  }
  writeWithTerms($('caption-input'), inputCaption(ctx));

  const stretch = $('stretch').checked;
  const components = sharedComponents(state);
  writeWithTerms($('meter-scale'), meterScaleText(ctx.references));
  writeComponentScale($('component-scale'), components.range, stretch);
  for (const decoder of state.shown) {
    const image = state.outputs[decoder];
    if (!image) continue;
    const view = views.get(decoder);
    paintImage(view.canvas, image, { stretch });
    const component = components.byDecoder[decoder];
    paintComponent(view.component, component.values, stretch ? component.stretchedScale : components.range);
    view.amplitude.replaceChildren(...wholeNumbers(`±${greyText(component.peak)} grey levels`));
    view.share.hidden = !stretch;
    view.share.textContent = `spans ${shareText(component.share)} of its range`;
    const { bce, meters } = state.results[decoder];
    writeMeters(view.meter, bce, meters);
    setMeterBar(view.bar, meters.stride_energy, ctx.references);
  }
}

/**
 * The note above the panels on how the components are drawn: on one shared
 * scale in grey levels, or, with the panels stretched, each over its own
 * image's range, which is how the stride-energy meter sees them.
 */
function writeComponentScale(note, range, stretch) {
  const [lead, value, tail] = note.children.length === 3 ? note.children : makeComponentScale(note);
  writeWithTerms(
    lead,
    stretch
      ? "Beside each panel: its stride-2 component (the part that repeats every two pixels), stretched like the panel: full colour = a component spanning half its image's range, white = none, so the colour shows a share of the image's own variation, as stride energy does"
      : 'Beside each panel: its stride-2 component (the part that repeats every two pixels), amplified on one shared scale: full colour = ',
  );
  value.className = 'number';
  value.textContent = stretch ? '' : `±${greyText(range)} grey levels of 255`;
  tail.textContent = '. Red lighter, blue darker.';
}

function makeComponentScale(note) {
  const parts = [0, 1, 2].map(() => document.createElement('span'));
  note.replaceChildren(...parts);
  return parts;
}

/** A share of a range, as a percentage that keeps small shares readable. */
export const shareText = (share) =>
  share === 0 ? '0%' : share >= 0.1 ? `${Math.round(share * 100)}%` : `${(share * 100).toPrecision(1)}%`;

/** Writes a panel's figures into its meters' line (built in panels.js); a code has no BCE to show. */
function writeMeters(line, bce, meters) {
  if (bce === null) line.bce.remove();
  else {
    if (!line.bce.isConnected) line.element.prepend(line.bce);
    line.bceValue.textContent = bce.toFixed(3);
  }
  line.strideEnergy.textContent = meterText(meters.stride_energy);
  line.phaseSpread.textContent = meterText(meters.polyphase_spread);
}

/**
 * The stride-2 components of the shown decoders' outputs and the one range
 * they are painted on: the largest peak among them, so a flat decoder looks
 * flat beside a patterned one. Each also carries `stretchedScale`, the peak
 * at which it is painted full colour when the panels are stretched: a component spanning half
 * its image's range (a quarter of that range either side of mid, so that a
 * strong pattern shows strong); and its `share`, the span of the component
 * over the span of the image.
 */
export function sharedComponents(state) {
  const byDecoder = {};
  let range = 1e-6;
  for (const decoder of state.shown) {
    const image = state.outputs[decoder];
    if (!image) continue;
    const component = strideComponent(image);
    let [low, high] = [Infinity, -Infinity];
    for (const v of image) [low, high] = [Math.min(low, v), Math.max(high, v)];
    const span = high - low;
    byDecoder[decoder] = { ...component, stretchedScale: span / 4, share: span > 0 ? (2 * component.peak) / span : 0 };
    range = Math.max(range, component.peak);
  }
  return { byDecoder, range };
}

/**
 * The main view: the selected decoder large, the note, and its spectrum,
 * which the lab computes; the newest main image wins, and the next
 * reconstruction does not wait for it.
 */
export function paintMain(ctx) {
  const { state, views, $ } = ctx;
  $('main-name').textContent = state.main;
  for (const view of views.values()) view.figure.classList.toggle('selected', view.name === state.main);
  writeNote(ctx);
  const image = state.outputs[state.main];
  if (!image) return;
  if ($('component').checked) {
    const { byDecoder, range } = sharedComponents(state);
    const component = byDecoder[state.main];
    paintComponent($('main'), component.values, $('stretch').checked ? component.stretchedScale : range);
  } else {
    paintImage($('main'), image, { stretch: $('stretch').checked });
  }
  ctx.spectrum ??= new LatestOnly(async (main) =>
    paintSpectrum($('spectrum'), await ctx.client.call('spectrum', [main])),
  );
  ctx.spectrum.request(image);
}

function writeNote(ctx) {
  const { state, catalog, $ } = ctx;
  const lines = [catalog.decoders.find((d) => d.name === state.main)?.explanation ?? ''];
  if (state.origin.from === 'scratch' && !state.untrained) {
    lines.push(
      `These models started untrained (seed ${state.origin.seed}) and have trained here for ${state.origin.steps} steps: not the shipped weights.`,
    );
  }
  if (state.untrained) {
    lines.push(
      "These models are untrained: the transposed decoder's checkerboard is there before any learning, because its 3x3 kernel with stride 2 overlaps unevenly: each output pixel gets 1, 2 or 4 taps depending on its position in the 2x2 grid.",
    );
  }
  lines.push(catalog.inputs.find((input) => input.name === state.inputKind)?.note ?? '');
  lines.push(
    "Meters: stride energy is the share of the image's spectrum at the stride-2 frequencies (0 smooth, 1 a pure checkerboard); phase spread is how far apart the four 2x2 phases' mean levels are.",
  );
  const note = $('note');
  const text = lines.filter(Boolean);
  if (note.dataset.text === text.join('\n')) return;
  note.dataset.text = text.join('\n');
  note.replaceChildren(
    ...text.map((line) => {
      const paragraph = document.createElement('p');
      paragraph.append(...withTerms(line));
      return paragraph;
    }),
  );
}
