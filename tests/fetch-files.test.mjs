// Gzipped files unpacked by the browser's decompressor: the bytes as they
// were, and a clear error for a corrupt or oversized file rather than a
// page that fills its memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fetchGunzipped } from '../web/fetch-files.js';

const dataUrl = (bytes) => `data:application/gzip;base64,${Buffer.from(bytes).toString('base64')}`;

test('the MNIST test labels unpack to the IDX file they hold', async () => {
  const packed = readFileSync(new URL('../data/mnist/t10k-labels-idx1-ubyte.gz', import.meta.url));
  const bytes = await fetchGunzipped(dataUrl(packed), 'the test labels');
  // IDX magic for unsigned bytes, one dimension; then 10,000 labels.
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 8, 1, 0, 0, 0x27, 0x10]);
  assert.equal(bytes.length, 8 + 10_000);
});

test('a corrupt file is refused by name', async () => {
  const packed = gzipSync(Buffer.from('a few digits'));
  packed[packed.length - 6] ^= 0xff; // the CRC
  await assert.rejects(fetchGunzipped(dataUrl(packed), 'the test images'), /could not unpack the test images/);
});

test('a file that inflates past the limit is refused before it fills memory', async () => {
  const bomb = gzipSync(Buffer.alloc(65 << 20));
  assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
  await assert.rejects(fetchGunzipped(dataUrl(bomb), 'a bomb'), /inflates to more than 64 MiB/);
});
