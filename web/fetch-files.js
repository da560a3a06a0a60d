// Files the page and the lab's worker fetch: bytes as they are, or gzipped
// ones unpacked by the browser. Only a leaf module imported (no DOM at the
// top level), so the worker can load it without the page's modules.

import { errorText } from './messages.js';

export async function fetchBytes(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch ${what} (${url}): ${errorText(err)}`);
  }
  if (!response.ok) throw new Error(`could not fetch ${what} (${url}): HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The most a gzipped data file may inflate to: MNIST's largest (training images) is 47 MB. */
const MAX_INFLATED_BYTES = 64 << 20;

/**
 * A gzipped file, inflated by the browser's own decompressor: several times
 * faster than inflating it in wasm, and off the lab's thread. Refuses more
 * than `MAX_INFLATED_BYTES`, so a corrupt or hostile file cannot fill memory.
 */
export async function fetchGunzipped(url, what) {
  const compressed = await fetchBytes(url, what);
  const chunks = [];
  let length = 0;
  try {
    const reader = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > MAX_INFLATED_BYTES) {
        await reader.cancel();
        throw new Error(`it inflates to more than ${MAX_INFLATED_BYTES >> 20} MiB`);
      }
      chunks.push(value);
    }
  } catch (err) {
    throw new Error(`could not unpack ${what} (${url}): ${errorText(err)}`);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
