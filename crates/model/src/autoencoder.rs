//! The whole autoencoder: the shared encoder and one decoder.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use crate::decoder::{Decoder, DecoderKind};
use crate::encoder::{Encoder, EncoderConfig};
use crate::init::SeededRng;

/// Side of an MNIST image.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one MNIST image.
pub const IMAGE_LEN: usize = IMAGE_SIDE * IMAGE_SIDE;

/// Configuration of an [`Autoencoder`]: which decoder, and the seed of its
/// initial weights (the same seed gives the same model on every backend).
#[derive(Config, Debug)]
pub struct AutoencoderConfig {
    pub decoder: DecoderKind,
    #[config(default = 0)]
    pub seed: u64,
}

/// The convolutional autoencoder of "Building Autoencoders in Keras".
#[derive(Module, Debug)]
pub struct Autoencoder {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

impl AutoencoderConfig {
    pub fn init(&self, device: &Device) -> Autoencoder {
        let mut rng = SeededRng::new(self.seed);
        // Separate streams: the encoder's weights for a seed are the same
        // whichever decoder sits behind it.
        let mut encoder_rng = rng.fork(1);
        let mut decoder_rng = rng.fork(2);
        Autoencoder {
            encoder: EncoderConfig::new().init(&mut encoder_rng, device),
            decoder: Decoder::init(self.decoder, &mut decoder_rng, device),
        }
    }
}

impl Autoencoder {
    pub fn kind(&self) -> DecoderKind {
        self.decoder.kind()
    }

    /// Each layer's name and output shape for one image, encoder then decoder.
    pub fn architecture(&self) -> Vec<(&'static str, [usize; 4])> {
        let device = &self.devices()[0];
        let mut layers = Vec::new();
        let mut record = |name: &'static str, x: Tensor<4>| {
            layers.push((name, x.dims()));
            x
        };
        let image = Tensor::zeros([1, 1, IMAGE_SIDE, IMAGE_SIDE], device);
        let code = self.encoder.forward_tapped(image, &mut record);
        self.decoder.forward_tapped(code, &mut record);
        layers
    }

    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, 8, 4, 4]`
    pub fn encode(&self, images: Tensor<4>) -> Tensor<4> {
        self.encoder.forward(images)
    }

    /// Decodes codes to logits.
    ///
    /// # Shapes
    /// - `codes`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode_logits(&self, codes: Tensor<4>) -> Tensor<4> {
        self.decoder.forward(codes)
    }

    /// Reconstruction logits; the loss works on these for numerical stability.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        self.decode_logits(self.encode(images))
    }

    /// Reconstructed intensities in `(0, 1)`.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn reconstruct(&self, images: Tensor<4>) -> Tensor<4> {
        sigmoid(self.forward(images))
    }

    /// Decoded intensities for codes chosen directly (random, interpolated or
    /// one unit switched on), where no training image constrained the output.
    ///
    /// # Shapes
    /// - `codes`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode(&self, codes: Tensor<4>) -> Tensor<4> {
        sigmoid(self.decode_logits(codes))
    }
}
