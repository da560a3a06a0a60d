//! One drawing's reconstruction by one decoder, with its BCE and meters: the
//! record, and the reads that make it. The session and the second worker
//! both reconstruct through these, so both compute alike.
//!
//! Only the logits are read from the device; the image (their sigmoid) and
//! the BCE are computed from them on the host. On WebGPU each kernel costs
//! what issuing it costs, and those two took 12 kernels and a second read
//! per decoder, for 784 values.

use burn::tensor::{Tensor, TensorData, Transaction};
use serde::{Deserialize, Serialize};

use crate::loss::bce_with_logits_of;
use crate::{Autoencoder, CheckerboardMeters, DecoderKind};

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

/// Registers what a reconstruction of `input` by `model` reads: its logits.
/// The session and the helper share it, so both compute alike.
///
/// # Shapes
/// - `input`: `[1, 1, 28, 28]`
pub fn register(model: &Autoencoder, input: Tensor<4>, transaction: Transaction) -> Transaction {
    transaction.register(logits(model, input))
}

/// What [`register`] reads: `model`'s logits for `input`, flat.
///
/// # Shapes
/// - `input`: `[1, 1, 28, 28]`
/// - output: `[784]`
pub fn logits(model: &Autoencoder, input: Tensor<4>) -> Tensor<1> {
    // Flat: on the GPU the logits come out channels last, and wgpu reads a
    // tensor only with its own row-major strides, single channel included,
    // so read as `[1, 1, 28, 28]` they would be copied first.
    model.forward(input).flatten::<1>(0, 3)
}

/// `kind`'s reconstruction of `input` (the intensities `register` was
/// given) from the next value of `data`, as [`register`] registered it; a
/// missing or mistyped value is a read that failed, and says why.
pub fn read(
    kind: DecoderKind,
    data: &mut impl Iterator<Item = TensorData>,
    input: &[f32],
) -> Result<Reconstruction, String> {
    let logits = floats(data.next())?;
    let bce = bce_with_logits_of(&logits, input).ok_or_else(|| {
        format!(
            "{} logits read back for an image of {} values",
            logits.len(),
            input.len()
        )
    })?;
    let image = logits.iter().map(|&x| sigmoid(x)).collect::<Vec<f32>>();
    Ok(Reconstruction {
        decoder: kind,
        bce: Some(bce),
        meters: CheckerboardMeters::of_batch(&image),
        image,
    })
}

/// The logistic function.
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// A transaction's data as `f32`s; a missing entry is a read that failed.
pub fn floats(data: Option<TensorData>) -> Result<Vec<f32>, String> {
    let data = data.ok_or("fewer results than tensors read")?;
    data.try_to_vec::<f32>()
        .map_err(|err| format!("unexpected output type: {err:?}"))
}
