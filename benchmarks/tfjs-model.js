// The Keras blog's autoencoder in TensorFlow.js layers, built to match
// Checkerlab's Burn model layer for layer (4,385 parameters each), so the two
// systems are timed on the same work. `tf` is the global of the UMD bundle.

/* global tf */

const conv = (filters, padding = 'same', activation = 'relu') =>
  tf.layers.conv2d({ filters, kernelSize: 3, padding, activation });
const pool = () => tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' });
const upsample = () => tf.layers.upSampling2d({ size: [2, 2] });

/**
 * Burn's transposed layers crop with `padding` and `padding_out`; Keras'
 * `valid` transposed convolution followed by a crop is the same computation:
 * 4 -> 9 -> 7 (crop 1 and 1), 7 -> 15 -> 14 and 14 -> 29 -> 28 (crop 1 before).
 */
const TRANSPOSED_LAYERS = [
  [
    8,
    [
      [1, 1],
      [1, 1],
    ],
  ],
  [
    8,
    [
      [1, 0],
      [1, 0],
    ],
  ],
  [
    16,
    [
      [1, 0],
      [1, 0],
    ],
  ],
];

/**
 * @param {'upsample'|'transposed'} decoder
 * @returns a model from `[batch, 28, 28, 1]` images to logits of the same shape
 */
export function buildModel(decoder) {
  const input = tf.input({ shape: [28, 28, 1] });
  const layers = [conv(16), pool(), conv(8), pool(), conv(8), pool()]; // [batch, 4, 4, 8]
  if (decoder === 'upsample') {
    layers.push(conv(8), upsample(), conv(8), upsample(), conv(16, 'valid'), upsample());
  } else if (decoder === 'transposed') {
    for (const [filters, cropping] of TRANSPOSED_LAYERS) {
      layers.push(
        tf.layers.conv2dTranspose({ filters, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }),
        tf.layers.cropping2D({ cropping }),
      );
    }
  } else {
    throw new Error(`no TensorFlow.js twin for the ${decoder} decoder`);
  }
  layers.push(conv(1, 'same', 'linear')); // [batch, 28, 28, 1] logits
  const output = layers.reduce((x, layer) => layer.apply(x), input);
  return tf.model({ inputs: input, outputs: output });
}
