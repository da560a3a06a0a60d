//! `.safetensors` files, read and written with the format's own crate.
//!
//! What we write is named as a PyTorch state dict of our model would be
//! (`encoder.conv1.weight`, kernels in PyTorch's layout), and says in its
//! metadata which decoder it holds, so that it loads back into that one
//! even where another has the same shapes.

use super::layers::named_parameters;
use super::{ForeignError, ForeignTensor, Layout, Recognised, recognise};
use crate::Autoencoder;
use crate::decoder::DecoderKind;
use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};

/// The largest file read; ours are under 50 kB.
pub const MAX_FILE_LEN: usize = 16 << 20;
/// The metadata key naming the decoder in files we write.
const DECODER_KEY: &str = "checkerlab.decoder";

/// The tensors of a `.safetensors` file, and the decoder it names, if any.
pub fn read(bytes: &[u8]) -> Result<(Vec<ForeignTensor>, Option<DecoderKind>), ForeignError> {
    if bytes.len() > MAX_FILE_LEN {
        return Err(ForeignError::Unreadable(format!(
            "a weights file is at most {MAX_FILE_LEN} bytes; this one is {}",
            bytes.len()
        )));
    }
    let unreadable = |err: ::safetensors::SafeTensorError| {
        ForeignError::Unreadable(format!("not a readable safetensors file: {err}"))
    };
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(unreadable)?;
    let named = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(DECODER_KEY))
        .and_then(|name| name.parse().ok());
    let file = SafeTensors::deserialize(bytes).map_err(unreadable)?;
    let mut tensors = Vec::new();
    for (name, view) in file.iter() {
        let values = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()) as f32)
                .collect(),
            other => {
                return Err(ForeignError::Unreadable(format!(
                    "tensor '{name}' holds {other:?} values; only 32- and 64-bit floats are read"
                )));
            }
        };
        tensors.push(ForeignTensor {
            name: name.to_string(),
            shape: view.shape().to_vec(),
            values,
            transposed: None,
        });
    }
    Ok((tensors, named))
}

/// A `.safetensors` file, found to be one of our decoders.
pub fn load(bytes: &[u8]) -> Result<Recognised, ForeignError> {
    let (tensors, named) = read(bytes)?;
    recognise(&tensors, Layout::Pytorch, named)
}

/// `model` as a `.safetensors` file in PyTorch's names and layout.
pub fn write(model: &Autoencoder) -> Result<Vec<u8>, ForeignError> {
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = named_parameters(model)
        .into_iter()
        .map(|t| {
            let bytes = t.values.iter().flat_map(|v| v.to_le_bytes()).collect();
            (t.name, t.shape, bytes)
        })
        .collect();
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes).map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ForeignError::Unwritable(format!("could not write safetensors: {err}")))?;
    let metadata = [
        (DECODER_KEY.to_string(), model.kind().name().to_string()),
        ("format".to_string(), "pt".to_string()),
    ];
    ::safetensors::serialize(views, Some(metadata.into_iter().collect()))
        .map_err(|err| ForeignError::Unwritable(format!("could not write safetensors: {err}")))
}
