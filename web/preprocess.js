// Turns a drawing into an MNIST-style 28x28 input, the way the MNIST digits
// were made: the ink's bounding box is scaled (anti-aliased, aspect kept) to
// fit a 20x20 box, which is then placed in a 28x28 field so that its centre
// of mass sits at the centre. Pure functions: no DOM, unit-tested in Node.

export const SIDE = 28;
export const BOX = 20;

/** Ink above this (of 1) counts when finding the bounding box. */
const INK_THRESHOLD = 0.05;

/**
 * @param {Float32Array|number[]} ink row-major intensities in [0, 1]
 * @param {number} width
 * @param {number} height
 * @returns {{left: number, top: number, right: number, bottom: number} | null}
 *   the inclusive-exclusive box around the ink, or null for a blank canvas
 */
export function inkBounds(ink, width, height) {
  let left = width,
    top = height,
    right = -1,
    bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > INK_THRESHOLD) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  return right < 0 ? null : { left, top, right: right + 1, bottom: bottom + 1 };
}

/**
 * Area-averaging resample of one axis: each output cell is the mean of the
 * input it covers, fractional edges weighted by overlap. This is what makes
 * the downscaled strokes anti-aliased rather than jagged.
 */
function resampleAxis(srcLen, dstLen, lines, get, set) {
  const scale = srcLen / dstLen;
  for (let line = 0; line < lines; line++) {
    for (let d = 0; d < dstLen; d++) {
      const from = d * scale,
        to = (d + 1) * scale;
      let sum = 0;
      for (let s = Math.floor(from); s < Math.min(Math.ceil(to), srcLen); s++) {
        const overlap = Math.min(to, s + 1) - Math.max(from, s);
        sum += overlap * get(line, s);
      }
      set(line, d, sum / scale);
    }
  }
}

/**
 * Scales `ink`'s region `box` to `outWidth` x `outHeight` by area averaging.
 * @returns {Float32Array} row-major, outWidth * outHeight
 */
export function resampleBox(ink, width, box, outWidth, outHeight) {
  const boxWidth = box.right - box.left,
    boxHeight = box.bottom - box.top;
  const rows = new Float32Array(boxHeight * outWidth);
  resampleAxis(
    boxWidth,
    outWidth,
    boxHeight,
    (y, x) => ink[(box.top + y) * width + box.left + x],
    (y, x, v) => {
      rows[y * outWidth + x] = v;
    },
  );
  const out = new Float32Array(outWidth * outHeight);
  resampleAxis(
    boxHeight,
    outHeight,
    outWidth,
    (x, y) => rows[y * outWidth + x],
    (x, y, v) => {
      out[y * outWidth + x] = v;
    },
  );
  return out;
}

/** Centre of mass (x, y) of a row-major image; null when it is all zero. */
export function centreOfMass(image, width, height) {
  let total = 0,
    sx = 0,
    sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = image[y * width + x];
      total += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return total > 0 ? { x: sx / total, y: sy / total } : null;
}

/**
 * The MNIST recipe end to end.
 * @param {Float32Array|number[]} ink row-major intensities in [0, 1]
 * @returns {Float32Array} 784 intensities; all zero for a blank canvas
 */
export function toMnist(ink, width, height) {
  const out = new Float32Array(SIDE * SIDE);
  const box = inkBounds(ink, width, height);
  if (!box) return out;
  const boxWidth = box.right - box.left,
    boxHeight = box.bottom - box.top;
  const scale = BOX / Math.max(boxWidth, boxHeight);
  const fitWidth = Math.max(1, Math.round(boxWidth * scale));
  const fitHeight = Math.max(1, Math.round(boxHeight * scale));
  const fitted = resampleBox(ink, width, box, fitWidth, fitHeight);
  const mass = centreOfMass(fitted, fitWidth, fitHeight);
  if (!mass) return out;
  // Shift so the centre of mass lands on the field's centre (13.5, 13.5 in
  // pixel-centre coordinates), by whole pixels as MNIST did.
  const offsetX = Math.round((SIDE - 1) / 2 - mass.x);
  const offsetY = Math.round((SIDE - 1) / 2 - mass.y);
  for (let y = 0; y < fitHeight; y++) {
    for (let x = 0; x < fitWidth; x++) {
      const tx = x + offsetX,
        ty = y + offsetY;
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) {
        out[ty * SIDE + tx] = Math.min(1, fitted[y * fitWidth + x]);
      }
    }
  }
  return out;
}
