//! Judging a trained model: test BCE, and the checkerboard meters on inputs
//! where a pixel-wise loss did and did not teach the decoder to hide them.

use burn::tensor::{Device, Int, Tensor, TensorData, Transaction};
use serde::{Deserialize, Serialize};

use crate::autoencoder::{Autoencoder, IMAGE_LEN, IMAGE_SIDE};
use crate::backend::is_cpu;
use crate::encoder::{CODE_CHANNELS, CODE_LEN, CODE_SIDE};
use crate::init::SeededRng;
use crate::layout::TO_CHANNELS_FIRST;
use crate::loss::bce_with_logits;
use crate::meters::CheckerboardMeters;
use crate::mnist::MnistSet;

/// Images per forward pass when sweeping a data set.
const EVAL_BATCH: usize = 500;

/// Each probe's field in [`Probes`] and how the page labels it, in order.
pub const PROBE_KINDS: [(&str, &str); 5] = [
    ("digits", "test digits"),
    ("grey", "constant grey"),
    ("noise", "noise"),
    ("shuffled_codes", "shuffled codes"),
    ("code_units", "single code units"),
];

/// The meters on each kind of input, for one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Probes {
    /// Reconstructions of real test digits: what training optimised.
    pub digits: CheckerboardMeters,
    /// A constant mid-grey image in: the cleanest view of uneven overlap.
    pub grey: CheckerboardMeters,
    /// Uniform noise images in: far from anything seen in training.
    pub noise: CheckerboardMeters,
    /// Codes assembled unit by unit from different digits' codes: each unit
    /// is realistic, the combination is not.
    pub shuffled_codes: CheckerboardMeters,
    /// One code unit on (at its largest value over the digits), the rest
    /// off: the decoder's impulse responses.
    pub code_units: CheckerboardMeters,
}

/// Everything `eval` reports for a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Mean per-pixel BCE over the whole set.
    pub test_bce: f64,
    pub probes: Probes,
}

/// `[count, 1, 28, 28]` from images back to back.
///
/// Off the CPU, made `[count, 28, 28, 1]` and seen channels first: the same
/// values in the same memory, with the strides of channels last, the layout
/// Burn's GPU convolutions take (`crate::layout`). Made channels first, the
/// single channel's stride would not be 1, and each convolution of the
/// images would copy them first, forward and backward.
pub fn images_tensor(images: Vec<f32>, device: &Device) -> Tensor<4> {
    let count = images.len() / IMAGE_LEN;
    if is_cpu(device) {
        return Tensor::from_data(
            TensorData::new(images, [count, 1, IMAGE_SIDE, IMAGE_SIDE]),
            device,
        );
    }
    Tensor::<4>::from_data(
        TensorData::new(images, [count, IMAGE_SIDE, IMAGE_SIDE, 1]),
        device,
    )
    .permute(TO_CHANNELS_FIRST)
}

/// Mean per-pixel BCE of `model` over every image of `set`. Reads
/// synchronously: native code only.
pub fn mean_bce(model: &Autoencoder, set: &MnistSet, device: &Device) -> f64 {
    let (sizes, transaction) = register_mean_bce(model, set, device, Transaction::default());
    mean_of_chunks(&sizes, transaction.execute())
}

/// Registers the mean BCE of each chunk of `set` that [`mean_bce`] sweeps;
/// returns the chunks' sizes, for [`mean_of_chunks`].
pub fn register_mean_bce(
    model: &Autoencoder,
    set: &MnistSet,
    device: &Device,
    mut transaction: Transaction,
) -> (Vec<usize>, Transaction) {
    let indices: Vec<usize> = (0..set.len()).collect();
    let mut sizes = Vec::new();
    for chunk in indices.chunks(EVAL_BATCH) {
        let images = images_tensor(set.batch(chunk), device);
        transaction = transaction.register(bce_with_logits(model.forward(images.clone()), images));
        sizes.push(chunk.len());
    }
    (sizes, transaction)
}

/// The mean over the whole set of the chunk means that
/// [`register_mean_bce`] registered, from their data; NaN if one is missing.
pub fn mean_of_chunks(sizes: &[usize], data: impl IntoIterator<Item = TensorData>) -> f64 {
    let mut data = data.into_iter();
    let mut total = 0.0;
    for &size in sizes {
        let mean = data
            .next()
            .and_then(|data| data.try_to_vec::<f32>().ok())
            .and_then(|values| values.first().copied())
            .unwrap_or(f32::NAN);
        total += mean as f64 * size as f64;
    }
    total / sizes.iter().sum::<usize>() as f64
}

/// The decoded images of every probe, still on the device: build them,
/// [`register`](Self::register) them in one transaction, and read them
/// synchronously (native) or awaited (browser).
pub struct ProbeOutputs {
    digits: Tensor<4>,
    grey: Tensor<4>,
    noise: Tensor<4>,
    shuffled_codes: Tensor<4>,
    code_units: Tensor<4>,
}

/// Noise images and shuffled codes per probe.
const PROBE_SAMPLES: usize = 64;

impl ProbeOutputs {
    /// Runs `model` on every probe. `digits` (`[count, 1, 28, 28]`) are the
    /// real inputs and the source of the code statistics; `seed` fixes the
    /// noise and the shuffling.
    pub fn new(model: &Autoencoder, digits: Tensor<4>, seed: u64) -> Self {
        let device = &digits.device();
        let count = digits.dims()[0];
        let codes = model.encode(digits.clone()).reshape([count, CODE_LEN]); // [count, 128]
        let mut rng = SeededRng::new(seed);
        let noise: Vec<f32> = (0..PROBE_SAMPLES * IMAGE_LEN)
            .map(|_| rng.next_f32())
            .collect();
        let shuffled = shuffled_codes(codes.clone(), PROBE_SAMPLES, &mut rng);
        let units = unit_codes(codes);

        Self {
            digits: model.reconstruct(digits),
            grey: model.reconstruct(Tensor::full([1, 1, IMAGE_SIDE, IMAGE_SIDE], 0.5, device)),
            noise: model.reconstruct(images_tensor(noise, device)),
            shuffled_codes: model.decode(code_maps(shuffled)),
            code_units: model.decode(code_maps(units)),
        }
    }

    /// Adds the five outputs to `transaction`, in the order
    /// [`Probes::from_data`] expects.
    pub fn register(self, transaction: Transaction) -> Transaction {
        transaction
            .register(self.digits)
            .register(self.grey)
            .register(self.noise)
            .register(self.shuffled_codes)
            .register(self.code_units)
    }

    /// Reads synchronously: native code only.
    pub fn read(self) -> Probes {
        Probes::from_data(self.register(Transaction::default()).execute())
    }
}

impl Probes {
    /// The meters from the data of a transaction made by [`ProbeOutputs::register`].
    pub fn from_data(data: impl IntoIterator<Item = TensorData>) -> Self {
        let mut meters = data.into_iter().map(|data| {
            let images: Vec<f32> = data.try_to_vec().expect("model outputs are f32");
            CheckerboardMeters::of_batch(&images)
        });
        let mut next = || meters.next().expect("five probe outputs");
        Probes {
            digits: next(),
            grey: next(),
            noise: next(),
            shuffled_codes: next(),
            code_units: next(),
        }
    }
}

/// `count` codes whose unit `u` is unit `u` of a randomly chosen row of
/// `codes`: each unit is realistic, their combination is not.
///
/// # Shapes
/// - `codes`: `[n, 128]`
/// - output: `[count, 128]`
pub fn shuffled_codes(codes: Tensor<2>, count: usize, rng: &mut SeededRng) -> Tensor<2> {
    let [available, _] = codes.dims();
    let sources: Vec<i64> = (0..count * CODE_LEN)
        .map(|_| (rng.next_u64() % available as u64) as i64)
        .collect();
    let sources =
        Tensor::<2, Int>::from_data(TensorData::new(sources, [count, CODE_LEN]), &codes.device());
    codes.gather(0, sources)
}

/// One code per unit: that unit at its largest value over `codes` (1 for a
/// unit that never fires, so every impulse response exists), the rest 0.
///
/// # Shapes
/// - `codes`: `[n, 128]`
/// - output: `[128, 128]`, row `u` switching on unit `u`
pub fn unit_codes(codes: Tensor<2>) -> Tensor<2> {
    let device = codes.device();
    let peaks = codes.max_dim(0); // [1, 128]
    let peaks = peaks.clone().mask_fill(peaks.lower_equal_elem(0.0), 1.0);
    Tensor::<2>::eye(CODE_LEN, &device) * peaks
}

/// Flat codes as the decoder's input maps.
///
/// # Shapes
/// - `codes`: `[n, 128]`
/// - output: `[n, 8, 4, 4]`
pub fn code_maps(codes: Tensor<2>) -> Tensor<4> {
    let [rows, _] = codes.dims();
    codes.reshape([rows, CODE_CHANNELS, CODE_SIDE, CODE_SIDE])
}

/// Test BCE over all of `test` and the probes on its first 1,000 digits.
pub fn evaluate(model: &Autoencoder, test: &MnistSet, device: &Device) -> Evaluation {
    let digits: Vec<usize> = (0..1000.min(test.len())).collect();
    let digits = images_tensor(test.batch(&digits), device);
    Evaluation {
        test_bce: mean_bce(model, test, device),
        probes: ProbeOutputs::new(model, digits, 0x5EED).read(),
    }
}
