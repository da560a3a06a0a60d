//! Checkerboard meters on batches of 28x28 images held on the host.
//!
//! Two complementary measures of the same artifact:
//! - [`stride_frequency_energy`]: a stride-2 checkerboard is a signal at the
//!   Nyquist frequency, so it shows as energy in three DFT bins;
//! - [`polyphase_spread`]: a stride-2 layer paints four interleaved 2x2
//!   phases with different numbers of kernel taps, so their mean levels drift apart.

use burn::module::Param;
use burn::nn::conv::ConvTranspose2dConfig;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::autoencoder::{IMAGE_LEN, IMAGE_SIDE};

/// Both meters for one batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckerboardMeters {
    /// See [`stride_frequency_energy`].
    pub stride_energy: f64,
    /// See [`polyphase_spread`].
    pub polyphase_spread: f64,
}

impl CheckerboardMeters {
    /// `images` holds whole 28x28 images back to back.
    pub fn of_batch(images: &[f32]) -> Self {
        Self {
            stride_energy: stride_frequency_energy(images),
            polyphase_spread: polyphase_spread(images),
        }
    }
}

/// `|Y(u, v)|^2` of the 28-point 2D DFT of one image, row-major in `(u, v)`.
///
/// A direct separable DFT (28^3 multiply-adds a pass): small enough that
/// clarity beats an FFT here.
pub fn dft_power(image: &[f32]) -> Vec<f64> {
    assert_eq!(image.len(), IMAGE_LEN, "dft_power takes one 28x28 image");
    let n = IMAGE_SIDE;
    let twiddle: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let angle = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
            (angle.cos(), angle.sin())
        })
        .collect();
    // Rows first: row_dft[r][v] = sum_c x[r][c] e^{-2 pi i v c / n}.
    let mut row_dft = vec![(0.0f64, 0.0f64); n * n];
    for r in 0..n {
        for v in 0..n {
            let (mut re, mut im) = (0.0, 0.0);
            for c in 0..n {
                let (cos, sin) = twiddle[(v * c) % n];
                let x = image[r * n + c] as f64;
                re += x * cos;
                im += x * sin;
            }
            row_dft[r * n + v] = (re, im);
        }
    }
    let mut power = vec![0.0; n * n];
    for u in 0..n {
        for v in 0..n {
            let (mut re, mut im) = (0.0, 0.0);
            for r in 0..n {
                let (cos, sin) = twiddle[(u * r) % n];
                let (a, b) = row_dft[r * n + v];
                re += a * cos - b * sin;
                im += a * sin + b * cos;
            }
            power[u * n + v] = re * re + im * im;
        }
    }
    power
}

/// The share of a batch's non-constant spectral energy that sits at the
/// stride-2 frequencies:
///
/// ```text
///              sum_images |Y(14,14)|^2 + |Y(14,0)|^2 + |Y(0,14)|^2
/// E_stride =  -----------------------------------------------------
///              sum_images  sum_{(u,v) != (0,0)} |Y(u,v)|^2
/// ```
///
/// with `Y` the 28-point 2D DFT of each image. A perfect checkerboard scores
/// 1; white noise scores 3/783; a smooth image scores near 0. Energies are
/// summed over the batch before dividing, so near-blank images do not make
/// the figure jumpy. A batch with no variation at all scores 0.
///
/// No DFT is taken: at the stride frequencies the DFT's roots of unity are
/// all +-1, so the three coefficients are sums with alternating signs, and
/// the denominator is, by Parseval, `28^2` times the image's energy about
/// its mean. This runs on every reconstruction the page paints, where a
/// full DFT per image was a tenth of the update's time.
pub fn stride_frequency_energy(images: &[f32]) -> f64 {
    let (mut stride, mut total) = (0.0, 0.0);
    for image in images.chunks_exact(IMAGE_LEN) {
        // Centred: the mean changes none of the sums but keeps `total` free
        // of cancellation on a near-constant image.
        let mean = image.iter().map(|&x| x as f64).sum::<f64>() / IMAGE_LEN as f64;
        // Y(14, 14), Y(14, 0) and Y(0, 14): the signs alternate with r + c, r and c.
        let (mut both, mut rows, mut cols, mut energy) = (0.0, 0.0, 0.0, 0.0);
        for (index, &value) in image.iter().enumerate() {
            let x = value as f64 - mean;
            let (row_sign, col_sign) =
                (alternate(index / IMAGE_SIDE), alternate(index % IMAGE_SIDE));
            both += row_sign * col_sign * x;
            rows += row_sign * x;
            cols += col_sign * x;
            energy += x * x;
        }
        stride += both * both + rows * rows + cols * cols;
        total += IMAGE_LEN as f64 * energy;
    }
    if total <= f64::EPSILON * 1e3 {
        0.0
    } else {
        stride / total
    }
}

/// `(-1)^k`.
fn alternate(k: usize) -> f64 {
    if k.is_multiple_of(2) { 1.0 } else { -1.0 }
}

/// The mean of each 2x2 phase of a batch, in the order
/// `y[0::2, 0::2]`, `y[0::2, 1::2]`, `y[1::2, 0::2]`, `y[1::2, 1::2]`.
pub fn phase_means(images: &[f32]) -> [f64; 4] {
    let mut sums = [0.0f64; 4];
    let mut counts = [0usize; 4];
    for image in images.chunks_exact(IMAGE_LEN) {
        for (index, &value) in image.iter().enumerate() {
            let (row, col) = (index / IMAGE_SIDE, index % IMAGE_SIDE);
            let phase = (row % 2) * 2 + col % 2;
            sums[phase] += value as f64;
            counts[phase] += 1;
        }
    }
    std::array::from_fn(|phase| sums[phase] / counts[phase].max(1) as f64)
}

/// How far apart the four 2x2 phases' mean levels are:
///
/// ```text
/// m_k = mean of phase k over the batch     (k = the four phases of `phase_means`)
/// S   = std(m_0..m_3) / mean(m_0..m_3)     (population std)
/// ```
///
/// 0 when every phase has the same level, as any image without a stride-2
/// pattern has on average; large on a constant input passed through an
/// uneven-overlap layer. A batch of black images scores 0.
pub fn polyphase_spread(images: &[f32]) -> f64 {
    let means = phase_means(images);
    let mean = means.iter().sum::<f64>() / 4.0;
    if mean.abs() < 1e-12 {
        return 0.0;
    }
    let variance = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / 4.0;
    variance.sqrt() / mean.abs()
}

/// One transposed-convolution layer of an overlap experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlapLayer {
    pub kernel: usize,
    pub stride: usize,
}

/// How many kernel taps reach each output pixel of a stack of transposed
/// convolutions, found by running Burn's own layer with every weight 1 and
/// no bias on an all-ones `input_side`x`input_side` map (each layer's output
/// feeds the next). Returns the output side and the map, row-major.
///
/// Kernel 3, stride 2 gives the 1-2-1-2 rows whose outer product is the
/// 1-2-4 checkerboard; kernel 4, stride 2 is even away from the borders.
pub fn overlap_map(
    layers: &[OverlapLayer],
    input_side: usize,
    device: &Device,
) -> (usize, Vec<f32>) {
    assert!(
        !layers.is_empty(),
        "an overlap map needs at least one layer"
    );
    let mut map = Tensor::<4>::ones([1, 1, input_side, input_side], device);
    for layer in layers {
        let mut deconv = ConvTranspose2dConfig::new([1, 1], [layer.kernel; 2])
            .with_stride([layer.stride; 2])
            .with_bias(false)
            .init(device);
        deconv.weight =
            Param::from_tensor(Tensor::ones([1, 1, layer.kernel, layer.kernel], device));
        map = deconv.forward(map);
    }
    let [_, _, side, _] = map.dims();
    let values = map
        .into_data()
        .try_to_vec::<f32>()
        .expect("an overlap map is f32");
    (side, values)
}

/// Taps per output pixel of a stack of transposed convolutions.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapMap {
    pub side: usize,
    #[serde(skip)]
    pub map: Vec<f32>,
}

/// The page's spectrum view: [`dft_power`] of a 28x28 image as `f32`s,
/// row-major in `(u, v)`; any other length is refused.
pub fn power_spectrum(image: &[f32]) -> Result<Vec<f32>, String> {
    if image.len() != IMAGE_LEN {
        return Err(format!(
            "a spectrum needs {IMAGE_LEN} values, not {}",
            image.len()
        ));
    }
    Ok(dft_power(image).into_iter().map(|p| p as f32).collect())
}

/// Taps per output pixel of one to three transposed convolutions (kernels
/// 1-7, strides 1-4) on an `input_side` x `input_side` map (1-8), by Burn's
/// own layer on the CPU: the map is tiny. The overlap explorer's ranges;
/// anything outside them is refused with the reason.
pub fn overlap_explorer_map(
    layers: &[OverlapLayer],
    input_side: usize,
) -> Result<OverlapMap, String> {
    if !(1..=3).contains(&layers.len()) {
        return Err("choose one to three layers".into());
    }
    if let Some(bad) = layers
        .iter()
        .find(|l| !(1..=7).contains(&l.kernel) || !(1..=4).contains(&l.stride))
    {
        return Err(format!(
            "kernel {} / stride {}: kernels run 1-7 and strides 1-4",
            bad.kernel, bad.stride
        ));
    }
    if !(1..=8).contains(&input_side) {
        return Err("the input side runs from 1 to 8".into());
    }
    let (side, map) = overlap_map(layers, input_side, &Device::flex());
    Ok(OverlapMap { side, map })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(f: impl Fn(usize, usize) -> f32) -> Vec<f32> {
        (0..IMAGE_LEN)
            .map(|i| f(i / IMAGE_SIDE, i % IMAGE_SIDE))
            .collect()
    }

    fn smooth_blob() -> Vec<f32> {
        image(|r, c| {
            let (dr, dc) = (r as f32 - 13.5, c as f32 - 13.5);
            (-(dr * dr + dc * dc) / 40.0).exp()
        })
    }

    #[test]
    fn a_checkerboard_scores_high_and_a_smooth_image_near_zero() {
        let board = image(|r, c| ((r + c) % 2) as f32);
        let blob = smooth_blob();
        assert!((stride_frequency_energy(&board) - 1.0).abs() < 1e-9);
        assert!(stride_frequency_energy(&blob) < 1e-4);
        // A faint checkerboard on a digit-like blob still stands out.
        let mixed: Vec<f32> = blob
            .iter()
            .zip(&board)
            .map(|(b, k)| b * 0.9 + k * 0.1)
            .collect();
        let mixed_energy = stride_frequency_energy(&mixed);
        assert!(
            mixed_energy > 100.0 * stride_frequency_energy(&blob),
            "{mixed_energy}"
        );

        assert!(polyphase_spread(&board) > 0.9);
        assert!(polyphase_spread(&blob) < 0.02);
        assert_eq!(polyphase_spread(&image(|_, _| 0.0)), 0.0);
        assert_eq!(stride_frequency_energy(&image(|_, _| 0.5)), 0.0);
    }

    #[test]
    fn dft_obeys_parseval_and_the_closed_form_at_nyquist() {
        let img = image(|r, c| ((r * 7 + c * 3) % 11) as f32 / 11.0);
        let power = dft_power(&img);
        let energy: f64 = img.iter().map(|&x| (x as f64).powi(2)).sum();
        let spectrum: f64 = power.iter().sum();
        assert!((spectrum - IMAGE_LEN as f64 * energy).abs() < 1e-6 * spectrum);
        // Y(14,14) is the sum with alternating signs, a real number.
        let alternating: f64 = img
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let sign = if (i / IMAGE_SIDE + i % IMAGE_SIDE).is_multiple_of(2) {
                    1.0
                } else {
                    -1.0
                };
                sign * x as f64
            })
            .sum();
        assert!((power[14 * IMAGE_SIDE + 14] - alternating * alternating).abs() < 1e-6);
    }

    #[test]
    fn the_closed_form_stride_energy_matches_the_dft() {
        // What the stride energy was before it had a closed form, from the full spectrum.
        let from_dft = |images: &[f32]| {
            let (mut stride, mut total) = (0.0, 0.0);
            for image in images.chunks_exact(IMAGE_LEN) {
                let power = dft_power(image);
                let at = |u: usize, v: usize| power[u * IMAGE_SIDE + v];
                stride += at(14, 14) + at(14, 0) + at(0, 14);
                total += power.iter().sum::<f64>() - at(0, 0);
            }
            stride / total
        };
        let mut rng = crate::init::SeededRng::new(7);
        let noise: Vec<f32> = (0..3 * IMAGE_LEN)
            .map(|_| (rng.next_u64() % 1000) as f32 / 1000.0)
            .collect();
        let mixed: Vec<f32> = smooth_blob()
            .iter()
            .zip(image(|r, c| ((r + c) % 2) as f32))
            .map(|(b, k)| b * 0.9 + k * 0.1)
            .collect();
        let stripes = image(|r, _| (r % 2) as f32 * 0.3 + 0.2);
        for images in [&noise[..], &mixed, &stripes, &smooth_blob()] {
            let (closed, dft) = (stride_frequency_energy(images), from_dft(images));
            assert!(
                (closed - dft).abs() <= 1e-9 * dft.max(1e-12),
                "{closed} vs {dft}"
            );
        }
    }

    #[test]
    fn phases_are_read_in_the_documented_order() {
        let img = image(|r, c| ((r % 2) * 2 + c % 2) as f32);
        assert_eq!(phase_means(&img), [0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn kernel3_stride2_overlaps_unevenly_in_a_1_2_4_pattern() {
        let device = Device::flex();
        let layer = OverlapLayer {
            kernel: 3,
            stride: 2,
        };
        let (side, map) = overlap_map(&[layer], 5, &device);
        assert_eq!(side, 11);
        let row = |r: usize| &map[r * side..(r + 1) * side];
        // 1D: 1 2 1 2 ... 1 along a row whose row-count is 1.
        assert_eq!(row(0), &[1., 1., 2., 1., 2., 1., 2., 1., 2., 1., 1.]);
        // Interior 2x2 cell: the outer product of 1-2 with itself.
        assert_eq!(&row(3)[3..5], &[1., 2.]);
        assert_eq!(&row(4)[3..5], &[2., 4.]);
        let interior: Vec<f32> = (2..9).flat_map(|r| row(r)[2..9].to_vec()).collect();
        let distinct: std::collections::BTreeSet<u32> =
            interior.iter().map(|&v| v as u32).collect();
        assert_eq!(distinct.into_iter().collect::<Vec<_>>(), vec![1, 2, 4]);
    }

    #[test]
    fn kernel4_stride2_is_even_inside_the_borders() {
        let device = Device::flex();
        let (side, map) = overlap_map(
            &[OverlapLayer {
                kernel: 4,
                stride: 2,
            }],
            5,
            &device,
        );
        assert_eq!(side, 12);
        for r in 2..side - 2 {
            for c in 2..side - 2 {
                assert_eq!(map[r * side + c], 4.0, "at ({r}, {c})");
            }
        }
        assert_eq!(map[0], 1.0);
    }

    #[test]
    fn stacking_three_uneven_layers_compounds_the_pattern() {
        let device = Device::flex();
        let layer = OverlapLayer {
            kernel: 3,
            stride: 2,
        };
        let (side, map) = overlap_map(&[layer; 3], 4, &device);
        assert_eq!(side, 39);
        let interior: Vec<f32> = (6..33)
            .flat_map(|r| map[r * side + 6..r * side + 33].to_vec())
            .collect();
        let (min, max) = interior
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        assert!(
            max / min >= 4.0,
            "three layers should vary at least as much as one: {min}..{max}"
        );
    }
}
