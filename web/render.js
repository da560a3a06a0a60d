// Drawing 28x28 images and their checkerboard views on 2D canvases (a WebGPU
// canvas stays blank in headless browsers, and 2D is all this needs).

export const SIDE = 28;

/** Paints `image` (784 intensities) onto `canvas`, one block per pixel. */
export function paintImage(canvas, image) {
  paintRgb(canvas, (i) => {
    const v = Math.round(Math.min(1, Math.max(0, image[i])) * 255);
    return [v, v, v];
  });
}

/**
 * Each pixel minus the mean of its 2x2 block: all that a stride-2 layer's
 * uneven overlap adds shows up here as a regular pattern, and smooth
 * content cancels out.
 */
export function blockResidual(image) {
  const out = new Float32Array(SIDE * SIDE);
  for (let by = 0; by < SIDE; by += 2) {
    for (let bx = 0; bx < SIDE; bx += 2) {
      const at = (dy, dx) => (by + dy) * SIDE + bx + dx;
      const mean = (image[at(0, 0)] + image[at(0, 1)] + image[at(1, 0)] + image[at(1, 1)]) / 4;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ])
        out[at(dy, dx)] = image[at(dy, dx)] - mean;
    }
  }
  return out;
}

/** Red for positive, blue for negative, scaled so `range` is full colour. */
export function divergingColour(value, range) {
  const t = Math.max(-1, Math.min(1, value / (range || 1)));
  const strength = Math.round(Math.abs(t) * 255);
  return t >= 0 ? [255, 255 - strength, 255 - strength] : [255 - strength, 255 - strength, 255];
}

/** Paints the 2x2-block residual of `image`, scaled to its own largest value. */
export function paintResidual(canvas, image) {
  const residual = blockResidual(image);
  const range = residual.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  paintRgb(canvas, (i) => divergingColour(residual[i], range));
  return range;
}

function paintRgb(canvas, colourAt) {
  const small = document.createElement('canvas');
  small.width = SIDE;
  small.height = SIDE;
  const smallCtx = small.getContext('2d');
  const data = smallCtx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const [r, g, b] = colourAt(i);
    data.data.set([r, g, b, 255], i * 4);
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
