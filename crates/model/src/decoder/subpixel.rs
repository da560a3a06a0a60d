//! Sub-pixel convolution: convolve at low resolution to 4x the channels, then
//! rearrange each group of four channels into a 2x2 block (pixel shuffle).

use crate::activation::relu;
use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::{PaddingConfig2d, PixelShuffle, PixelShuffleConfig};
use burn::tensor::{Device, Tensor};

use super::conv3x3;
use crate::conv;
use crate::encoder::LayerTap;
use crate::init::SeededRng;
use crate::resample::crop;

/// Output pixels per input pixel along each axis.
const UPSCALE: usize = 2;
/// Low-resolution channels per output channel: one per position in a 2x2 block.
const PHASES: usize = UPSCALE * UPSCALE;

/// How a sub-pixel layer's kernel starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubpixelInit {
    /// Glorot-uniform over all `4 x out` output channels, as Keras starts any
    /// convolution: the four phases of each block start unrelated, which is
    /// a checkerboard from step 0.
    Keras,
    /// ICNR (Aitken et al. 2017, "Checkerboard artifact free sub-pixel
    /// convolution"): one Glorot kernel per output channel, copied to all
    /// four phases, so the layer starts as a convolution followed by a
    /// nearest-neighbour resize and has no checkerboard until training
    /// makes the phases differ.
    Icnr,
}

/// One sub-pixel upsampling layer.
#[derive(Module, Debug)]
pub struct SubpixelConv {
    conv: Conv2d,
    shuffle: PixelShuffle,
}

impl SubpixelConv {
    /// A layer from `channels[0]` to `channels[1]` channels at twice the side.
    pub fn init(
        channels: [usize; 2],
        init: SubpixelInit,
        rng: &mut SeededRng,
        device: &Device,
    ) -> Self {
        let [input, output] = channels;
        let conv = match init {
            SubpixelInit::Keras => {
                conv3x3([input, output * PHASES], PaddingConfig2d::Same, rng, device)
            }
            SubpixelInit::Icnr => {
                // The full-size kernel drawn here is replaced below; the draw
                // stays so a seed keeps the stream the shipped weights began from.
                let mut conv =
                    conv3x3([input, output * PHASES], PaddingConfig2d::Same, rng, device);
                let single = conv3x3([input, output], PaddingConfig2d::Same, rng, device);
                // [out, in, 3, 3] -> [out, 4, in, 3, 3]: shuffle reads channel
                // `c * 4 + phase` into output channel `c`.
                let kernel = single
                    .weight
                    .val()
                    .unsqueeze_dim::<5>(1)
                    .repeat_dim(1, PHASES)
                    .reshape([output * PHASES, input, 3, 3])
                    // Built by operations, so cut from any autodiff graph to be a leaf.
                    .detach();
                conv.weight = Param::from_tensor(kernel);
                conv
            }
        };
        Self {
            conv,
            shuffle: PixelShuffleConfig::new(UPSCALE).init(),
        }
    }

    /// # Shapes
    /// - `x`: `[batch, in, height, width]`
    /// - output: `[batch, out, 2 * height, 2 * width]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.shuffle.forward(conv::forward(&self.conv, x)) // [batch, 4 * out, h, w] -> [batch, out, 2h, 2w]
    }
}

/// The resize-convolution decoder with each "upsample, then convolve" pair
/// replaced by one sub-pixel layer: the convolution runs before the
/// resolution doubles, on a quarter of the pixels, with 4x the outputs.
#[derive(Module, Debug)]
pub struct SubpixelDecoder {
    conv1: Conv2d,
    up1: SubpixelConv,
    up2: SubpixelConv,
    output: SubpixelConv,
}

impl SubpixelDecoder {
    pub fn init(init: SubpixelInit, rng: &mut SeededRng, device: &Device) -> Self {
        Self {
            conv1: conv3x3([8, 8], PaddingConfig2d::Same, rng, device),
            up1: SubpixelConv::init([8, 8], init, rng, device),
            up2: SubpixelConv::init([8, 16], init, rng, device),
            output: SubpixelConv::init([16, 1], init, rng, device),
        }
    }

    /// # Shapes
    /// - `code`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`, logits
    pub fn forward(&self, code: Tensor<4>, tap: &mut LayerTap<'_>) -> Tensor<4> {
        let x = relu(conv::forward(&self.conv1, code)); // [batch, 8, 4, 4]
        let x = tap("conv 3x3, 8, relu", x);
        let x = relu(self.up1.forward(x)); // [batch, 8, 8, 8]
        let x = tap("sub-pixel conv 3x3 (32 ch) + shuffle, 8, relu", x);
        let x = self.up2.forward(x); // [batch, 16, 16, 16]
        let x = tap("sub-pixel conv 3x3 (64 ch) + shuffle, 16", x);
        // The blog's 'valid' convolution takes 16x16 to 14x14; here the
        // convolution ran before the shuffle, so crop instead.
        let x = relu(crop(x, 1)); // [batch, 16, 14, 14]
        let x = tap("crop 1 px, relu", x);
        let x = self.output.forward(x); // [batch, 1, 28, 28]
        tap(
            "sub-pixel conv 3x3 (4 ch) + shuffle, 1 (logits; sigmoid)",
            x,
        )
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::Conv2dConfig;

    use super::*;
    use crate::init::glorot_uniform;
    use crate::resample::nearest_2x;

    /// The convolution ICNR copied to every phase: phase 0 of each group.
    fn first_phase(layer: &SubpixelConv, device: &Device) -> Conv2d {
        let [channels, input, k, _] = layer.conv.weight.dims();
        let output = channels / PHASES;
        let mut conv = Conv2dConfig::new([input, output], [k, k])
            .with_padding(PaddingConfig2d::Same)
            .init(device);
        let kernel = layer
            .conv
            .weight
            .val()
            .reshape([output, PHASES, input, k, k]);
        conv.weight = Param::from_tensor(kernel.narrow(1, 0, 1).reshape([output, input, k, k]));
        let bias = layer
            .conv
            .bias
            .as_ref()
            .unwrap()
            .val()
            .reshape([output, PHASES]);
        conv.bias = Some(Param::from_tensor(bias.narrow(1, 0, 1).reshape([output])));
        conv
    }

    fn largest_difference(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar()
    }

    #[test]
    fn icnr_starts_as_a_convolution_then_a_nearest_resize() {
        let device = Device::flex();
        let input = glorot_uniform(&mut SeededRng::new(1), [2, 8, 5, 5], 1, 1, &device);
        for (init, equal) in [(SubpixelInit::Icnr, true), (SubpixelInit::Keras, false)] {
            let layer = SubpixelConv::init([8, 3], init, &mut SeededRng::new(2), &device);
            let shuffled = layer.forward(input.clone());
            assert_eq!(shuffled.dims(), [2, 3, 10, 10]);
            let resized = nearest_2x(first_phase(&layer, &device).forward(input.clone()));
            let difference = largest_difference(shuffled, resized);
            assert_eq!(
                difference < 1e-6,
                equal,
                "{init:?}: largest difference {difference}"
            );
        }
    }

    #[test]
    fn decoder_reaches_28x28_through_16_and_14() {
        let device = Device::flex();
        let decoder = SubpixelDecoder::init(SubpixelInit::Icnr, &mut SeededRng::new(0), &device);
        let mut shapes = Vec::new();
        let code = Tensor::<4>::ones([3, 8, 4, 4], &device);
        let out = decoder.forward(code, &mut |_, x| {
            shapes.push(x.dims());
            x
        });
        assert_eq!(out.dims(), [3, 1, 28, 28]);
        assert_eq!(
            shapes,
            vec![
                [3, 8, 4, 4],
                [3, 8, 8, 8],
                [3, 16, 16, 16],
                [3, 16, 14, 14],
                [3, 1, 28, 28]
            ]
        );
    }
}
