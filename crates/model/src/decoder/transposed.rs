//! Learned upsampling: stride-2 transposed convolutions ("deconvolution").

use crate::activation::relu;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::{Device, Tensor};

use super::{DecoderKind, conv3x3};
use crate::conv;
use crate::encoder::LayerTap;
use crate::init::{SeededRng, keras_init_conv_transpose};
use crate::resample::zero_order_hold;

/// The stride of every transposed convolution here.
pub const TRANSPOSED_STRIDE: usize = 2;

/// The layouts a [`TransposedDecoder`] comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransposedDesign {
    /// Kernel 3: the kernel does not divide the stride, so odd and even
    /// output pixels receive different numbers of taps (1-2-1-2 in 1D, 1-2-4
    /// in 2D). That uneven overlap is the checkerboard's cause in Odena,
    /// Dumoulin and Olah (Distill, 2016).
    Kernel3,
    /// Kernel 4: every output pixel receives two taps per axis. The overlap
    /// is even, but the four kernel phases are still learned independently.
    Kernel4,
    /// Kernel 3, each layer followed by a fixed 2x2 zero-order hold, which
    /// makes the step response flat whatever the kernel learns.
    Kernel3Hold,
}

/// A layer's kernel and its cropping: `out = (in - 1) * 2 - 2 * padding + kernel + padding_out`.
struct LayerShape {
    kernel: usize,
    padding: usize,
    padding_out: usize,
    label: &'static str,
}

impl TransposedDesign {
    /// The three layers' shapes: 4 -> 7 -> 14 -> 28, the hold taking one
    /// pixel off after each (8 -> 7, 15 -> 14, 29 -> 28).
    fn layers(self) -> [LayerShape; 3] {
        let layer = |kernel, padding, padding_out, label| LayerShape {
            kernel,
            padding,
            padding_out,
            label,
        };
        match self {
            TransposedDesign::Kernel3 => [
                layer(3, 1, 0, "transposed conv 3x3/2, 8, relu"),
                layer(3, 1, 1, "transposed conv 3x3/2, 8, relu"),
                layer(3, 1, 1, "transposed conv 3x3/2, 16, relu"),
            ],
            TransposedDesign::Kernel4 => [
                layer(4, 2, 1, "transposed conv 4x4/2, 8, relu"),
                layer(4, 1, 0, "transposed conv 4x4/2, 8, relu"),
                layer(4, 1, 0, "transposed conv 4x4/2, 16, relu"),
            ],
            TransposedDesign::Kernel3Hold => [
                layer(3, 1, 1, "transposed conv 3x3/2, 8"),
                layer(3, 0, 0, "transposed conv 3x3/2, 8"),
                layer(3, 0, 0, "transposed conv 3x3/2, 16"),
            ],
        }
    }

    /// What each layer cuts from the full transposed convolution's output
    /// (`(input - 1) * 2 + kernel` pixels a side), before and after: how
    /// another framework's padding and cropping must come out to compute the
    /// same image (`crate::foreign`).
    pub fn crops(self) -> [(usize, usize); 3] {
        self.layers()
            .map(|layer| (layer.padding, layer.padding - layer.padding_out))
    }

    /// The design of a transposed decoder `kind`, if it is one.
    pub fn of(kind: DecoderKind) -> Option<Self> {
        match kind {
            DecoderKind::Transposed => Some(TransposedDesign::Kernel3),
            DecoderKind::TransposedK4 => Some(TransposedDesign::Kernel4),
            DecoderKind::TransposedHold => Some(TransposedDesign::Kernel3Hold),
            _ => None,
        }
    }

    fn holds(self) -> bool {
        self == TransposedDesign::Kernel3Hold
    }
}

/// Three stride-2 transposed convolutions and a 3x3 output convolution.
#[derive(Module, Debug)]
pub struct TransposedDecoder {
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
    deconv3: ConvTranspose2d,
    output: Conv2d,
}

fn deconv(
    channels: [usize; 2],
    shape: &LayerShape,
    rng: &mut SeededRng,
    device: &Device,
) -> ConvTranspose2d {
    let layer = ConvTranspose2dConfig::new(channels, [shape.kernel; 2])
        .with_stride([TRANSPOSED_STRIDE; 2])
        .with_padding([shape.padding; 2])
        .with_padding_out([shape.padding_out; 2])
        .init(device);
    keras_init_conv_transpose(layer, rng, device)
}

impl TransposedDecoder {
    pub fn init(design: TransposedDesign, rng: &mut SeededRng, device: &Device) -> Self {
        let [first, second, third] = design.layers();
        Self {
            deconv1: deconv([8, 8], &first, rng, device),
            deconv2: deconv([8, 8], &second, rng, device),
            deconv3: deconv([8, 16], &third, rng, device),
            output: conv3x3([16, 1], PaddingConfig2d::Same, rng, device),
        }
    }

    /// # Shapes
    /// - `code`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`, logits
    pub fn forward(
        &self,
        design: TransposedDesign,
        code: Tensor<4>,
        tap: &mut LayerTap<'_>,
    ) -> Tensor<4> {
        let shapes = design.layers();
        let mut x = code;
        // [batch, 8, 7, 7] -> [batch, 8, 14, 14] -> [batch, 16, 28, 28]
        for (layer, shape) in [&self.deconv1, &self.deconv2, &self.deconv3]
            .into_iter()
            .zip(&shapes)
        {
            x = conv::forward_transposed(layer, x);
            if design.holds() {
                x = tap(shape.label, x);
                x = tap("zero-order hold 2x2, relu", relu(zero_order_hold(x)));
            } else {
                x = tap(shape.label, relu(x));
            }
        }
        let x = conv::forward(&self.output, x); // [batch, 1, 28, 28]
        tap("conv 3x3, 1 (logits; sigmoid)", x)
    }
}
