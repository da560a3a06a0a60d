//! One drawing's reconstruction by one decoder, with its BCE and meters: the
//! record, and the reads that make it. The session and the second worker
//! both reconstruct through these, so both compute alike.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData, Transaction};
use serde::{Deserialize, Serialize};

use crate::{Autoencoder, CheckerboardMeters, DecoderKind, IMAGE_LEN, bce_with_logits};

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

/// How many values one reconstruction reads: its 784 intensities, then its BCE.
const VALUES: usize = IMAGE_LEN + 1;

/// What a reconstruction of `input` by `model` reads, as one tensor: the
/// output image's intensities, then its BCE against `input`. The session
/// and the helper share it, so both compute alike.
///
/// # Shapes
/// - `input`: `[1, 1, 28, 28]`
/// - output: `[785]`
pub fn values(model: &Autoencoder, input: Tensor<4>) -> Tensor<1> {
    let logits = model.forward(input.clone()); // [1, 1, 28, 28]
    let bce = bce_with_logits(logits.clone(), input); // [1]
    Tensor::cat(vec![sigmoid(logits).reshape([IMAGE_LEN]), bce], 0)
}

/// Registers every reconstruction's [`values`] as one tensor: on WebGPU each
/// tensor read is a buffer mapped and awaited, so one read serves them all.
pub fn register(reconstructions: Vec<Tensor<1>>, transaction: Transaction) -> Transaction {
    if reconstructions.is_empty() {
        return transaction;
    }
    transaction.register(Tensor::cat(reconstructions, 0))
}

/// The reconstructions by `kinds`, in order, from what [`register`]
/// registered for them; a missing or mistyped value is a read that failed,
/// and says why.
pub fn read(
    kinds: &[DecoderKind],
    data: &mut impl Iterator<Item = TensorData>,
) -> Result<Vec<Reconstruction>, String> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let values = floats(data.next())?;
    if values.len() != kinds.len() * VALUES {
        return Err(format!(
            "{} values read for {} reconstructions",
            values.len(),
            kinds.len()
        ));
    }
    let records = kinds
        .iter()
        .zip(values.chunks(VALUES))
        .map(|(&kind, values)| {
            let image = values[..IMAGE_LEN].to_vec();
            Reconstruction {
                decoder: kind,
                bce: Some(f64::from(values[IMAGE_LEN])),
                meters: CheckerboardMeters::of_batch(&image),
                image,
            }
        });
    Ok(records.collect())
}

/// A transaction's data as `f32`s; a missing entry is a read that failed.
pub fn floats(data: Option<TensorData>) -> Result<Vec<f32>, String> {
    let data = data.ok_or("fewer results than tensors read")?;
    data.try_to_vec::<f32>()
        .map_err(|err| format!("unexpected output type: {err:?}"))
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::AutoencoderConfig;

    #[test]
    fn one_read_carries_every_reconstruction_and_a_short_one_is_refused() {
        let device = Device::flex();
        let input = || Tensor::<4>::ones([1, 1, 28, 28], &device).mul_scalar(0.4);
        let kinds = [DecoderKind::Upsample, DecoderKind::Transposed];
        let models: Vec<Autoencoder> = kinds
            .iter()
            .map(|&kind| AutoencoderConfig::new(kind).init(&device))
            .collect();
        let outputs = models.iter().map(|m| values(m, input())).collect();
        let data = register(outputs, Transaction::default()).execute();
        assert_eq!(data.len(), 1, "one tensor read for both");
        let reconstructions = read(&kinds, &mut data.into_iter()).unwrap();
        for (model, reconstruction) in models.iter().zip(&reconstructions) {
            let logits = model.forward(input());
            let image: Vec<f32> = sigmoid(logits.clone()).into_data().try_to_vec().unwrap();
            assert_eq!(reconstruction.image, image);
            let bce = bce_with_logits(logits, input()).into_data();
            let bce: Vec<f32> = bce.try_to_vec().unwrap();
            assert_eq!(reconstruction.bce, Some(f64::from(bce[0])));
        }

        assert!(
            register(Vec::new(), Transaction::default())
                .execute()
                .is_empty()
        );
        assert_eq!(read(&[], &mut std::iter::empty()), Ok(Vec::new()));
        let short = TensorData::new(vec![0.5f32; VALUES], [VALUES]);
        let refused = read(&kinds, &mut std::iter::once(short)).unwrap_err();
        assert_eq!(refused, "785 values read for 2 reconstructions");
        assert!(read(&kinds, &mut std::iter::empty()).is_err());
    }
}
