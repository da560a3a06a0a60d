// Weights files from other frameworks, told apart by their first bytes and
// turned into the `.safetensors` file the lab reads: Keras' by the Keras
// build (keras-reader.js), PyTorch's by torch-reader.js. Each reader is
// imported with the first file it reads, so visitors who bring none never
// download one.

const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP = [0x50, 0x4b, 0x03, 0x04];

const startsWith = (bytes, magic) => bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);

/**
 * `'keras'` for HDF5 or a zip whose first entry is not `data.pkl`,
 * `'pytorch'` for a zip whose first entry is (torch.save writes it first),
 * else null: the lab's own formats, or something it refuses with the reason.
 */
export function foreignFormat(bytes) {
  if (startsWith(bytes, HDF5)) return 'keras';
  if (!startsWith(bytes, ZIP) || bytes.length < 30) return null;
  const nameLength = bytes[26] | (bytes[27] << 8);
  const name = new TextDecoder().decode(bytes.subarray(30, 30 + nameLength));
  return name.endsWith('data.pkl') ? 'pytorch' : 'keras';
}

/** `bytes` as the lab reads them: a foreign file as `.safetensors`, the rest as they are. */
export async function asLabFile(bytes) {
  const format = foreignFormat(bytes);
  if (format === 'keras') return (await import('./keras-reader.js')).kerasToSafetensors(bytes);
  if (format === 'pytorch') return (await import('./torch-reader.js')).torchToSafetensors(bytes);
  return bytes;
}
