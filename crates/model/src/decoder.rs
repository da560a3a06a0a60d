//! The decoders: one enum arm per way of going from the 4x4x8 code back to 28x28.
//!
//! Adding a decoder means adding a [`DecoderKind`] variant and a [`Decoder`]
//! arm; weights files, training, evaluation and the browser take the kind as
//! data and need no other change.

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::encoder::LayerTrace;
use crate::init::{SeededRng, keras_init_conv, keras_init_conv_transpose};

/// Which decoder an autoencoder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecoderKind {
    /// The blog's UpSampling2D + Conv2D ("resize-convolution").
    Upsample,
    /// Conv2DTranspose, kernel 3, stride 2: the uneven-overlap case.
    Transposed,
}

impl DecoderKind {
    /// Every decoder, in the order the app shows them.
    pub const ALL: [DecoderKind; 2] = [DecoderKind::Upsample, DecoderKind::Transposed];

    /// The stable name used in files, logs and the browser API.
    pub fn name(self) -> &'static str {
        match self {
            DecoderKind::Upsample => "upsample",
            DecoderKind::Transposed => "transposed",
        }
    }

    /// A short human description.
    pub fn label(self) -> &'static str {
        match self {
            DecoderKind::Upsample => "nearest upsample + conv 3x3 (resize-convolution)",
            DecoderKind::Transposed => "transposed conv 3x3, stride 2 (deconvolution)",
        }
    }
}

impl std::fmt::Display for DecoderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DecoderKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        DecoderKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = DecoderKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown decoder '{name}' (known: {})", known.join(", "))
            })
    }
}

/// A decoder of either kind, as one module.
#[derive(Module, Debug)]
pub enum Decoder {
    Upsample(UpsampleDecoder),
    Transposed(TransposedDecoder),
}

impl Decoder {
    /// Builds the decoder of `kind` with Keras' initialisation drawn from `rng`.
    pub fn init(kind: DecoderKind, rng: &mut SeededRng, device: &Device) -> Self {
        match kind {
            DecoderKind::Upsample => Decoder::Upsample(UpsampleDecoder::init(rng, device)),
            DecoderKind::Transposed => Decoder::Transposed(TransposedDecoder::init(rng, device)),
        }
    }

    pub fn kind(&self) -> DecoderKind {
        match self {
            Decoder::Upsample(_) => DecoderKind::Upsample,
            Decoder::Transposed(_) => DecoderKind::Transposed,
        }
    }

    /// # Shapes
    /// - `code`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`, logits (apply a sigmoid for intensities)
    pub fn forward(&self, code: Tensor<4>) -> Tensor<4> {
        self.forward_traced(code, &mut |_, _| {})
    }

    /// [`forward`](Self::forward), showing each layer's output to `trace`.
    pub fn forward_traced(&self, code: Tensor<4>, trace: &mut LayerTrace<'_>) -> Tensor<4> {
        match self {
            Decoder::Upsample(decoder) => decoder.forward(code, trace),
            Decoder::Transposed(decoder) => decoder.forward(code, trace),
        }
    }
}

fn conv3x3(
    channels: [usize; 2],
    padding: PaddingConfig2d,
    rng: &mut SeededRng,
    device: &Device,
) -> Conv2d {
    let layer = Conv2dConfig::new(channels, [3, 3])
        .with_padding(padding)
        .init(device);
    keras_init_conv(layer, rng, device)
}

fn upsample2x(x: Tensor<4>) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    interpolate(
        x,
        InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([height * 2, width * 2]),
    )
}

/// The blog's decoder: each 2x step repeats pixels, then a 3x3 convolution
/// smooths them, so every output pixel sees the same number of kernel taps.
#[derive(Module, Debug)]
pub struct UpsampleDecoder {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    output: Conv2d,
}

impl UpsampleDecoder {
    pub fn init(rng: &mut SeededRng, device: &Device) -> Self {
        Self {
            conv1: conv3x3([8, 8], PaddingConfig2d::Same, rng, device),
            conv2: conv3x3([8, 8], PaddingConfig2d::Same, rng, device),
            // 'valid' here is how the blog gets from 16x16 back to 14x14.
            conv3: conv3x3([8, 16], PaddingConfig2d::Valid, rng, device),
            output: conv3x3([16, 1], PaddingConfig2d::Same, rng, device),
        }
    }

    /// # Shapes
    /// - `code`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`, logits
    pub fn forward(&self, code: Tensor<4>, trace: &mut LayerTrace<'_>) -> Tensor<4> {
        let x = relu(self.conv1.forward(code)); // [batch, 8, 4, 4]
        trace("conv 3x3, 8, relu", &x);
        let x = upsample2x(x); // [batch, 8, 8, 8]
        trace("upsample 2x nearest", &x);
        let x = relu(self.conv2.forward(x)); // [batch, 8, 8, 8]
        trace("conv 3x3, 8, relu", &x);
        let x = upsample2x(x); // [batch, 8, 16, 16]
        trace("upsample 2x nearest", &x);
        let x = relu(self.conv3.forward(x)); // [batch, 16, 14, 14]
        trace("conv 3x3, 16, relu, valid", &x);
        let x = upsample2x(x); // [batch, 16, 28, 28]
        trace("upsample 2x nearest", &x);
        let x = self.output.forward(x); // [batch, 1, 28, 28]
        trace("conv 3x3, 1 (logits; sigmoid)", &x);
        x
    }
}

/// Three transposed convolutions, kernel 3 and stride 2: the kernel does not
/// divide the stride, so odd and even output pixels receive different numbers
/// of taps (1-2-1-2 in 1D, 1-2-4 in 2D). That uneven overlap is the
/// checkerboard's cause in Odena, Dumoulin and Olah (Distill, 2016).
#[derive(Module, Debug)]
pub struct TransposedDecoder {
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
    deconv3: ConvTranspose2d,
    output: Conv2d,
}

/// The kernel and stride of the transposed decoder's layers.
pub const TRANSPOSED_KERNEL: usize = 3;
pub const TRANSPOSED_STRIDE: usize = 2;

fn deconv(
    channels: [usize; 2],
    padding_out: usize,
    rng: &mut SeededRng,
    device: &Device,
) -> ConvTranspose2d {
    // out = (in - 1) * 2 - 2 * 1 + 3 + padding_out: 4 -> 7 with 0, 7 -> 14 and 14 -> 28 with 1.
    let layer = ConvTranspose2dConfig::new(channels, [TRANSPOSED_KERNEL; 2])
        .with_stride([TRANSPOSED_STRIDE; 2])
        .with_padding([1, 1])
        .with_padding_out([padding_out; 2])
        .init(device);
    keras_init_conv_transpose(layer, rng, device)
}

impl TransposedDecoder {
    pub fn init(rng: &mut SeededRng, device: &Device) -> Self {
        Self {
            deconv1: deconv([8, 8], 0, rng, device),
            deconv2: deconv([8, 8], 1, rng, device),
            deconv3: deconv([8, 16], 1, rng, device),
            output: conv3x3([16, 1], PaddingConfig2d::Same, rng, device),
        }
    }

    /// # Shapes
    /// - `code`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`, logits
    pub fn forward(&self, code: Tensor<4>, trace: &mut LayerTrace<'_>) -> Tensor<4> {
        let x = relu(self.deconv1.forward(code)); // [batch, 8, 7, 7]
        trace("transposed conv 3x3/2, 8, relu", &x);
        let x = relu(self.deconv2.forward(x)); // [batch, 8, 14, 14]
        trace("transposed conv 3x3/2, 8, relu", &x);
        let x = relu(self.deconv3.forward(x)); // [batch, 16, 28, 28]
        trace("transposed conv 3x3/2, 16, relu", &x);
        let x = self.output.forward(x); // [batch, 1, 28, 28]
        trace("conv 3x3, 1 (logits; sigmoid)", &x);
        x
    }
}
