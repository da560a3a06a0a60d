//! PyTorch's `torch.save` files (`.pt`, `.pth`), read by Burn's own PyTorch
//! reader: a pickle interpreter that rebuilds tensors and refuses any other
//! Python object, so no code in a file is ever run.
//!
//! Native only (the CLI): the reader opens a path, since a zip container's
//! tensors are read from the file as they are needed.

use std::path::Path;

use pytorch_reader::{DType, PytorchReader};

use super::{ForeignError, ForeignTensor, Layout, MAX_VALUES, Recognised, recognise};

/// The tensors of a PyTorch file: a state dict, or a checkpoint holding one
/// under `state_dict` or `model_state_dict`.
pub fn read(path: &Path) -> Result<Vec<ForeignTensor>, ForeignError> {
    let unreadable = |err: pytorch_reader::PytorchError| {
        ForeignError::Unreadable(format!("not a PyTorch file this reader accepts: {err}"))
    };
    let reader = PytorchReader::new(path).map_err(unreadable)?;
    let reader = match ["state_dict", "model_state_dict"].into_iter().find(|key| {
        reader
            .keys()
            .iter()
            .any(|k| k.starts_with(&format!("{key}.")))
    }) {
        Some(key) => PytorchReader::with_top_level_key(path, key).map_err(unreadable)?,
        None => reader,
    };
    let total: usize = reader
        .tensors()
        .values()
        .map(|t| t.num_elements())
        .fold(0, usize::saturating_add);
    if total > MAX_VALUES {
        return Err(ForeignError::TooLarge { found: total });
    }
    let mut tensors = Vec::new();
    for (name, tensor) in reader.tensors() {
        let bytes = tensor
            .read()
            .map_err(|err| ForeignError::Unreadable(format!("tensor '{name}': {err}")))?;
        let values = match tensor.dtype() {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|b| f64::from_ne_bytes(b.try_into().unwrap_or_default()) as f32)
                .collect(),
            other => {
                return Err(ForeignError::Unreadable(format!(
                    "tensor '{name}' holds {other:?} values; the decoders here have only floats"
                )));
            }
        };
        tensors.push(ForeignTensor {
            name: name.clone(),
            shape: tensor.shape().to_vec(),
            values,
            transposed: None,
        });
    }
    Ok(tensors)
}

/// A PyTorch file, found to be one of our decoders.
pub fn load(path: &Path) -> Result<Recognised, ForeignError> {
    recognise(&read(path)?, Layout::Pytorch, None)
}
