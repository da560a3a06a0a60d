// The page's PyTorch reader (web/torch-reader.js) on the files PyTorch
// itself wrote (tests/fixtures/foreign), on pickles that would run code, and
// on 10,000 damaged copies. Runs in Node on the libraries the page serves
// (web/pkg, copied there by scripts/build-web.sh).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../scripts/serve.mjs';
import { zipSync } from '../web/pkg/fflate.js';
import { foreignFormat } from '../web/foreign-files.js';
import { torchToSafetensors } from '../web/torch-reader.js';

const FIXTURES = path.join(repositoryRoot, 'tests', 'fixtures', 'foreign');
const fixture = (name) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const STEMS = ['torch-upsample', 'torch-transposed'];

/** A `.safetensors` file's tensors: name → {dtype, shape, values}, checking its layout as the format defines it. */
function readSafetensors(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map();
  let end = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: [begin, stop],
    } = entry;
    assert.equal(begin, end, `${name} follows the previous tensor`);
    const width = { F32: 4, F64: 8 }[dtype];
    assert.equal(stop - begin, shape.reduce((n, d) => n * d, 1) * width, `${name}: its bytes fit its shape`);
    const slice = data.slice(begin, stop);
    const values = dtype === 'F32' ? new Float32Array(slice.buffer) : Float32Array.from(new Float64Array(slice.buffer));
    tensors.set(name, { dtype, shape, values });
    end = stop;
  }
  assert.equal(end, data.length, 'no bytes after the last tensor');
  return tensors;
}

test('each PyTorch fixture reads as the tensors safetensors wrote for the same state dict, bit for bit', () => {
  for (const stem of STEMS) {
    const pt = fixture(`${stem}.pt`);
    assert.equal(foreignFormat(pt), 'pytorch');
    const ours = readSafetensors(torchToSafetensors(pt));
    const theirs = readSafetensors(fixture(`${stem}.safetensors`));
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), stem);
    for (const [name, tensor] of theirs) {
      assert.deepEqual(ours.get(name).shape, tensor.shape, `${stem} ${name}`);
      assert.deepEqual(ours.get(name).values, tensor.values, `${stem} ${name}`);
    }
    assert.equal(ours.size, 14, `${stem}: 7 layers, a kernel and a bias each`);
  }
});

/** A torch.save-shaped zip holding `pickle` (protocol 0 text) as its data.pkl, and `entries`. */
function torchZip(pickle, entries = {}) {
  return zipSync({ 'model/data.pkl': new TextEncoder().encode(pickle), ...entries }, { level: 0 });
}

test('a pickle that would run code is refused, naming what it asks for, and nothing is run', () => {
  const shell = torchZip("cos\nsystem\n(S'touch /tmp/checkerlab-pwned'\ntR.");
  assert.equal(foreignFormat(shell), 'pytorch');
  assert.throws(() => torchToSafetensors(shell), /asks Python to run os\.system, and the lab reads tensors only/);
  const wholeModel = torchZip('c__main__\nAutoencoder\n)\x81.');
  assert.throws(() => torchToSafetensors(wholeModel), /__main__\.Autoencoder.*torch\.save\(model\.state_dict\(\)/);
  // A name torch itself defines is still not a tensor.
  const eval_ = torchZip("cbuiltins\neval\n(S'1'\ntR.");
  assert.throws(() => torchToSafetensors(eval_), /builtins\.eval/);
});

test('tensors that are not 32- or 64-bit floats, or read outside their storage, are refused', () => {
  const tensor = (storage, numel, size) =>
    `ccollections\nOrderedDict\n)R(S'w'\nctorch._utils\n_rebuild_tensor_v2\n((S'storage'\nctorch\n${storage}\nS'0'\nS'cpu'\nI${numel}\ntQI0\n(I${size}\nt(I1\ntI00\nccollections\nOrderedDict\n)RtRu.`;
  const storage = { 'model/data/0': new Uint8Array(16) };
  const ok = readSafetensors(torchToSafetensors(torchZip(tensor('FloatStorage', 4, 4), storage)));
  assert.deepEqual(ok.get('w').shape, [4]);
  assert.throws(() => torchToSafetensors(torchZip(tensor('LongStorage', 2, 2), storage)), /LongStorage/);
  assert.throws(() => torchToSafetensors(torchZip(tensor('FloatStorage', 4, 5), storage)), /past the end/);
  assert.throws(() => torchToSafetensors(torchZip(tensor('FloatStorage', 4, 4))), /storage 0 is missing/);
});

/** A small seeded generator, so a failing case can be run again. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return (bound) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % bound;
  };
}

/** Where the first entry's bytes (data.pkl, stored) lie in a torch.save zip. */
function pickleSpan(bytes) {
  const start = 30 + (bytes[26] | (bytes[27] << 8)) + (bytes[28] | (bytes[29] << 8));
  const size = bytes[18] | (bytes[19] << 8) | (bytes[20] << 16) | (bytes[21] << 24);
  return { start, end: start + size };
}

/** Pickle opcodes worth dropping into a pickle: the ones that build, call and look up. */
const OPCODES = [...'cR(tQ\x81\x85\x86\x87})]eusbh\x94.NI'].map((c) => c.charCodeAt(0));

/** `seed`'s damaged copy of one of the fixtures: bytes flipped, opcodes dropped in, or the file cut. */
function damaged(seeds, seed) {
  const next = random(seed * 2654435761);
  const bytes = Uint8Array.from(seeds[next(seeds.length)]);
  const { start, end } = pickleSpan(bytes);
  const anywhere = () => next(bytes.length);
  const inPickle = () => start + next(end - start);
  const changes = 1 + next(4);
  for (let i = 0; i < changes; i++) {
    const kind = next(10);
    if (kind < 5) bytes[inPickle()] = next(256);
    else if (kind < 7) bytes[inPickle()] = OPCODES[next(OPCODES.length)];
    else if (kind < 9) bytes[anywhere()] = next(256);
    else return bytes.subarray(0, anywhere());
  }
  return bytes;
}

test('10,000 damaged .pt files: each gives well-formed tensors or a clear error, never anything else', () => {
  const seeds = STEMS.map((stem) => fixture(`${stem}.pt`));
  const outcomes = { read: 0, refused: 0 };
  const reasons = new Map();
  for (let seed = 1; seed <= 10_000; seed++) {
    const file = damaged(seeds, seed);
    let result;
    try {
      result = torchToSafetensors(file);
    } catch (err) {
      assert.ok(err instanceof Error && err.message.length > 10, `case ${seed}: ${err}`);
      const reason = err.message.split(':')[0].replace(/\d+|\b[A-Z]\b/g, 'N');
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      outcomes.refused++;
      continue;
    }
    const tensors = readSafetensors(result);
    assert.ok(tensors.size > 0, `case ${seed}: no tensors`);
    outcomes.read++;
  }
  console.log(
    `10,000 damaged .pt files: ${outcomes.read} read, ${outcomes.refused} refused`,
    Object.fromEntries(reasons),
  );
  assert.equal(outcomes.read + outcomes.refused, 10_000);
  assert.ok(outcomes.read > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
});
