//! The formats a model is saved in, from the page and the CLI: our `.ckpt`,
//! which keeps the training record, and the two other frameworks read.

use burn::tensor::Device;
use serde::Serialize;

use super::{ForeignError, layers};
use crate::decoder::DecoderKind;
use crate::weights;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveFormat {
    /// This lab's own file, with the model's training record.
    Checkpoint,
    /// A Keras 3 model ([`super::keras::write`]).
    Keras,
    /// PyTorch's names and layout ([`super::safetensors::write`]).
    Safetensors,
}

/// A format as the catalog lists it, for the page's chooser.
#[derive(Debug, Clone, Serialize)]
pub struct SaveFormatEntry {
    pub extension: &'static str,
    pub label: &'static str,
    /// The decoders it can hold.
    pub decoders: Vec<&'static str>,
}

impl SaveFormat {
    pub const ALL: [SaveFormat; 3] = [
        SaveFormat::Checkpoint,
        SaveFormat::Keras,
        SaveFormat::Safetensors,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            SaveFormat::Checkpoint => "ckpt",
            SaveFormat::Keras => "keras",
            SaveFormat::Safetensors => "safetensors",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.extension().eq_ignore_ascii_case(extension))
    }

    /// Whether a model with `kind`'s decoder can be written in this format:
    /// Keras has no pixel-shuffle layer for the sub-pixel decoders.
    pub fn holds(self, kind: DecoderKind) -> bool {
        self != SaveFormat::Keras || layers::LOADABLE.contains(&kind)
    }

    pub fn entry(self) -> SaveFormatEntry {
        SaveFormatEntry {
            extension: self.extension(),
            label: match self {
                SaveFormat::Checkpoint => "this lab (.ckpt, with its training record)",
                SaveFormat::Keras => "Keras 3 (.keras)",
                SaveFormat::Safetensors => "PyTorch and others (.safetensors)",
            },
            decoders: DecoderKind::ALL
                .into_iter()
                .filter(|kind| self.holds(*kind))
                .map(DecoderKind::name)
                .collect(),
        }
    }
}

/// One of our `.ckpt` files written in `format`.
pub fn convert_checkpoint(checkpoint: &[u8], format: SaveFormat) -> Result<Vec<u8>, ForeignError> {
    let unreadable = |err: weights::WeightsError| ForeignError::Unreadable(err.to_string());
    let info = weights::read_info(checkpoint).map_err(unreadable)?;
    let (model, _) =
        weights::decode(checkpoint, info.decoder, &Device::flex()).map_err(unreadable)?;
    match format {
        SaveFormat::Checkpoint => Ok(checkpoint.to_vec()),
        SaveFormat::Safetensors => super::safetensors::write(&model),
        #[cfg(feature = "keras")]
        SaveFormat::Keras => super::keras::write(&model),
        #[cfg(not(feature = "keras"))]
        SaveFormat::Keras => Err(ForeignError::Unwritable(
            "this build has no Keras writer (the page fetches the one that has)".into(),
        )),
    }
}
