// What the decoders are fed: the drawing pad, the test digits, and the
// inputs the lab makes (blank, grey, noise, a random code, a code unit),
// whose buttons come from the lab's catalog.

import { DrawPad } from './draw.js';
import { toMnist } from './preprocess.js';
import { paintImage } from './render.js';

const DIGIT_STRIP = 24;

/** Makes `kind` the current input (with `image` for image inputs) and asks for its reconstructions. */
export function useInput(ctx, kind, image, inputAt = performance.now()) {
  const { state, $ } = ctx;
  state.inputKind = kind;
  if (image) state.input = image;
  // The drawing stays, dimmed, while another input is shown; drawing again revives it.
  $('pad').classList.toggle('inactive', kind !== 'drawing' && !ctx.pad.isEmpty);
  ctx.address.write();
  ctx.live.request(inputAt);
}

/** The pad's ink as MNIST preprocesses it. */
export function drawnInput(ctx) {
  const { width, height } = ctx.$('pad');
  return toMnist(ctx.pad.ink(), width, height);
}

/** The drawing pad, converted once a frame however many pointer events arrive. */
export function setupPad(ctx) {
  const { $ } = ctx;
  // When the oldest ink not yet sent arrived; null when all of it was sent.
  ctx.unsentInkAt = null;
  ctx.pad = new DrawPad($('pad'), () => {
    if (ctx.unsentInkAt !== null) return;
    ctx.unsentInkAt = performance.now();
    requestAnimationFrame(() => {
      const inputAt = ctx.unsentInkAt;
      ctx.unsentInkAt = null;
      if (!ctx.ready) return;
      useInput(ctx, ctx.pad.isEmpty ? 'blank' : 'drawing', drawnInput(ctx), inputAt);
    });
  });
  $('undo').addEventListener('click', () => ctx.pad.undo());
  $('clear').addEventListener('click', () => ctx.pad.clear());
}

/** A button for every input the lab makes or decodes directly. */
export function setupInputButtons(ctx) {
  const { state, catalog, client, $ } = ctx;
  for (const input of catalog.inputs.filter((entry) => entry.button)) {
    const button = Object.assign(document.createElement('button'), {
      type: 'button',
      id: `input-${input.name}`,
      textContent: input.button,
      title: input.title,
    });
    button.addEventListener('click', async () => {
      if (input.name === 'code') state.codeSeed += 1;
      if (input.name === 'unit') state.codeUnit = (state.codeUnit + 1) % catalog.code_units;
      if (input.name === 'noise') state.noiseSeed += 1;
      const image = input.synthetic ? await client.call('syntheticInput', [input.name, state.noiseSeed]) : null;
      useInput(ctx, input.name, image);
    });
    $('input-buttons').append(button);
  }
}

/** The first test digits as buttons. */
export async function fillDigitStrip(ctx) {
  const { client, state, $ } = ctx;
  const indices = [...Array(DIGIT_STRIP).keys()];
  // All requests at once: the worker answers them back to back.
  const digits = await Promise.all(
    indices.map((index) => Promise.all([client.call('testDigit', [index]), client.call('testLabel', [index])])),
  );
  for (const [index, [image, label]] of digits.entries()) {
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
