// Keras files (.keras, .h5) in and out of the lab: its own build
// (checkerlab_keras, the CPU build with HDF5 and zip readers and writers)
// turns one into the .safetensors file of the decoder it is, which the lab
// then loads, and the lab's .ckpt into a .keras file. Fetched only when a
// Keras file arrives or one is saved: the readers would add a third to every
// visitor's download.

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
