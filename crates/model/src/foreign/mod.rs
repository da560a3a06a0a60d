//! Models trained elsewhere: a Keras or PyTorch autoencoder's tensors, found
//! to be one of our decoders and loaded into it.
//!
//! A reader (safetensors here; the page's HDF5 and zip readers, the CLI's
//! PyTorch reader) turns a file into [`ForeignTensor`]s with the framework's
//! kernel [`Layout`]. [`recognise`] then matches them, layer by layer, against
//! each decoder's parameters, and [`Recognised::into_autoencoder`] builds the
//! model. Nothing about the file's names is trusted beyond their order: a
//! Keras or PyTorch user names layers as they like, so a layer is matched by
//! its kind (convolution or transposed convolution, where the file says) and
//! its kernel's shape.
//!
//! | framework | convolution kernel | transposed convolution kernel |
//! | --- | --- | --- |
//! | Burn, PyTorch | `[out, in, kh, kw]` | `[in, out, kh, kw]` |
//! | Keras | `[kh, kw, in, out]` | `[kh, kw, out, in]` |
//!
//! Both Keras kernels become Burn's by the same permutation, `(3, 2, 0, 1)`.
//! All three frameworks compute a cross-correlation, and a transposed
//! convolution as its gradient, so no kernel is flipped.

#[cfg(feature = "keras")]
pub mod keras;
mod layers;
#[cfg(feature = "pytorch")]
pub mod pytorch;
pub mod safetensors;
mod save;

use burn::tensor::Device;

use crate::decoder::DecoderKind;
use crate::{Autoencoder, AutoencoderConfig};
pub use layers::{LayerKind, OurLayer, our_layers};
pub use save::{SaveFormat, SaveFormatEntry, convert_checkpoint};

/// The most numbers a foreign model may hold: the largest of ours has about
/// 10,000, so anything far beyond is not one of them and is refused before
/// its values are copied.
pub const MAX_VALUES: usize = 1 << 20;

/// Where a framework keeps a kernel's axes (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Burn's own order, which PyTorch shares.
    Pytorch,
    /// Height and width first.
    Keras,
}

/// One tensor of a foreign file, as its framework stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignTensor {
    /// The file's name for it (a state-dict key, an HDF5 path).
    pub name: String,
    pub shape: Vec<usize>,
    /// Row-major, in the framework's layout.
    pub values: Vec<f32>,
    /// Whether the file says this belongs to a transposed convolution; `None`
    /// where it cannot say (a PyTorch state dict has no layer types).
    pub transposed: Option<bool>,
}

/// Which of the decoders that fit was chosen, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub kind: DecoderKind,
    /// Every decoder whose layers the file fits: more than one where only the
    /// fixed parts differ (nearest or bilinear upsampling, a zero-order hold),
    /// which leave no trace in the weights.
    pub fits: Vec<DecoderKind>,
    /// The parameters in Burn's layout and visiting order.
    values: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForeignError {
    #[error("{0}")]
    Unreadable(String),
    /// A model that the asked-for format cannot hold, or a writer's fault.
    #[error("{0}")]
    Unwritable(String),
    #[error("the file holds {found} numbers; no model here has more than {MAX_VALUES}")]
    TooLarge { found: usize },
    #[error("tensor '{name}' has shape {shape:?} but {found} values")]
    ShapeMismatch {
        name: String,
        shape: Vec<usize>,
        found: usize,
    },
    #[error("the file's layers fit none of the decoders. Closest: {closest}: {why}")]
    NoDecoderFits { closest: DecoderKind, why: String },
}

/// The formats a foreign file may be in, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Keras 3 `.keras` archive.
    KerasArchive,
    /// HDF5: a Keras `.weights.h5` or full-model `.h5`.
    KerasHdf5,
    Safetensors,
    /// PyTorch's `torch.save` zip.
    Pytorch,
}

impl Format {
    /// What `bytes` look like, if any of these.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(b"\x89HDF\r\n\x1a\n") {
            return Some(Format::KerasHdf5);
        }
        if bytes.starts_with(b"PK\x03\x04") {
            // torch.save's archive holds its pickle as `<name>/data.pkl`,
            // named in the first local header.
            let first_name = bytes
                .get(26..30)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                .and_then(|len| bytes.get(30..30 + len));
            let is_torch = first_name.is_some_and(|name| name.ends_with(b"data.pkl"));
            return Some(if is_torch {
                Format::Pytorch
            } else {
                Format::KerasArchive
            });
        }
        // A safetensors file: an 8-byte header length, then the JSON header.
        let header = bytes
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
        if header.is_some_and(|len| len > 1 && len <= bytes.len() as u64)
            && bytes.get(8) == Some(&b'{')
        {
            return Some(Format::Safetensors);
        }
        None
    }
}

/// A file from Keras or PyTorch, given as bytes (the browser's way), found
/// to be one of our decoders. Burn reads PyTorch's `.pt` from a path only
/// ([`pytorch`], the CLI); the page turns one into a `.safetensors` first
/// (`web/torch-reader.js`), so here it is refused with the way round.
pub fn load_bytes(bytes: &[u8]) -> Result<Recognised, ForeignError> {
    match Format::sniff(bytes) {
        #[cfg(feature = "keras")]
        Some(Format::KerasArchive | Format::KerasHdf5) => keras::load(bytes),
        #[cfg(not(feature = "keras"))]
        Some(Format::KerasArchive | Format::KerasHdf5) => Err(ForeignError::Unreadable(
            "a Keras file, and this build has no Keras reader (the page converts Keras files with its own, and so does the CLI)".into(),
        )),
        Some(Format::Safetensors) => safetensors::load(bytes),
        Some(Format::Pytorch) => Err(ForeignError::Unreadable(
            "PyTorch .pt files are read from a path (checkerlab eval FILE) or by the page's own reader; from bytes, save the state dict as .safetensors: safetensors.torch.save_file(model.state_dict(), \"model.safetensors\")".into(),
        )),
        None => Err(ForeignError::Unreadable(
            "not a file of Checkerlab, Keras (.keras, .h5) or safetensors".into(),
        )),
    }
}

/// The decoder these tensors are, given a preference among those that fit
/// (`hint`: the decoder a file of ours names, or the one a Keras config's
/// weightless steps say: nearest or bilinear upsampling, a zero-order hold).
pub fn recognise(
    tensors: &[ForeignTensor],
    layout: Layout,
    hint: Option<DecoderKind>,
) -> Result<Recognised, ForeignError> {
    let total = tensors
        .iter()
        .try_fold(0usize, |sum, t| sum.checked_add(t.values.len()))
        .unwrap_or(usize::MAX);
    if total > MAX_VALUES {
        return Err(ForeignError::TooLarge { found: total });
    }
    for tensor in tensors {
        let declared = tensor
            .shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d));
        if declared != Some(tensor.values.len()) {
            return Err(ForeignError::ShapeMismatch {
                name: tensor.name.clone(),
                shape: tensor.shape.clone(),
                found: tensor.values.len(),
            });
        }
    }
    let theirs = layers::their_layers(tensors, layout)?;
    let mut fits = Vec::new();
    let mut closest: Option<(usize, DecoderKind, String)> = None;
    let mut chosen_values = None;
    for kind in DecoderKind::ALL {
        // A sub-pixel decoder is taken only from a file that names it (one
        // of ours): another framework's pixel shuffle may order channels
        // otherwise, and nothing in the weights would tell.
        if !layers::LOADABLE.contains(&kind) && hint != Some(kind) {
            if closest.is_none() {
                closest = Some((
                    0,
                    kind,
                    "sub-pixel decoders are not loaded from other frameworks yet".into(),
                ));
            }
            continue;
        }
        match layers::assign(&our_layers(kind), &theirs) {
            Ok(values) => {
                if fits.is_empty() || Some(kind) == hint {
                    chosen_values = Some(values);
                }
                fits.push(kind);
            }
            Err((matched, why)) => {
                if closest.as_ref().is_none_or(|(best, ..)| matched > *best) {
                    closest = Some((matched, kind, why));
                }
            }
        }
    }
    let kind = match hint.filter(|kind| fits.contains(kind)) {
        Some(kind) => kind,
        None => match fits.first() {
            Some(kind) => *kind,
            None => {
                let (_, closest, why) =
                    closest.unwrap_or((0, DecoderKind::Upsample, String::new()));
                return Err(ForeignError::NoDecoderFits { closest, why });
            }
        },
    };
    Ok(Recognised {
        kind,
        fits,
        values: chosen_values.unwrap_or_default(),
    })
}

impl Recognised {
    /// The model with the file's parameters, on `device`.
    pub fn into_autoencoder(self, device: &Device) -> Autoencoder {
        let model = AutoencoderConfig::new(self.kind).init(device);
        crate::parameters::with_parameters(model, &self.values, device)
    }

    /// The same weights in another decoder that they fit (one of [`Self::fits`]).
    pub fn with_kind(self, kind: DecoderKind) -> Self {
        if self.fits.contains(&kind) {
            Self { kind, ..self }
        } else {
            self
        }
    }

    /// One sentence for the user: which decoder, and which others fit as well.
    pub fn summary(&self) -> String {
        let others: Vec<_> = self
            .fits
            .iter()
            .filter(|kind| **kind != self.kind)
            .map(|kind| kind.name())
            .collect();
        let found = format!(
            "its layers are those of the {} decoder, which now holds them",
            self.kind
        );
        if others.is_empty() {
            found
        } else {
            format!(
                "{found} ({} has the same layers; the two differ only in a fixed step with no weights)",
                others.join(" and ")
            )
        }
    }
}

#[cfg(test)]
mod tests;
