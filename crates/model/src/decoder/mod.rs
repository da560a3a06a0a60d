//! The decoders: one enum arm per way of going from the 4x4x8 code back to 28x28.
//!
//! Adding a decoder means adding a [`DecoderKind`] variant (its name, label
//! and explanation) and a [`Decoder`] arm; weights files, training,
//! evaluation, the browser, its tests and the scripts take the kind as data
//! (docs/contributing.md, "Adding a decoder"). Each family lives in its own file:
//! [`resize`] (upsample, then convolve), [`transposed`] (learned stride-2
//! transposed convolutions) and [`subpixel`] (convolve, then pixel shuffle).

pub mod resize;
pub mod subpixel;
pub mod transposed;

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::encoder::LayerTap;
use crate::init::{SeededRng, keras_init_conv};
pub use resize::{Resampling, ResizeDecoder};
pub use subpixel::{SubpixelConv, SubpixelDecoder, SubpixelInit};
pub use transposed::{TRANSPOSED_STRIDE, TransposedDecoder, TransposedDesign};

/// Which decoder an autoencoder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecoderKind {
    /// The blog's UpSampling2D + Conv2D ("resize-convolution").
    Upsample,
    /// Conv2DTranspose, kernel 3, stride 2: the uneven-overlap case.
    Transposed,
    /// Conv2DTranspose, kernel 4, stride 2: even overlap, yet Distill warns
    /// the artifacts can still be learned.
    TransposedK4,
    /// Kernel 3, stride 2, each followed by a fixed 2x2 zero-order hold
    /// (Sugawara, Shiota and Kiya 2019).
    TransposedHold,
    /// Sub-pixel convolution: convolve to 4x the channels, then pixel shuffle
    /// (Shi et al. 2016), initialised like any Keras convolution.
    Subpixel,
    /// Sub-pixel convolution with ICNR initialisation (Aitken et al. 2017).
    SubpixelIcnr,
    /// Bilinear UpSampling2D + Conv2D.
    Bilinear,
}

impl DecoderKind {
    /// Every decoder, in the order the app shows them: the two originals first.
    pub const ALL: [DecoderKind; 7] = [
        DecoderKind::Upsample,
        DecoderKind::Transposed,
        DecoderKind::TransposedK4,
        DecoderKind::TransposedHold,
        DecoderKind::Subpixel,
        DecoderKind::SubpixelIcnr,
        DecoderKind::Bilinear,
    ];

    /// Where this kind sits in [`DecoderKind::ALL`]: the slot of its model
    /// wherever one model per decoder is kept.
    pub fn index(self) -> usize {
        DecoderKind::ALL
            .iter()
            .position(|kind| *kind == self)
            .unwrap_or_default()
    }

    /// The stable name used in files, logs, addresses and the browser API.
    pub fn name(self) -> &'static str {
        match self {
            DecoderKind::Upsample => "upsample",
            DecoderKind::Transposed => "transposed",
            DecoderKind::TransposedK4 => "transposed-k4",
            DecoderKind::TransposedHold => "transposed-hold",
            DecoderKind::Subpixel => "subpixel",
            DecoderKind::SubpixelIcnr => "subpixel-icnr",
            DecoderKind::Bilinear => "bilinear",
        }
    }

    /// A short human description.
    pub fn label(self) -> &'static str {
        match self {
            DecoderKind::Upsample => "nearest upsample + conv 3x3 (resize-convolution)",
            DecoderKind::Transposed => "transposed conv 3x3, stride 2 (deconvolution)",
            DecoderKind::TransposedK4 => "transposed conv 4x4, stride 2 (even overlap)",
            DecoderKind::TransposedHold => {
                "transposed conv 3x3, stride 2 + fixed 2x2 zero-order hold"
            }
            DecoderKind::Subpixel => "sub-pixel conv (conv to 4x channels + pixel shuffle)",
            DecoderKind::SubpixelIcnr => "sub-pixel conv with ICNR initialisation",
            DecoderKind::Bilinear => "bilinear upsample + conv 3x3 (resize-convolution)",
        }
    }
}

impl DecoderKind {
    /// Why this decoder does or does not paint the stride-2 pattern, in a
    /// sentence or two: the note the page shows beside its main view.
    pub fn explanation(self) -> &'static str {
        match self {
            DecoderKind::Upsample => {
                "Resize-convolution: each pixel is repeated into a 2x2 block, then a 3x3 convolution smooths. Every output pixel gets the same number of kernel taps, so no stride-2 pattern is built in."
            }
            DecoderKind::Transposed => {
                "A 3x3 transposed convolution with stride 2: the kernel does not divide the stride, so neighbouring footprints overlap unevenly (1, 2 or 4 taps per pixel). The pattern is built in; training on digits can only learn to cancel it."
            }
            DecoderKind::TransposedK4 => {
                "Kernel 4, stride 2: every output pixel gets 2x2 taps, so the overlap is even. But each of the four 2x2 phases has its own kernel weights, and nothing forces them to agree: Distill warns the pattern can still be learned."
            }
            DecoderKind::TransposedHold => {
                "The same 3x3, stride-2 transposed convolutions, each followed by a fixed 2x2 box filter (a zero-order hold). The box sums one full stride period, so a constant input gives a constant output whatever the kernel learns (Sugawara et al.)."
            }
            DecoderKind::Subpixel => {
                "Sub-pixel convolution: a convolution at low resolution makes four channels per output channel, and a pixel shuffle lays them out as 2x2 blocks. Started like any Keras layer, the four phases are unrelated: a checkerboard from step 0."
            }
            DecoderKind::SubpixelIcnr => {
                "Sub-pixel convolution with ICNR initialisation: the four phases start as copies, so the layer begins as a convolution followed by nearest-neighbour resizing, free of checkerboard until training pulls the phases apart (Aitken et al.)."
            }
            DecoderKind::Bilinear => {
                "Resize-convolution with bilinear instead of nearest upsampling: each new pixel blends its neighbours (3/4 and 1/4) before the 3x3 convolution. Distill found it harder to make work than nearest; compare the BCE."
            }
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

/// A decoder of any kind, as one module. Kinds that share a layout share a
/// struct; the arm says how it is wired and was initialised.
#[derive(Module, Debug)]
pub enum Decoder {
    Upsample(ResizeDecoder),
    Transposed(TransposedDecoder),
    TransposedK4(TransposedDecoder),
    TransposedHold(TransposedDecoder),
    Subpixel(SubpixelDecoder),
    SubpixelIcnr(SubpixelDecoder),
    Bilinear(ResizeDecoder),
}

impl Decoder {
    /// Builds the decoder of `kind` with Keras' initialisation drawn from
    /// `rng` (ICNR's for [`DecoderKind::SubpixelIcnr`]).
    pub fn init(kind: DecoderKind, rng: &mut SeededRng, device: &Device) -> Self {
        match kind {
            DecoderKind::Upsample => Decoder::Upsample(ResizeDecoder::init(rng, device)),
            DecoderKind::Bilinear => Decoder::Bilinear(ResizeDecoder::init(rng, device)),
            DecoderKind::Transposed => Decoder::Transposed(TransposedDecoder::init(
                TransposedDesign::Kernel3,
                rng,
                device,
            )),
            DecoderKind::TransposedK4 => Decoder::TransposedK4(TransposedDecoder::init(
                TransposedDesign::Kernel4,
                rng,
                device,
            )),
            DecoderKind::TransposedHold => Decoder::TransposedHold(TransposedDecoder::init(
                TransposedDesign::Kernel3Hold,
                rng,
                device,
            )),
            DecoderKind::Subpixel => {
                Decoder::Subpixel(SubpixelDecoder::init(SubpixelInit::Keras, rng, device))
            }
            DecoderKind::SubpixelIcnr => {
                Decoder::SubpixelIcnr(SubpixelDecoder::init(SubpixelInit::Icnr, rng, device))
            }
        }
    }

    pub fn kind(&self) -> DecoderKind {
        match self {
            Decoder::Upsample(_) => DecoderKind::Upsample,
            Decoder::Transposed(_) => DecoderKind::Transposed,
            Decoder::TransposedK4(_) => DecoderKind::TransposedK4,
            Decoder::TransposedHold(_) => DecoderKind::TransposedHold,
            Decoder::Subpixel(_) => DecoderKind::Subpixel,
            Decoder::SubpixelIcnr(_) => DecoderKind::SubpixelIcnr,
            Decoder::Bilinear(_) => DecoderKind::Bilinear,
        }
    }

    /// # Shapes
    /// - `code`: `[batch, 8, 4, 4]`
    /// - output: `[batch, 1, 28, 28]`, logits (apply a sigmoid for intensities)
    pub fn forward(&self, code: Tensor<4>) -> Tensor<4> {
        self.forward_tapped(code, &mut |_, x| x)
    }

    /// [`forward`](Self::forward), passing each layer's output through `tap`.
    pub fn forward_tapped(&self, code: Tensor<4>, tap: &mut LayerTap<'_>) -> Tensor<4> {
        match self {
            Decoder::Upsample(decoder) => decoder.forward(Resampling::Nearest, code, tap),
            Decoder::Bilinear(decoder) => decoder.forward(Resampling::Bilinear, code, tap),
            Decoder::Transposed(decoder) => decoder.forward(TransposedDesign::Kernel3, code, tap),
            Decoder::TransposedK4(decoder) => decoder.forward(TransposedDesign::Kernel4, code, tap),
            Decoder::TransposedHold(decoder) => {
                decoder.forward(TransposedDesign::Kernel3Hold, code, tap)
            }
            Decoder::Subpixel(decoder) | Decoder::SubpixelIcnr(decoder) => {
                decoder.forward(code, tap)
            }
        }
    }
}

/// A 3x3 convolution with Keras' initialisation.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_serialised_form() {
        for kind in DecoderKind::ALL {
            assert_eq!(kind.name().parse::<DecoderKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.name())
            );
        }
        assert!(
            "deconv"
                .parse::<DecoderKind>()
                .unwrap_err()
                .contains("known: upsample")
        );
    }
}
