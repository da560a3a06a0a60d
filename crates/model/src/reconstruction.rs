//! One drawing's reconstruction by one decoder, with its BCE and meters: the
//! record, and the reads that make it. The session and the second worker
//! both reconstruct through these, so both compute alike.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData, Transaction};
use serde::{Deserialize, Serialize};

use crate::{Autoencoder, CheckerboardMeters, DecoderKind, bce_with_logits};

/// One decoder's answer to an input image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconstruction {
    pub decoder: DecoderKind,
    /// Mean per-pixel BCE of the reconstruction against the input; `None`
    /// when the decoder got a code, not an image.
    pub bce: Option<f64>,
    pub meters: CheckerboardMeters,
    /// 784 intensities: not in the record, which the page receives with
    /// the image attached as a typed array.
    #[serde(skip)]
    pub image: Vec<f32>,
}

/// Registers what a reconstruction of `input` by `model` reads: the output
/// image, then its BCE against `input`. The session and the helper share
/// it, so both compute alike.
///
/// # Shapes
/// - `input`: `[1, 1, 28, 28]`
pub fn register(model: &Autoencoder, input: Tensor<4>, transaction: Transaction) -> Transaction {
    let logits = model.forward(input.clone()); // [1, 1, 28, 28]
    let bce = bce_with_logits(logits.clone(), input);
    transaction.register(sigmoid(logits)).register(bce)
}

/// `kind`'s reconstruction from the next two values of `data`, as
/// [`register`] registered them; a missing or mistyped value is a read that
/// failed, and says why.
pub fn read(
    kind: DecoderKind,
    data: &mut impl Iterator<Item = TensorData>,
) -> Result<Reconstruction, String> {
    let image = floats(data.next())?;
    let bce = floats(data.next())?.first().copied().map(f64::from);
    Ok(Reconstruction {
        decoder: kind,
        bce,
        meters: CheckerboardMeters::of_batch(&image),
        image,
    })
}

/// A transaction's data as `f32`s; a missing entry is a read that failed.
pub fn floats(data: Option<TensorData>) -> Result<Vec<f32>, String> {
    let data = data.ok_or("fewer results than tensors read")?;
    data.try_to_vec::<f32>()
        .map_err(|err| format!("unexpected output type: {err:?}"))
}
