//! Fixed, parameter-free resampling steps the decoders are built from.
//!
//! Each is written with plain tensor operations (slices, sums, stacks,
//! reshapes), so each has a backward pass on every backend: Burn's own
//! bilinear interpolation has none on WebGPU, and the browser must train.

use burn::tensor::Tensor;
use burn::tensor::module::{avg_pool2d, interpolate};
use burn::tensor::ops::{AvgPoolOptions, InterpolateMode, InterpolateOptions};

use crate::layout::{on_channels_last, prefers_channels_last};

/// Repeats each pixel into a 2x2 block (Keras `UpSampling2D`).
///
/// Where a gradient is taken, the repetition is a broadcast, whose backward
/// sums each 2x2 block by integer indexing. Burn's nearest interpolation is
/// not used there: its backward on the GPU backends (cubek-interpolate 0.3)
/// finds each input pixel's block as `ceil(i * out / in)` in floating point,
/// and a GPU whose division is not correctly rounded (NVIDIA's, through
/// Vulkan) gets some blocks one row or column off when the side is not a
/// power of two: 14 to 28 here, the last upsampling (the test
/// `reciprocal_division_misplaces_blocks_of_14_not_of_4_or_8`, and
/// `docs/gpu-correctness.md`). Its
/// forward pass maps with exact integer ratios and stays where nothing is
/// differentiated (the page's reconstructions). Off the CPU the broadcast
/// runs on the channels-last view (`crate::layout`).
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels, 2 * height, 2 * width]`
pub fn nearest_2x(x: Tensor<4>) -> Tensor<4> {
    let [batch, channels, height, width] = x.dims();
    if !x.is_autodiff() {
        return interpolate(
            x,
            InterpolateOptions::new(InterpolateMode::Nearest)
                .with_output_size([height * 2, width * 2]),
        );
    }
    if !prefers_channels_last(&x) {
        return x
            .reshape([batch, channels, height, 1, width, 1])
            .expand([batch, channels, height, 2, width, 2])
            .reshape([batch, channels, height * 2, width * 2]);
    }
    on_channels_last(x, |x| {
        x.reshape([batch, height, 1, width, 1, channels])
            .expand([batch, height, 2, width, 2, channels])
            .reshape([batch, height * 2, width * 2, channels])
    })
}

/// Bilinear 2x upsampling with half-pixel centres and clamped edges, the
/// convention of Keras `UpSampling2D(interpolation="bilinear")` and of Burn's
/// `interpolate` with `align_corners = false`.
///
/// Output pixel `2i` sits a quarter pixel before input pixel `i` and `2i + 1`
/// a quarter after, so each is `3/4` of its own pixel and `1/4` of the
/// neighbour on that side.
///
/// Where a gradient is taken, it is written out in slices and sums, which
/// have a backward everywhere; where none is (drawing), Burn's forward
/// computes the same in one kernel rather than about thirty, and maps each
/// output to its inputs with exact integer ratios, as for
/// [`nearest_2x`]. Off the CPU the slices and sums run on the channels-last
/// view (`crate::layout`).
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels, 2 * height, 2 * width]`
pub fn bilinear_2x(x: Tensor<4>) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    if !x.is_autodiff() {
        return interpolate(
            x,
            InterpolateOptions::new(InterpolateMode::Bilinear)
                .with_align_corners(false)
                .with_output_size([height * 2, width * 2]),
        );
    }
    if !prefers_channels_last(&x) {
        return bilinear_2x_along(bilinear_2x_along(x, 2), 3);
    }
    on_channels_last(x, |x| bilinear_2x_along(bilinear_2x_along(x, 1), 2))
}

/// Axis `dim` of `x` doubled: each value's two interpolated phases, in turn.
fn bilinear_2x_along(x: Tensor<4>, dim: usize) -> Tensor<4> {
    let mut doubled = x.dims();
    let len = doubled[dim];
    doubled[dim] *= 2;
    let previous = Tensor::cat(
        vec![
            x.clone().narrow(dim, 0, 1),
            x.clone().narrow(dim, 0, len - 1),
        ],
        dim,
    );
    let next = Tensor::cat(
        vec![
            x.clone().narrow(dim, 1, len - 1),
            x.clone().narrow(dim, len - 1, 1),
        ],
        dim,
    );
    let even = x.clone() * 0.75 + previous * 0.25;
    let odd = x * 0.75 + next * 0.25;
    // [.., len, 2, ..] (the phases on a new axis after `dim`), then merged.
    Tensor::stack::<5>(vec![even, odd], dim + 1).reshape(doubled)
}

/// A fixed 2x2 box filter, stride 1, no padding: the zero-order hold of
/// Sugawara, Shiota and Kiya ("Checkerboard artifacts free convolutional
/// neural networks", 2019). After a stride-2 transposed convolution it sums
/// one full period of the stride in each direction, so a constant input gives
/// a constant output whatever the learned kernel is.
///
/// Where no gradient flows (drawing), it is Burn's 2x2 average pooling at
/// stride 1, one kernel rather than eight and the slices' copies. Where
/// one flows off the CPU, the slices and sums run on the channels-last view
/// (`crate::layout`).
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels, height - 1, width - 1]`
pub fn zero_order_hold(x: Tensor<4>) -> Tensor<4> {
    if !x.is_autodiff() {
        return avg_pool2d(x, AvgPoolOptions::new([2, 2]).with_stride([1, 1]));
    }
    if !prefers_channels_last(&x) {
        return box_2x2(x, [2, 3]);
    }
    on_channels_last(x, |x| box_2x2(x, [1, 2]))
}

/// The mean of every 2x2 window, stride 1, where `axes` are the rows' and
/// the columns' axes of `x`.
fn box_2x2(x: Tensor<4>, [rows, columns]: [usize; 2]) -> Tensor<4> {
    let (height, width) = (x.dims()[rows], x.dims()[columns]);
    let x = (x.clone().narrow(rows, 0, height - 1) + x.narrow(rows, 1, height - 1)) * 0.5;
    (x.clone().narrow(columns, 0, width - 1) + x.narrow(columns, 1, width - 1)) * 0.5
}

/// Drops `border` pixels from every side.
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels, height - 2 * border, width - 2 * border]`
pub fn crop(x: Tensor<4>, border: usize) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    x.narrow(2, border, height - 2 * border)
        .narrow(3, border, width - 2 * border)
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::ConvTranspose2dConfig;
    use burn::tensor::{Device, TensorData};

    use super::*;
    use crate::init::{SeededRng, glorot_uniform};

    fn random(shape: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
        glorot_uniform(&mut SeededRng::new(seed), shape, 1, 1, device)
    }

    fn values(x: Tensor<4>) -> Vec<f32> {
        x.into_data().try_to_vec().unwrap()
    }

    #[test]
    fn bilinear_2x_matches_burns_half_pixel_bilinear() {
        // On an autodiff device: the form written out in slices and sums.
        let device = Device::flex().autodiff();
        let x = random([2, 3, 5, 4], 1, &device);
        let ours = values(bilinear_2x(x.clone()));
        let x = x.inner();
        let undifferentiated = values(bilinear_2x(x.clone()));
        let burns = values(interpolate(
            x,
            InterpolateOptions::new(InterpolateMode::Bilinear)
                .with_align_corners(false)
                .with_output_size([10, 8]),
        ));
        assert_eq!(ours.len(), burns.len());
        for (a, b) in ours.iter().zip(&burns) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        // Where no gradient flows, it is Burn's.
        assert_eq!(undifferentiated, burns);
    }

    #[test]
    fn bilinear_2x_has_a_gradient() {
        let device = Device::flex().autodiff();
        let x = random([1, 1, 3, 3], 2, &device).require_grad();
        let gradients = bilinear_2x(x.clone()).sum().backward();
        let grad: Vec<f32> = x
            .grad(&gradients)
            .unwrap()
            .into_data()
            .try_to_vec()
            .unwrap();
        // Every input pixel's weights over the output sum to 4 (2x2 outputs per input).
        assert!(grad.iter().all(|g| (g - 4.0).abs() < 1e-5), "{grad:?}");
    }

    #[test]
    fn zero_order_hold_is_the_same_with_a_gradient_and_without() {
        let x = random([2, 3, 7, 6], 4, &Device::flex().autodiff());
        let written_out = values(zero_order_hold(x.clone())); // slices and sums
        let pooled = values(zero_order_hold(x.inner())); // Burn's average pooling
        assert_eq!(written_out.len(), 2 * 3 * 6 * 5);
        for (a, b) in written_out.iter().zip(&pooled) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn zero_order_hold_gives_a_flat_step_response_after_a_stride_2_transposed_conv() {
        let device = Device::flex();
        let mut rng = SeededRng::new(3);
        for kernel in [3, 4, 5] {
            let mut layer = ConvTranspose2dConfig::new([1, 1], [kernel; 2])
                .with_stride([2, 2])
                .init(&device);
            layer.weight = burn::module::Param::from_tensor(glorot_uniform(
                &mut rng,
                [1, 1, kernel, kernel],
                1,
                1,
                &device,
            ));
            // The step response: a constant input, looked at away from the border.
            let step = Tensor::<4>::ones([1, 1, 10, 10], &device);
            let deconvolved = layer.forward(step);
            let spread = |x: Tensor<4>| {
                let inner = values(crop(x, kernel));
                let max = inner.iter().cloned().fold(f32::MIN, f32::max);
                let min = inner.iter().cloned().fold(f32::MAX, f32::min);
                max - min
            };
            let held = zero_order_hold(deconvolved.clone());
            assert!(spread(held) < 1e-5, "kernel {kernel}: held output not flat");
            if kernel % 2 == 1 {
                // Without the hold, the uneven overlap shows in the step response.
                assert!(spread(deconvolved) > 1e-2, "kernel {kernel}");
            }
        }
    }

    #[test]
    fn nearest_2x_repeats_and_crop_removes_the_border() {
        let device = Device::flex();
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2]),
            &device,
        );
        assert_eq!(
            values(nearest_2x(x.clone())),
            vec![
                1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0
            ]
        );
        assert_eq!(values(crop(nearest_2x(x), 1)), vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn nearest_2x_forward_and_gradient_match_burns_interpolation() {
        let device = Device::flex().autodiff();
        for [height, width] in [[4, 4], [7, 5], [14, 14]] {
            let x = random([2, 3, height, width], 4, &device).require_grad();
            let upstream = random([2, 3, 2 * height, 2 * width], 5, &device);
            let ours = nearest_2x(x.clone());
            let burns = interpolate(
                x.clone(),
                InterpolateOptions::new(InterpolateMode::Nearest)
                    .with_output_size([2 * height, 2 * width]),
            );
            assert_eq!(values(ours.clone()), values(burns.clone()));
            let grad = |y: Tensor<4>| {
                let grads = (y * upstream.clone()).sum().backward();
                values(x.grad(&grads).unwrap())
            };
            let (ours, burns) = (grad(ours), grad(burns));
            for (a, b) in ours.iter().zip(&burns) {
                assert!((a - b).abs() < 1e-6, "{height}x{width}: {a} vs {b}");
            }
        }
    }

    /// The fault nearest_2x avoids: cubek-interpolate 0.3 starts input row
    /// `i`'s block of output rows at `ceil(i * 2n / n)`, computed in f32.
    /// Divided exactly (the CPU, SwiftShader) that is `2i`; divided as a
    /// product with the rounded reciprocal, as NVIDIA's Vulkan driver
    /// divides, it is `2i + 1` for some rows when `n` is not a power of
    /// two, so their gradient lands one row off.
    #[test]
    fn reciprocal_division_misplaces_blocks_of_14_not_of_4_or_8() {
        let starts = |side: usize| -> Vec<usize> {
            let reciprocal = 1.0f32 / side as f32;
            (0..=side)
                .map(|row| ((row * 2 * side) as f32 * reciprocal).ceil() as usize)
                .collect()
        };
        for side in [4, 8] {
            let exact: Vec<usize> = (0..=side).map(|row| 2 * row).collect();
            assert_eq!(starts(side), exact, "side {side}");
        }
        let off: Vec<usize> = starts(14)
            .iter()
            .enumerate()
            .filter(|&(row, &start)| start != 2 * row)
            .map(|(row, _)| row)
            .collect();
        assert_eq!(off, [3, 6, 7, 11, 12, 13, 14]);
    }
}
