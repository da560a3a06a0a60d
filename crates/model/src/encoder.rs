//! The encoder of the Keras blog's convolutional autoencoder.

use crate::activation::relu;
use burn::config::Config;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::tensor::{Device, Tensor};

use crate::conv;
use crate::init::{SeededRng, keras_init_conv};
use crate::pool;

/// Channels of the code: the bottleneck is `[CODE_CHANNELS, CODE_SIDE, CODE_SIDE]`.
pub const CODE_CHANNELS: usize = 8;
/// Side of the code's square map.
pub const CODE_SIDE: usize = 4;
/// Numbers in one code: 4x4x8 = 128.
pub const CODE_LEN: usize = CODE_CHANNELS * CODE_SIDE * CODE_SIDE;

/// Configuration of the [`Encoder`].
#[derive(Config, Debug)]
pub struct EncoderConfig {}

/// Conv16-Pool-Conv8-Pool-Conv8-Pool: a 28x28 digit to a 4x4x8 code.
///
/// Every convolution is 3x3, ReLU, 'same'; every pool is 2x2 with Keras'
/// 'same' padding, so 7x7 pools to 4x4 rather than 3x3.
#[derive(Module, Debug)]
pub struct Encoder {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    pool: MaxPool2d,
}

impl EncoderConfig {
    /// Builds the encoder with Keras' initialisation drawn from `rng`.
    pub fn init(&self, rng: &mut SeededRng, device: &Device) -> Encoder {
        let conv = |channels: [usize; 2], rng: &mut SeededRng| {
            let layer = Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device);
            keras_init_conv(layer, rng, device)
        };
        Encoder {
            conv1: conv([1, 16], rng),
            conv2: conv([16, 8], rng),
            conv3: conv([8, 8], rng),
            pool: MaxPool2dConfig::new([2, 2])
                .with_padding(PaddingConfig2d::Same)
                .init(),
        }
    }
}

impl Encoder {
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, intensities in `[0, 1]`
    /// - output: `[batch, 8, 4, 4]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        self.forward_tapped(images, &mut |_, x| x)
    }

    /// [`forward`](Self::forward), passing each layer's output through `tap`.
    pub fn forward_tapped(&self, images: Tensor<4>, tap: &mut LayerTap<'_>) -> Tensor<4> {
        let x = relu(conv::forward(&self.conv1, images)); // [batch, 16, 28, 28]
        let x = tap("conv 3x3, 16, relu", x);
        let x = pool::forward(&self.pool, x); // [batch, 16, 14, 14]
        let x = tap("max-pool 2x2", x);
        let x = relu(conv::forward(&self.conv2, x)); // [batch, 8, 14, 14]
        let x = tap("conv 3x3, 8, relu", x);
        let x = pool::forward(&self.pool, x); // [batch, 8, 7, 7]
        let x = tap("max-pool 2x2", x);
        let x = relu(conv::forward(&self.conv3, x)); // [batch, 8, 7, 7]
        let x = tap("conv 3x3, 8, relu", x);
        let x = pool::forward(&self.pool, x); // [batch, 8, 4, 4]
        tap("max-pool 2x2 (same)", x)
    }
}

/// Given each layer's name and output, returns the tensor the next layer
/// takes: the output itself for shape checks, architecture tables and
/// timings, or the output plus a zero that requires a gradient, whose
/// gradient is then the loss's gradient at that layer
/// ([`crate::gradient_check`]).
pub type LayerTap<'a> = dyn FnMut(&'static str, Tensor<4>) -> Tensor<4> + 'a;
