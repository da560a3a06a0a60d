//! Seeded, backend-independent parameter initialisation.
//!
//! Burn's initialisers draw from the backend's own generator, so the same seed
//! gives different weights on the CPU and on WebGPU. Drawing on the host with
//! a fixed generator instead makes "seed 7" mean the same model natively and
//! in the browser, which is what lets the page show a step-0 model that the
//! documentation's numbers describe.

use burn::module::Param;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::{Device, Tensor, TensorData};

/// SplitMix64: tiny, fast and good enough for weight initialisation.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 24 bits of precision.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[-limit, limit)`.
    pub fn symmetric(&mut self, limit: f32) -> f32 {
        (self.next_f32() * 2.0 - 1.0) * limit
    }

    /// An independent stream for one layer, so adding a layer to one decoder
    /// does not reshuffle the weights of the others.
    pub fn fork(&mut self, salt: u64) -> Self {
        Self::new(self.next_u64() ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    /// A permutation of `0..len` (Fisher-Yates).
    pub fn permutation(&mut self, len: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        for i in (1..len).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        order
    }
}

/// Keras' default `glorot_uniform` for a kernel with `fan_in` and `fan_out`.
pub fn glorot_uniform<const D: usize>(
    rng: &mut SeededRng,
    shape: [usize; D],
    fan_in: usize,
    fan_out: usize,
    device: &Device,
) -> Tensor<D> {
    let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
    let count = shape.iter().product();
    let values: Vec<f32> = (0..count).map(|_| rng.symmetric(limit)).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// A Glorot-uniform 4D kernel. The limit depends only on fan-in plus
/// fan-out, `(in + out) * kh * kw`, the same for the convolution layout
/// `[out, in, kh, kw]` and the transposed one `[in, out, kh, kw]`.
fn glorot_kernel(rng: &mut SeededRng, shape: [usize; 4], device: &Device) -> Param<Tensor<4>> {
    let [a, b, kh, kw] = shape;
    Param::from_tensor(glorot_uniform(rng, shape, a * kh * kw, b * kh * kw, device))
}

/// Glorot-uniform kernel and zero bias, as a Keras `Conv2D` starts.
pub fn keras_init_conv(mut conv: Conv2d, rng: &mut SeededRng, device: &Device) -> Conv2d {
    let shape = conv.weight.dims();
    conv.weight = glorot_kernel(rng, shape, device);
    conv.bias = Some(Param::from_tensor(Tensor::zeros([shape[0]], device)));
    conv
}

/// Glorot-uniform kernel and zero bias, as a Keras `Conv2DTranspose` starts.
pub fn keras_init_conv_transpose(
    mut conv: ConvTranspose2d,
    rng: &mut SeededRng,
    device: &Device,
) -> ConvTranspose2d {
    let shape = conv.weight.dims();
    conv.weight = glorot_kernel(rng, shape, device);
    conv.bias = Some(Param::from_tensor(Tensor::zeros([shape[1]], device)));
    conv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_forks_differ() {
        let mut a = SeededRng::new(42);
        let mut b = SeededRng::new(42);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut f1 = SeededRng::new(1).fork(1);
        let mut f2 = SeededRng::new(1).fork(2);
        assert_ne!(f1.next_u64(), f2.next_u64());
    }

    #[test]
    fn uniform_draws_stay_in_range_and_centre() {
        let mut rng = SeededRng::new(3);
        let draws: Vec<f32> = (0..20_000).map(|_| rng.symmetric(0.5)).collect();
        assert!(draws.iter().all(|x| (-0.5..0.5).contains(x)));
        let mean = draws.iter().sum::<f32>() / draws.len() as f32;
        assert!(mean.abs() < 0.01, "mean {mean}");
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut order = SeededRng::new(9).permutation(100);
        assert_ne!(order, (0..100).collect::<Vec<_>>());
        order.sort_unstable();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }
}
