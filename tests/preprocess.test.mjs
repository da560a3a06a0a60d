// Unit tests of the MNIST-style preprocessing (pure functions, no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIDE, inkBounds, resampleBox, centreOfMass, toMnist } from '../web/preprocess.js';
import { strokeRegion } from '../web/draw.js';

function canvas(width, height, paint) {
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) ink[y * width + x] = paint(x, y);
  return ink;
}

function boundsOf28(image) {
  return inkBounds(image, SIDE, SIDE);
}

test('a blank canvas gives an all-zero input', () => {
  const out = toMnist(new Float32Array(200 * 200), 200, 200);
  assert.equal(out.length, 784);
  assert.ok(out.every((v) => v === 0));
});

test('a tall stroke is scaled to 20 pixels high, keeping its aspect ratio', () => {
  // 40 wide, 160 tall: 20 high and 5 wide after scaling.
  const ink = canvas(300, 300, (x, y) => (x >= 100 && x < 140 && y >= 50 && y < 210 ? 1 : 0));
  const out = toMnist(ink, 300, 300);
  const box = boundsOf28(out);
  assert.equal(box.bottom - box.top, 20);
  assert.equal(box.right - box.left, 5);
});

test('the centre of mass lands on the centre of the field', () => {
  // An off-centre blob in the corner of the canvas.
  const ink = canvas(280, 280, (x, y) => ((x - 40) ** 2 + (y - 60) ** 2 < 30 ** 2 ? 1 : 0));
  const out = toMnist(ink, 280, 280);
  const mass = centreOfMass(out, SIDE, SIDE);
  assert.ok(Math.abs(mass.x - 13.5) <= 0.5, `x ${mass.x}`);
  assert.ok(Math.abs(mass.y - 13.5) <= 0.5, `y ${mass.y}`);
});

test('downscaling is anti-aliased: edges get fractional intensities', () => {
  const ink = canvas(280, 280, (x, y) => ((x - 140) ** 2 + (y - 140) ** 2 < 100 ** 2 ? 1 : 0));
  const out = toMnist(ink, 280, 280);
  const partial = out.filter((v) => v > 0.05 && v < 0.95).length;
  assert.ok(partial >= 8, `only ${partial} edge pixels are fractional`);
  assert.ok(out.every((v) => v >= 0 && v <= 1));
});

test('area averaging preserves mean intensity', () => {
  const ink = canvas(90, 60, (x, y) => ((x * 7 + y * 3) % 5) / 4);
  const box = { left: 0, top: 0, right: 90, bottom: 60 };
  const small = resampleBox(ink, 90, box, 20, 13);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(small) - mean(ink)) < 0.01);
});

test('faint specks below the threshold do not stretch the bounding box', () => {
  const ink = canvas(100, 100, (x, y) => (x === 2 && y === 2 ? 0.01 : x >= 40 && x < 60 && y >= 30 && y < 70 ? 1 : 0));
  assert.deepEqual(inkBounds(ink, 100, 100), { left: 40, top: 30, right: 60, bottom: 70 });
});

test('the strokes’ region holds all their ink: the recipe gives the same input from it as from the whole pad', () => {
  const side = 280;
  const lineWidth = side * 0.075;
  const strokes = [
    [
      { x: 70.5, y: 60.25 },
      { x: 190, y: 95 },
    ],
    [{ x: 120, y: 215.75 }],
  ];
  // Ink as a canvas paints it: full within half the line width of a
  // point, fading to nothing over the next pixel (the anti-aliased edge).
  const ink = canvas(side, side, (x, y) => {
    let v = 0;
    for (const { x: px, y: py } of strokes.flat()) {
      const d = Math.hypot(x + 0.5 - px, y + 0.5 - py);
      v = Math.max(v, Math.min(1, Math.max(0, lineWidth / 2 + 1 - d)));
    }
    return v;
  });
  const region = strokeRegion(strokes, lineWidth, side, side);
  const width = region.right - region.left;
  const height = region.bottom - region.top;
  assert.ok(width < side && height < side, 'the region leaves out the blank margin');
  const cropped = canvas(width, height, (x, y) => ink[(region.top + y) * side + region.left + x]);
  assert.deepEqual(toMnist(cropped, width, height), toMnist(ink, side, side));
});

test('the strokes’ region is clipped to the pad and absent without strokes', () => {
  assert.equal(strokeRegion([], 20, 280, 280), null);
  assert.deepEqual(strokeRegion([[{ x: 1, y: 279 }]], 20, 280, 280), { left: 0, top: 267, right: 13, bottom: 280 });
});
