// The stride-2 component and the meters' log scale, as the page computes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meterPosition } from '../web/meters.js';
import { greyText, strideComponent } from '../web/render.js';

const image = (f) => Float32Array.from({ length: 784 }, (_, i) => f(Math.floor(i / 28), i % 28));

test('a constant image has no stride-2 component', () => {
  const { peak, values } = strideComponent(image(() => 0.5));
  assert.ok(peak < 1e-7);
  assert.ok(values.every((v) => Math.abs(v) < 1e-7));
});

test('stripes and the checkerboard come out with their amplitudes, and a ramp only its alternating half-step', () => {
  // 0.5 grey, a 0.01 checkerboard, 0.002 column stripes, and a smooth ramp.
  const mixed = image((r, c) => 0.5 + 0.01 * (-1) ** (r + c) + 0.002 * (-1) ** c + 0.001 * r);
  const { checker, columns, rows, peak, values } = strideComponent(mixed);
  assert.ok(Math.abs(checker - 0.01) < 1e-6, `checker ${checker}`);
  assert.ok(Math.abs(columns - 0.002) < 1e-6, `columns ${columns}`);
  // The ramp rises by 0.001 a row: its alternating part is half a step.
  assert.ok(Math.abs(rows + 0.0005) < 1e-6, `rows ${rows}`);
  assert.ok(Math.abs(peak - 0.0125) < 1e-6);
  assert.ok(Math.abs(values[0] - (0.01 + 0.002 - 0.0005)) < 1e-6);
  assert.ok(Math.abs(values[1] - (-0.01 - 0.002 - 0.0005)) < 1e-6);
});

test('amplitudes read in grey levels of 255', () => {
  assert.equal(greyText(0.12 / 255), '0.12');
  assert.equal(greyText(3 / 255), '3.0');
  assert.equal(greyText(40 / 255), '40');
});

test('the meter scale is logarithmic from 1e-6 to 1', () => {
  assert.equal(meterPosition(1e-6), 0);
  assert.equal(meterPosition(1), 1);
  assert.ok(Math.abs(meterPosition(1e-3) - 0.5) < 1e-12);
  assert.equal(meterPosition(0), 0);
  assert.equal(meterPosition(Number.NaN), 0);
  assert.equal(meterPosition(5), 1);
});
