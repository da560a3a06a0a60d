// Keras files (.keras, .h5) in and out of the lab: its own build
// (checkerlab_keras, the CPU build with HDF5 and zip readers and writers)
// turns one into the .safetensors file of the decoder it is, which the lab
// then loads, and the lab's .ckpt into a .keras file. Fetched only when a
// Keras file arrives or one is saved: the readers would add a third to every
// visitor's download.

const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP = [0x50, 0x4b, 0x03, 0x04];

const startsWith = (bytes, magic) => magic.every((byte, i) => bytes[i] === byte);

/**
 * Whether `bytes` are a Keras file: HDF5, or a zip whose first entry is not
 * PyTorch's `data.pkl` (torch.save writes that one first). The lab reads the
 * rest itself and refuses what it cannot with the reason.
 */
export function isKerasFile(bytes) {
  if (startsWith(bytes, HDF5)) return true;
  if (!startsWith(bytes, ZIP) || bytes.length < 30) return false;
  const nameLength = bytes[26] | (bytes[27] << 8);
  const name = new TextDecoder().decode(bytes.subarray(30, 30 + nameLength));
  return !name.endsWith('data.pkl');
}

let build = null;

function kerasBuild() {
  build ??= import('./pkg/checkerlab_keras.js').then(async (glue) => {
    await glue.default();
    return glue;
  });
  build.catch(() => {
    build = null; // a failed fetch is tried again with the next file
  });
  return build;
}

/** The Keras file as the .safetensors bytes of its decoder; throws the reason it is none. */
export async function kerasToSafetensors(bytes) {
  return (await kerasBuild()).kerasToSafetensors(bytes);
}

/** One of the lab's .ckpt files as a Keras 3 .keras file; throws where Keras has no such model. */
export async function checkpointToKeras(bytes) {
  return (await kerasBuild()).convertCheckpoint(bytes, 'keras');
}
