//! Max-pooling, computed in the form Burn's CPU backend is fastest at.
//!
//! Burn flex 0.22 pools through its general 3-D pooling, which also records
//! where each maximum came from; for one image the encoder's first pool
//! ([1, 16, 28, 28] to 14x14) takes about 52 of the 170 µs of a whole
//! reconstruction natively, single-threaded, and a plain loop over the
//! values, with its read and write, about 10 µs (`examples/update_layers.rs`;
//! `benchmarks/results/2026-12-04-inference-pool.md`). So on flex,
//! without autodiff (the page's reconstructions, probes and walks), the
//! encoder's 2x2 windows are pooled by that loop: the same maxima.
//! Training keeps Burn's op, whose recorded indices its backward needs, and
//! the GPU backends keep it too (a loop there would read every value back),
//! in ceil mode rather than padded ([`ceil_2x2`]).

use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{DType, Tensor, TensorData};

use crate::conv::on_flex;

/// `layer.forward(x)`. Where `layer` is a 2x2 pool of stride 2 with 'same'
/// padding: on flex without autodiff, a loop over the values; off the CPU,
/// Burn's pool in ceil mode.
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels, ceil(height / 2), ceil(width / 2)]`, as `MaxPool2d::forward`
pub fn forward(layer: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let [batch, channels, height, width] = x.dims();
    let looped = is_2x2_same(layer)
        && on_flex(&x)
        && !x.is_autodiff()
        && x.dtype() == DType::F32
        && height > 0
        && width > 0;
    if !looped {
        if is_2x2_same(layer) && !on_flex(&x) {
            return ceil_2x2(x);
        }
        return layer.forward(x);
    }
    let device = x.device();
    let Ok(values) = x.clone().into_data().try_into_vec::<f32>() else {
        return layer.forward(x);
    };
    let pooled = max_2x2(&values, height, width);
    let shape = [batch, channels, height.div_ceil(2), width.div_ceil(2)];
    Tensor::from_data(TensorData::new(pooled, shape), &device)
}

/// The 2x2 'same' pool as Burn's pool in ceil mode: the same windows, the
/// last one of an odd side holding one row or column, which is all 'same'
/// adds padding for. On the GPU, Burn pads an asymmetric 'same' by building
/// a padded copy of the input (two kernels, and a third to lay it out for
/// the pool), and its backward slices the padding off again.
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels, ceil(height / 2), ceil(width / 2)]`
fn ceil_2x2(x: Tensor<4>) -> Tensor<4> {
    max_pool2d(x, MaxPoolOptions::new([2, 2]).with_ceil_mode(true))
}

/// A 2x2 window, stride 2, 'same' (padded after the last row and column when
/// a side is odd), no dilation: the encoder's pools.
fn is_2x2_same(layer: &MaxPool2d) -> bool {
    layer.kernel_size == [2, 2]
        && layer.stride == [2, 2]
        && layer.dilation == [1, 1]
        && matches!(layer.padding, PaddingConfig2d::Same)
        && !layer.ceil_mode
}

/// The maximum of every 2x2 window of each `height` x `width` plane of
/// `values`, row-major. Where a side is odd, its last window holds one
/// row or column: 'same' pads after it, and the padding never wins.
fn max_2x2(values: &[f32], height: usize, width: usize) -> Vec<f32> {
    let (rows, columns) = (height.div_ceil(2), width.div_ceil(2));
    let mut pooled = Vec::with_capacity(values.len() / (height * width) * rows * columns);
    for plane in values.chunks_exact(height * width) {
        for row in 0..rows {
            let top = &plane[2 * row * width..][..width];
            let bottom = &plane[(2 * row + 1).min(height - 1) * width..][..width];
            for column in 0..columns {
                let (left, right) = (2 * column, (2 * column + 1).min(width - 1));
                pooled.push(
                    top[left]
                        .max(top[right])
                        .max(bottom[left].max(bottom[right])),
                );
            }
        }
    }
    pooled
}

#[cfg(test)]
mod tests {
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn encoder_pool() -> MaxPool2d {
        MaxPool2dConfig::new([2, 2])
            .with_padding(PaddingConfig2d::Same)
            .init()
    }

    #[test]
    fn the_loop_pools_as_burn_does_on_even_and_odd_sides() {
        let device = Device::flex();
        let pool = encoder_pool();
        for shape in [
            [2, 16, 28, 28],
            [2, 8, 14, 14],
            [2, 8, 7, 7],
            [1, 3, 5, 6],
            [1, 1, 1, 1],
        ] {
            // Negative values too: the padding must not win where a side is odd.
            let x = Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &device);
            let looped = forward(&pool, x.clone());
            let burn = pool.forward(x);
            assert_eq!(looped.dims(), burn.dims(), "{shape:?}");
            assert_eq!(
                looped.into_data().try_into_vec::<f32>().unwrap(),
                burn.into_data().try_into_vec::<f32>().unwrap(),
                "{shape:?}"
            );
        }
    }

    #[test]
    fn the_ceil_mode_form_pools_and_differentiates_as_same_padding_does() {
        let device = Device::flex().autodiff();
        let pool = encoder_pool();
        for shape in [[2, 8, 7, 7], [2, 8, 14, 14], [1, 3, 5, 6], [1, 1, 1, 1]] {
            let x = Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &device);
            let weights = Tensor::<4>::random(
                pool.forward(x.clone()).dims(),
                Distribution::Default,
                &device,
            );
            let (ours, burns) = (x.clone().require_grad(), x.require_grad());
            let pooled = ceil_2x2(ours.clone());
            let reference = pool.forward(burns.clone());
            assert_eq!(pooled.dims(), reference.dims(), "{shape:?}");
            assert_eq!(
                pooled.clone().into_data().try_into_vec::<f32>().unwrap(),
                reference.clone().into_data().try_into_vec::<f32>().unwrap(),
                "{shape:?}"
            );
            let ours_grads = (pooled * weights.clone()).sum().backward();
            let burns_grads = (reference * weights).sum().backward();
            assert_eq!(
                ours.grad(&ours_grads)
                    .unwrap()
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap(),
                burns
                    .grad(&burns_grads)
                    .unwrap()
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap(),
                "{shape:?}"
            );
        }
    }

    #[test]
    fn with_autodiff_the_gradient_flows_through_burns_pool() {
        let device = Device::flex().autodiff();
        let x = Tensor::<4>::random([1, 2, 4, 4], Distribution::Default, &device).require_grad();
        let grads = forward(&encoder_pool(), x.clone()).sum().backward();
        let grad = x.grad(&grads).expect("a gradient for the pooled input");
        // One maximum per 2x2 window: 2 planes x 4 windows.
        assert_eq!(grad.sum().into_scalar::<f32>(), 8.0);
    }
}
