// Keeps the address in step with the view, so copying it shares the view,
// and restores a shared view on arrival. Drawing changes the view every
// frame: the address is written once things settle, since browsers
// throttle (and warn about) rapid history updates.

import { decodeView, encodeView } from './share.js';
import { drawnInput } from './inputs.js';
import { readSettings } from './training.js';

const SETTLE_MS = 250;

/**
 * @param {object} ctx the page's context
 * @param {(ctx: object, names: string[]) => Promise<void>} showDecoders the
 *   orchestrator's, for putting a view back
 */
export function setupAddress(ctx, showDecoders) {
  let timer = null;
  ctx.address = {
    write() {
      clearTimeout(timer);
      timer = setTimeout(() => history.replaceState(null, '', `#${viewHash(ctx)}`), SETTLE_MS);
    },
    /** The view as the address would say it now. */
    current: () => viewHash(ctx),
    /** Puts back the view `hash` describes (from `current`), in the address too; the caller repaints. */
    async restore(hash) {
      clearTimeout(timer);
      history.replaceState(null, '', `#${hash}`);
      await applyAddress(ctx, showDecoders);
    },
  };
}

function viewHash(ctx) {
  const { state, $ } = ctx;
  const settings = readSettings(ctx);
  return encodeView({
    ...state,
    strokes: ctx.pad.strokes,
    component: $('component').checked,
    stretch: $('stretch').checked,
    optimizer: settings.optimizer,
    learningRate: settings.learning_rate,
    batchSize: settings.batch_size,
    seed: Math.round(Number($('seed').value)),
  });
}

/** Applies a shared view from the address, once the lab and the digits are ready. */
export async function applyAddress(ctx, showDecoders) {
  const { state, client, catalog, $ } = ctx;
  const shared = decodeView(location.hash, catalog);
  if (shared.optimizer) $('optimizer').value = shared.optimizer;
  if (shared.learningRate) $('learning-rate').value = String(shared.learningRate);
  if (shared.batchSize) $('batch-size').value = String(shared.batchSize);
  if (shared.seed !== undefined) $('seed').value = String(shared.seed);
  if (shared.shown) {
    const known = shared.shown.filter((name) => ctx.views.has(name));
    if (known.length > 0) await showDecoders(ctx, known);
  }
  if (shared.main && state.shown.includes(shared.main)) state.main = shared.main;
  $('component').checked = shared.component;
  $('stretch').checked = Boolean(shared.stretch);
  ctx.zoom.setMode(shared.component ? 'component' : 'pixels');
  switch (shared.inputKind) {
    case 'digit':
      if (shared.digit !== undefined) {
        try {
          state.input = (await client.call('testDigit', [shared.digit])).image;
          state.digit = shared.digit;
          state.inputKind = 'digit';
        } catch (err) {
          ctx.messages.error(
            'input-message',
            `The shared address names a test digit that does not exist: ${err.message}`,
          );
        }
      }
      break;
    case 'drawing':
      ctx.pad.setStrokes(shared.strokes);
      state.inputKind = 'drawing';
      state.input = drawnInput(ctx);
      break;
    case 'code':
      state.inputKind = 'code';
      state.codeSeed = shared.codeSeed ?? state.codeSeed;
      break;
    case 'unit':
      state.inputKind = 'unit';
      state.codeUnit = shared.codeUnit ?? 0;
      break;
    case undefined:
      break;
    default:
      state.inputKind = shared.inputKind;
      state.input = await client.call('syntheticInput', [shared.inputKind, state.noiseSeed]);
  }
}
