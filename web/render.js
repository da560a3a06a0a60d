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
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) out[at(dy, dx)] = image[at(dy, dx)] - mean;
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
