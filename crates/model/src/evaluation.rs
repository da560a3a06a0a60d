//! Judging a trained model: test BCE, and the checkerboard meters on inputs
//! where a pixel-wise loss did and did not teach the decoder to hide them.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::autoencoder::{Autoencoder, IMAGE_LEN, IMAGE_SIDE};
use crate::encoder::{CODE_CHANNELS, CODE_LEN, CODE_SIDE};
use crate::init::SeededRng;
use crate::loss::bce_with_logits;
use crate::metrics::CheckerboardMetrics;
use crate::mnist::MnistSet;

/// Images per forward pass when sweeping a data set.
const EVAL_BATCH: usize = 500;

/// The meters on each kind of input, for one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Probes {
    /// Reconstructions of real test digits: what training optimised.
    pub digits: CheckerboardMetrics,
    /// A constant mid-grey image in: the cleanest view of uneven overlap.
    pub grey: CheckerboardMetrics,
    /// Uniform noise images in: far from anything seen in training.
    pub noise: CheckerboardMetrics,
    /// Codes assembled unit by unit from different digits' codes: each unit
    /// is realistic, the combination is not.
    pub shuffled_codes: CheckerboardMetrics,
    /// One code unit on (at its largest value over the digits), the rest
    /// off: the decoder's impulse responses.
    pub code_units: CheckerboardMetrics,
}

/// Everything `eval` reports for a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Mean per-pixel BCE over the whole set.
    pub test_bce: f64,
    pub probes: Probes,
}

/// `[count, 1, 28, 28]` from images back to back.
pub fn images_tensor(images: Vec<f32>, device: &Device) -> Tensor<4> {
    let count = images.len() / IMAGE_LEN;
    Tensor::from_data(TensorData::new(images, [count, 1, IMAGE_SIDE, IMAGE_SIDE]), device)
}

fn to_vec(tensor: Tensor<4>) -> Vec<f32> {
    tensor.into_data().try_to_vec().expect("model outputs are f32")
}

/// Mean per-pixel BCE of `model` over every image of `set`.
pub fn mean_bce(model: &Autoencoder, set: &MnistSet, device: &Device) -> f64 {
    let mut total = 0.0;
    let indices: Vec<usize> = (0..set.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let images = images_tensor(set.batch(chunk), device);
        let loss = bce_with_logits(model.forward(images.clone()), images);
        total += loss.into_scalar::<f32>() as f64 * chunk.len() as f64;
    }
    total / set.len() as f64
}

/// The meters on every probe. `digits` supplies both the real inputs and
/// the code statistics; the first `limit` of them are used.
pub fn probes(model: &Autoencoder, digits: &MnistSet, limit: usize, device: &Device) -> Probes {
    let count = limit.min(digits.len());
    let indices: Vec<usize> = (0..count).collect();
    let inputs = images_tensor(digits.batch(&indices), device);
    let codes = to_vec(model.encode(inputs.clone()));
    let reconstructions = to_vec(model.reconstruct(inputs));

    let grey = images_tensor(vec![0.5; IMAGE_LEN], device);
    let mut rng = SeededRng::new(0x5EED);
    let noise: Vec<f32> = (0..16 * IMAGE_LEN).map(|_| rng.next_f32()).collect();

    let decode = |codes: Vec<f32>| {
        let count = codes.len() / CODE_LEN;
        let codes = Tensor::from_data(
            TensorData::new(codes, [count, CODE_CHANNELS, CODE_SIDE, CODE_SIDE]),
            device,
        );
        to_vec(model.decode(codes))
    };

    Probes {
        digits: CheckerboardMetrics::of_batch(&reconstructions),
        grey: CheckerboardMetrics::of_batch(&to_vec(model.reconstruct(grey))),
        noise: CheckerboardMetrics::of_batch(&to_vec(
            model.reconstruct(images_tensor(noise, device)),
        )),
        shuffled_codes: CheckerboardMetrics::of_batch(&decode(shuffled_codes(&codes, 64, &mut rng))),
        code_units: CheckerboardMetrics::of_batch(&decode(unit_codes(&codes))),
    }
}

/// `count` codes whose unit `u` is unit `u` of a randomly chosen real code.
pub fn shuffled_codes(codes: &[f32], count: usize, rng: &mut SeededRng) -> Vec<f32> {
    let available = codes.len() / CODE_LEN;
    assert!(available > 0, "need at least one real code");
    (0..count * CODE_LEN)
        .map(|i| {
            let source = (rng.next_u64() % available as u64) as usize;
            codes[source * CODE_LEN + i % CODE_LEN]
        })
        .collect()
}

/// One code per unit: that unit at its largest value among `codes`, others 0.
pub fn unit_codes(codes: &[f32]) -> Vec<f32> {
    let mut peaks = vec![0.0f32; CODE_LEN];
    for code in codes.chunks_exact(CODE_LEN) {
        for (peak, &value) in peaks.iter_mut().zip(code) {
            *peak = peak.max(value);
        }
    }
    let mut out = vec![0.0; CODE_LEN * CODE_LEN];
    for (unit, &peak) in peaks.iter().enumerate() {
        // A unit that never fires still gets a unit impulse, so every
        // response exists.
        out[unit * CODE_LEN + unit] = if peak > 0.0 { peak } else { 1.0 };
    }
    out
}

/// Test BCE over all of `test` and the probes on its first 1,000 digits.
pub fn evaluate(model: &Autoencoder, test: &MnistSet, device: &Device) -> Evaluation {
    Evaluation {
        test_bce: mean_bce(model, test, device),
        probes: probes(model, test, 1000, device),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes_switch_on_one_unit_each() {
        let mut codes = vec![0.0; 2 * CODE_LEN];
        codes[3] = 0.5;
        codes[CODE_LEN + 3] = 2.0;
        let units = unit_codes(&codes);
        assert_eq!(units.len(), CODE_LEN * CODE_LEN);
        assert_eq!(units[3 * CODE_LEN + 3], 2.0);
        assert_eq!(units[5 * CODE_LEN + 5], 1.0);
        assert_eq!(units.iter().filter(|&&v| v != 0.0).count(), CODE_LEN);
    }

    #[test]
    fn shuffled_codes_take_each_unit_from_some_real_code() {
        let codes: Vec<f32> = (0..3 * CODE_LEN).map(|i| i as f32).collect();
        let mut rng = SeededRng::new(1);
        let mixed = shuffled_codes(&codes, 10, &mut rng);
        for (i, &value) in mixed.iter().enumerate() {
            assert_eq!(value as usize % CODE_LEN, i % CODE_LEN);
        }
    }
}
