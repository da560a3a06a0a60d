//! Resize-convolution: upsample with a fixed filter, then convolve.

use crate::activation::relu;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};

use super::conv3x3;
use crate::conv;
use crate::encoder::LayerTap;
use crate::init::SeededRng;
use crate::resample::{bilinear_2x, nearest_2x};

/// The fixed 2x upsampling a [`ResizeDecoder`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resampling {
    /// Repeat each pixel (the blog's `UpSampling2D`).
    Nearest,
    /// Interpolate with half-pixel centres.
    Bilinear,
}

impl Resampling {
    fn upsample(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Resampling::Nearest => nearest_2x(x),
            Resampling::Bilinear => bilinear_2x(x),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Resampling::Nearest => "upsample 2x nearest",
            Resampling::Bilinear => "upsample 2x bilinear",
        }
    }
}

/// The blog's decoder: each 2x step resamples with a fixed filter, then a
/// 3x3 convolution smooths, so every output pixel sees the same number of
/// kernel taps.
#[derive(Module, Debug)]
pub struct ResizeDecoder {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    output: Conv2d,
}

impl ResizeDecoder {
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
    pub fn forward(
        &self,
        resampling: Resampling,
        code: Tensor<4>,
        tap: &mut LayerTap<'_>,
    ) -> Tensor<4> {
        let x = relu(conv::forward(&self.conv1, code)); // [batch, 8, 4, 4]
        let x = tap("conv 3x3, 8, relu", x);
        let x = resampling.upsample(x); // [batch, 8, 8, 8]
        let x = tap(resampling.label(), x);
        let x = relu(conv::forward(&self.conv2, x)); // [batch, 8, 8, 8]
        let x = tap("conv 3x3, 8, relu", x);
        let x = resampling.upsample(x); // [batch, 8, 16, 16]
        let x = tap(resampling.label(), x);
        let x = relu(conv::forward(&self.conv3, x)); // [batch, 16, 14, 14]
        let x = tap("conv 3x3, 16, relu, valid", x);
        let x = resampling.upsample(x); // [batch, 16, 28, 28]
        let x = tap(resampling.label(), x);
        let x = conv::forward(&self.output, x); // [batch, 1, 28, 28]
        tap("conv 3x3, 1 (logits; sigmoid)", x)
    }
}
