// A loaded file's message names the decoder its header chose, and says so
// when the file's name points at another one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadedText } from '../web/weights-files.js';
import { labCatalog } from './lab-catalog.mjs';

const { decoders } = await labCatalog();

test('a file named for its own decoder loads without a warning', () => {
  assert.equal(
    loadedText('transposed.ckpt', 'transposed', decoders),
    'Loaded transposed.ckpt into the transposed decoder',
  );
  assert.equal(loadedText('my-weights.ckpt', 'upsample', decoders), 'Loaded my-weights.ckpt into the upsample decoder');
  assert.equal(
    loadedText('transposed-k4-seed1.ckpt', 'transposed-k4', decoders),
    'Loaded transposed-k4-seed1.ckpt into the transposed-k4 decoder',
  );
});

test("a file named for another decoder says which one it went into, and which didn't change", () => {
  const text = loadedText('upsample.ckpt', 'transposed', decoders);
  assert.match(text, /into the transposed decoder/);
  assert.match(text, /its name says upsample, but the file holds transposed weights/);
  assert.match(text, /the upsample decoder is unchanged/);
});
