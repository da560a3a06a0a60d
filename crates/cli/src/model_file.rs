//! A model from a file, whichever framework wrote it: our `.ckpt`, or a
//! Keras or PyTorch user's file (`checkerlab_model::foreign`).

use std::path::Path;

use anyhow::{Context, bail};
use burn::tensor::Device;
use checkerlab_model::foreign::{self, Recognised};
use checkerlab_model::weights::{self, WeightsInfo};
use checkerlab_model::{Autoencoder, DecoderKind};

use crate::args;

/// Where a model came from.
pub enum Origin {
    Ours(WeightsInfo),
    /// Another framework's file, and which of our decoders it was found to be.
    Foreign(Recognised),
}

impl Origin {
    pub fn decoder(&self) -> DecoderKind {
        match self {
            Origin::Ours(info) => info.decoder,
            Origin::Foreign(recognised) => recognised.kind,
        }
    }
}

/// The model in `path`, on `device`; `expected`, when given, is the decoder
/// it must be.
pub fn load(
    path: &Path,
    expected: Option<DecoderKind>,
    device: &Device,
) -> anyhow::Result<(Autoencoder, Origin)> {
    let name = path.display();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let recognised = match extension.as_str() {
        "safetensors" => foreign::safetensors::load(&args::read_weights_file(path)?),
        "pt" | "pth" | "bin" => foreign::pytorch::load(path),
        "keras" | "h5" => foreign::keras::load(&args::read_weights_file(path)?),
        _ => {
            let bytes = args::read_weights_file(path)?;
            let info = weights::read_info(&bytes).with_context(|| format!("{name}"))?;
            let decoder = expected.unwrap_or(info.decoder);
            let (model, info) =
                weights::decode(&bytes, decoder, device).with_context(|| format!("{name}"))?;
            return Ok((model, Origin::Ours(info)));
        }
    }
    .with_context(|| format!("{name}"))?;
    if let Some(expected) = expected.filter(|e| !recognised.fits.contains(e)) {
        bail!(
            "{name}: the file is a {} model, not {expected}",
            recognised.kind
        );
    }
    let recognised = match expected {
        Some(kind) => recognised.with_kind(kind),
        None => recognised,
    };
    Ok((
        recognised.clone().into_autoencoder(device),
        Origin::Foreign(recognised),
    ))
}
