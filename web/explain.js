// What each decoder is, in a sentence or two: why it paints (or avoids) the
// checkerboard. Shown beside the main view.

const WHY = {
  upsample: 'Resize-convolution: each pixel is repeated into a 2x2 block, then a 3x3 convolution smooths. Every output pixel gets the same number of kernel taps, so no stride-2 pattern is built in.',
  transposed: 'A 3x3 transposed convolution with stride 2: the kernel does not divide the stride, so neighbouring footprints overlap unevenly (1, 2 or 4 taps per pixel). The pattern is built in; training on digits can only learn to cancel it.',
  'transposed-k4': 'Kernel 4, stride 2: every output pixel gets 2x2 taps, so the overlap is even. But each of the four 2x2 phases has its own kernel weights, and nothing forces them to agree: Distill warns the pattern can still be learned.',
  'transposed-hold': 'The same 3x3, stride-2 transposed convolutions, each followed by a fixed 2x2 box filter (a zero-order hold). The box sums one full stride period, so a constant input gives a constant output whatever the kernel learns (Sugawara et al.).',
  subpixel: 'Sub-pixel convolution: a convolution at low resolution makes four channels per output channel, and a pixel shuffle lays them out as 2x2 blocks. Started like any Keras layer, the four phases are unrelated: a checkerboard from step 0.',
  'subpixel-icnr': 'Sub-pixel convolution with ICNR initialisation: the four phases start as copies, so the layer begins as a convolution followed by nearest-neighbour resizing, free of checkerboard until training pulls the phases apart (Aitken et al.).',
  bilinear: 'Resize-convolution with bilinear instead of nearest upsampling: each new pixel blends its neighbours (3/4 and 1/4) before the 3x3 convolution. Distill found it harder to make work than nearest; compare the BCE.',
};

/** The sentence about `decoder`, or nothing for a decoder this page does not know. */
export function whyDecoder(decoder) {
  return WHY[decoder] ?? '';
}
