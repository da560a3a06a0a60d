// The shareable view survives a round trip through the address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStrokes, decodeView, encodeStrokes, encodeView } from '../web/share.js';
import { labCatalog } from './lab-catalog.mjs';

const catalog = await labCatalog();

test('strokes round-trip to a tenth of a pixel', () => {
  const strokes = [
    [
      { x: 10.44, y: 200 },
      { x: 279, y: 0 },
    ],
    [{ x: 140.06, y: 140 }],
  ];
  assert.deepEqual(decodeStrokes(encodeStrokes(strokes)), [
    [
      { x: 10.4, y: 200 },
      { x: 279, y: 0 },
    ],
    [{ x: 140.1, y: 140 }],
  ]);
  assert.deepEqual(decodeStrokes(''), []);
});

test('a view round-trips through the hash', () => {
  const view = {
    main: 'upsample',
    shown: ['upsample', 'transposed-k4'],
    inputKind: 'drawing',
    strokes: [
      [
        { x: 1, y: 2 },
        { x: 30, y: 40 },
      ],
    ],
    component: true,
    stretch: true,
    optimizer: 'adadelta',
    learningRate: 1,
    batchSize: 64,
    seed: 7,
  };
  assert.deepEqual(decodeView(`#${encodeView(view)}`, catalog), view);
  const digit = decodeView(encodeView({ ...view, inputKind: 'digit', digit: 3, component: false }), catalog);
  assert.equal(digit.inputKind, 'digit');
  assert.equal(digit.digit, 3);
  assert.equal(digit.strokes, undefined);
});

test('a garbled hash gives a partial view, never an exception', () => {
  assert.deepEqual(decodeView('#main=%3Cb%3E&shown=,,&input=drawing&strokes=zz.%21', catalog), { component: false });
  assert.deepEqual(decodeView('#shown=upsample,Bad%20name,subpixel', catalog).shown, ['upsample', 'subpixel']);
  assert.deepEqual(decodeView('input=unit:999&lr=-1', catalog), { inputKind: 'unit', component: false });
});

test('every input kind and optimizer the lab lists survives the address', () => {
  for (const { name } of catalog.inputs) {
    assert.equal(decodeView(`input=${name}`, catalog).inputKind, name);
  }
  for (const { name } of catalog.optimizers) {
    assert.equal(decodeView(`optimizer=${name}`, catalog).optimizer, name);
  }
  assert.equal(decodeView(`input=unit:${catalog.code_units - 1}`, catalog).codeUnit, catalog.code_units - 1);
  assert.equal(decodeView(`input=unit:${catalog.code_units}`, catalog).codeUnit, undefined);
});
