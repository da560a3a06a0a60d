// The view in the address: which input, which decoders are shown and which
// is in the main view, the checkerboard view and the training settings, so a link restores them
// (TensorFlow Playground keeps its whole state in its URL the same way).
// Pure functions over strings: no DOM.

/** A decoder's name as the lab spells it; the app checks it is one it knows. */
const DECODER_NAME = /^[a-z0-9-]{1,32}$/;

/** Points kept to a tenth of a pad pixel: the 28x28 input then matches to 1e-2. */
const SCALE = 10;

/** Strokes as `x.y_x.y-x.y_...`: base-36 tenths of a pixel, strokes joined by `-`. */
export function encodeStrokes(strokes) {
  const code = (v) => Math.round(v * SCALE).toString(36);
  return strokes.map((points) => points.map(({ x, y }) => `${code(x)}.${code(y)}`).join('_')).join('-');
}

export function decodeStrokes(text) {
  if (!text) return [];
  return text.split('-').map((stroke) =>
    stroke.split('_').map((pair) => {
      const [x, y] = pair.split('.').map((v) => parseInt(v, 36) / SCALE);
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`bad point '${pair}'`);
      return { x, y };
    }),
  );
}

/**
 * @param {{inputKind: string, digit?: number, codeSeed?: number, codeUnit?: number,
 *   strokes?: {x: number, y: number}[][], main: string, shown: string[], component: boolean, stretch?: boolean,
 *   optimizer: string, learningRate: number, batchSize: number, seed: number}} view
 * @returns {string} a hash, without the leading '#'
 */
export function encodeView(view) {
  const params = new URLSearchParams();
  params.set('main', view.main);
  params.set('shown', view.shown.join(','));
  let input = view.inputKind;
  if (input === 'digit') input += `:${view.digit}`;
  if (input === 'code') input += `:${view.codeSeed}`;
  if (input === 'unit') input += `:${view.codeUnit}`;
  params.set('input', input);
  if (view.inputKind === 'drawing') params.set('strokes', encodeStrokes(view.strokes));
  if (view.component) params.set('component', '1');
  if (view.stretch) params.set('stretch', '1');
  params.set('optimizer', view.optimizer);
  params.set('lr', String(view.learningRate));
  params.set('batch', String(view.batchSize));
  params.set('seed', String(view.seed));
  return params.toString();
}

/**
 * The view a hash describes; fields it lacks or garbles are left out.
 * @param {string} hash
 * @param {{inputs: {name: string}[], optimizers: {name: string}[], code_units: number}} catalog the lab's
 */
export function decodeView(hash, catalog) {
  const kinds = new Set(catalog.inputs.map((input) => input.name));
  const optimizers = new Set(catalog.optimizers.map((optimizer) => optimizer.name));
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const view = {};
  const main = params.get('main');
  if (main && DECODER_NAME.test(main)) view.main = main;
  const shown = (params.get('shown') ?? '').split(',').filter((name) => DECODER_NAME.test(name));
  if (shown.length > 0) view.shown = shown;
  const [kind, argument] = (params.get('input') ?? '').split(':');
  if (kinds.has(kind)) {
    view.inputKind = kind;
    const number = Number(argument);
    if (kind === 'digit' && Number.isInteger(number) && number >= 0) view.digit = number;
    if (kind === 'code' && Number.isInteger(number)) view.codeSeed = number;
    if (kind === 'unit' && Number.isInteger(number) && number >= 0 && number < catalog.code_units)
      view.codeUnit = number;
    if (kind === 'drawing') {
      try {
        view.strokes = decodeStrokes(params.get('strokes') ?? '');
      } catch {
        delete view.inputKind;
      }
    }
  }
  view.component = params.get('component') === '1';
  if (params.get('stretch') === '1') view.stretch = true;
  if (optimizers.has(params.get('optimizer'))) view.optimizer = params.get('optimizer');
  for (const [key, field] of [
    ['lr', 'learningRate'],
    ['batch', 'batchSize'],
    ['seed', 'seed'],
  ]) {
    const value = Number(params.get(key));
    if (params.has(key) && Number.isFinite(value) && value >= 0) view[field] = value;
  }
  return view;
}
