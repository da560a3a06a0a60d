// What the decoders are fed: the drawing pad, the test digits, and the
// inputs the lab makes (blank, grey, noise, a random code, a code unit),
// whose buttons come from the lab's catalog.

import { DrawPad } from './draw.js';
import { toMnist } from './preprocess.js';
import { paintImage } from './render.js';
import { errorText } from './messages.js';

const DIGIT_STRIP = 24;

/** Makes `kind` the current input (with `image` for image inputs) and asks for its reconstructions. */
export function useInput(ctx, kind, image) {
  const { state, $ } = ctx;
  state.inputKind = kind;
  state.inkChanged = false;
  if (image) state.input = image;
  // The drawing stays, dimmed, while another input is shown; drawing again revives it.
  $('pad').classList.toggle('inactive', kind !== 'drawing' && !ctx.pad.isEmpty);
  ctx.address.write();
  ctx.live.request(performance.now());
}

/** The pad's ink as MNIST preprocesses it. */
export function drawnInput(ctx) {
  const { ink, width, height } = ctx.pad.ink();
  return toMnist(ink, width, height);
}

/**
 * The drawing pad. Every pointer event asks for a reconstruction at once;
 * the request that runs reads the pad as it is then, so however many events
 * arrive while the lab works, only the newest ink is converted and sent.
 */
export function setupPad(ctx) {
  const { $ } = ctx;
  ctx.pad = new DrawPad($('pad'), (inputAt = performance.now()) => {
    if (!ctx.ready) return;
    ctx.state.inputKind = ctx.pad.isEmpty ? 'blank' : 'drawing';
    ctx.state.inkChanged = true;
    $('pad').classList.remove('inactive');
    ctx.address.write();
    ctx.lastInkAt = performance.now();
    // The latency a user feels counts from the input, not from its handler.
    ctx.live.request(inputAt);
  });
  $('undo').addEventListener('click', () => ctx.pad.undo());
  $('clear').addEventListener('click', () => ctx.pad.clear());
}

/** The pad's newest ink as the input, if it changed since it was last read. */
export function readPad(ctx) {
  const { state } = ctx;
  if (!state.inkChanged || !['drawing', 'blank'].includes(state.inputKind)) return;
  state.inkChanged = false;
  state.input = drawnInput(ctx);
}

/** A button for every input the lab makes or decodes directly. */
export function setupInputButtons(ctx) {
  const { catalog, $ } = ctx;
  for (const input of catalog.inputs.filter((entry) => entry.button)) {
    const button = Object.assign(document.createElement('button'), {
      type: 'button',
      id: `input-${input.name}`,
      textContent: input.button,
      title: input.title,
    });
    button.addEventListener('click', () =>
      chooseInput(ctx, input.name).catch((err) =>
        ctx.messages.error('input-message', `Could not make that input: ${errorText(err)}`),
      ),
    );
    $('input-buttons').append(button);
  }
}

/**
 * Makes the lab-made input `name` current, as its button does: a random
 * code, a code unit and noise move on to the next one each time.
 */
export async function chooseInput(ctx, name) {
  const { state, catalog } = ctx;
  const input = catalog.inputs.find((entry) => entry.name === name);
  if (name === 'code') state.codeSeed += 1;
  if (name === 'unit') state.codeUnit = (state.codeUnit + 1) % catalog.code_units;
  if (name === 'noise') state.noiseSeed += 1;
  const image = input.synthetic ? await ctx.client.call('syntheticInput', [name, state.noiseSeed]) : null;
  useInput(ctx, name, image);
}

/** Makes test digit `index` the input. */
export async function chooseDigit(ctx, index) {
  const { image } = await ctx.client.call('testDigit', [index]);
  ctx.state.digit = index;
  useInput(ctx, 'digit', image);
}

/** The first test digits as buttons. */
export async function fillDigitStrip(ctx) {
  const { state, $ } = ctx;
  const indices = [...Array(DIGIT_STRIP).keys()];
  // All requests at once: the worker answers them back to back.
  const digits = await Promise.all(indices.map((index) => ctx.client.call('testDigit', [index])));
  for (const [index, { image, label }] of digits.entries()) {
    const button = Object.assign(document.createElement('button'), {
      type: 'button',
      className: 'digit',
      title: `test digit ${index}: a ${label}`,
    });
    button.dataset.index = String(index);
    const canvas = Object.assign(document.createElement('canvas'), { width: 42, height: 42 });
    paintImage(canvas, image);
    button.append(canvas);
    button.addEventListener('click', () => {
      state.digit = index;
      useInput(ctx, 'digit', image);
    });
    $('digits').append(button);
  }
}
