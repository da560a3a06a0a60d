// Drawing 28x28 images and their stride-2 components on 2D canvases (a WebGPU
// canvas stays blank in headless browsers, and 2D is all this needs).

export const SIDE = 28;

/**
 * Paints `image` (784 intensities) onto `canvas`, one block per pixel;
 * `stretch` spreads the image's own range over black to white, which is how
 * the stride-energy meter sees it (a share of the image's own variation):
 * an untrained decoder's output varies by a few grey levels around mid-grey,
 * invisible unstretched.
 */
export function paintImage(canvas, image, { stretch = false } = {}) {
  let low = 0;
  let scale = 1;
  if (stretch) {
    let high = -Infinity;
    low = Infinity;
    for (const v of image) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
    scale = high > low ? 1 / (high - low) : 0;
  }
  paintRgb(canvas, (i) => {
    const v = Math.round(Math.min(1, Math.max(0, (image[i] - low) * scale)) * 255);
    return [v, v, v];
  });
}

/**
 * The image's stride-2 component: its projection on the three stride-2
 * frequencies (0,14), (14,0) and (14,14), the only patterns that repeat
 * every two pixels. On a 28x28 grid they are real: column stripes
 * (-1)^col, row stripes (-1)^row and the checkerboard (-1)^(row+col), each
 * with one amplitude. Everything a stride-2 layer's uneven overlap adds
 * lands here; a smooth image has none.
 * @returns {{values: Float32Array, columns: number, rows: number, checker: number, peak: number}}
 *   amplitudes in intensity units (x255 for grey levels); `peak` is the
 *   largest absolute value of the component, |columns| + |rows| + |checker|.
 */
export function strideComponent(image) {
  let columns = 0;
  let rows = 0;
  let checker = 0;
  for (let row = 0; row < SIDE; row++) {
    for (let col = 0; col < SIDE; col++) {
      const v = image[row * SIDE + col];
      const sc = col % 2 ? -1 : 1;
      const sr = row % 2 ? -1 : 1;
      columns += v * sc;
      rows += v * sr;
      checker += v * sc * sr;
    }
  }
  const n = SIDE * SIDE;
  columns /= n;
  rows /= n;
  checker /= n;
  const values = new Float32Array(n);
  for (let row = 0; row < SIDE; row++) {
    for (let col = 0; col < SIDE; col++) {
      const sc = col % 2 ? -1 : 1;
      const sr = row % 2 ? -1 : 1;
      values[row * SIDE + col] = columns * sc + rows * sr + checker * sc * sr;
    }
  }
  return { values, columns, rows, checker, peak: Math.abs(columns) + Math.abs(rows) + Math.abs(checker) };
}

/** Intensity (0-1) to grey levels (0-255), for the figures the page states. */
export const greyLevels = (intensity) => intensity * 255;

/** A grey-level amplitude as the page writes it: two significant figures. */
export const greyText = (intensity) => {
  const levels = greyLevels(intensity);
  return levels >= 10 ? levels.toFixed(0) : levels.toPrecision(2);
};

/** Red for positive, blue for negative, scaled so `range` is full colour. */
export function divergingColour(value, range) {
  const t = Math.max(-1, Math.min(1, value / (range || 1)));
  const strength = Math.round(Math.abs(t) * 255);
  return t >= 0 ? [255, 255 - strength, 255 - strength] : [255 - strength, 255 - strength, 255];
}

/**
 * Paints a stride-2 component on the diverging scale where `range` is full
 * colour; several panels share one range so that a flat one looks flat.
 */
export function paintComponent(canvas, values, range) {
  paintRgb(canvas, (i) => divergingColour(values[i], range));
}

/** One 28x28 canvas every paint goes through: painting runs per pointer move, so it is made once. */
let scratch = null;

function paintRgb(canvas, colourAt) {
  if (!scratch) {
    const small = Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
    scratch = { small, context: small.getContext('2d'), data: new ImageData(SIDE, SIDE) };
  }
  const { small, context: smallCtx, data } = scratch;
  const pixels = data.data;
  for (let i = 0; i < SIDE * SIDE; i++) {
    const [r, g, b] = colourAt(i);
    pixels[i * 4] = r;
    pixels[i * 4 + 1] = g;
    pixels[i * 4 + 2] = b;
    pixels[i * 4 + 3] = 255;
  }
  smallCtx.putImageData(data, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

/**
 * Paints a 28x28 power spectrum (row-major in frequency (u, v)) as log power
 * with zero frequency in the centre, and outlines the three stride-2 bins
 * (14,14), (14,0) and (0,14).
 */
export function paintSpectrum(canvas, power) {
  const half = SIDE / 2;
  const shifted = (i) => {
    const y = Math.floor(i / SIDE),
      x = i % SIDE;
    return ((y + half) % SIDE) * SIDE + ((x + half) % SIDE);
  };
  const logs = Array.from(power, (p) => Math.log10(p + 1e-12));
  // The zero-frequency bin dwarfs the rest; scale to everything else.
  const rest = logs.filter((_, i) => i !== 0);
  const lo = Math.min(...rest),
    hi = Math.max(...rest);
  paintRgb(canvas, (i) => {
    const t = hi > lo ? Math.min(1, Math.max(0, (logs[shifted(i)] - lo) / (hi - lo))) : 0;
    return [Math.round(255 * t ** 0.8), Math.round(200 * t ** 1.5), Math.round(90 + 120 * t)];
  });
  const ctx = canvas.getContext('2d');
  const cell = canvas.width / SIDE;
  ctx.strokeStyle = '#f5a623';
  ctx.lineWidth = 2;
  // Display (row, column) of each stride bin after the shift.
  for (const [row, col] of [
    [0, 0],
    [0, half],
    [half, 0],
  ]) {
    ctx.strokeRect(col * cell + 1, row * cell + 1, cell - 2, cell - 2);
  }
}
