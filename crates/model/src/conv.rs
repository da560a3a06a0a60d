//! Stride-1 convolutions, computed in the form Burn's CPU backend is fastest at.
//!
//! A stride-1 convolution with padding `p` is the transposed convolution of
//! the same input with the kernel flipped in both axes, its input and output
//! channels swapped, and padding `k - 1 - p`: the same sums, in another
//! order. Burn flex 0.22 runs that form several times faster, forward and
//! backward, when a layer narrows the channels (the output layer's 16 -> 1 at
//! 28x28 takes about a third of the time, the encoder's 16 -> 8 about two
//! thirds); for layers that keep or widen the channels it is no faster or
//! slower, and the GPU backends were not measured, so they keep `conv2d`.
//! `examples/conv_forms.rs` times both forms per layer
//! (`benchmarks/results/2026-12-02-conv-forms.md`). Parameters and weights
//! files do not change: only how the forward pass is computed.
//!
//! Not used: the first layer as patches of the images times the kernel
//! (`unfold4d`, then a batched matrix product). Natively its forward and
//! backward took 5 ms against `conv2d`'s 13, yet a whole training step
//! did not get faster, and in the browser's wasm build the step became six
//! times slower.

use burn::backend::DispatchDevice;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::module::conv_transpose2d;
use burn::tensor::ops::ConvTransposeOptions;

/// `layer.forward(x)`, as a transposed convolution where that is faster.
///
/// # Shapes
/// - `x`: `[batch, channels_in, height, width]`
/// - output: `[batch, channels_out, height', width']`, as `Conv2d::forward`
pub fn forward(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    match transposed_padding(layer, &x) {
        Some(padding) => {
            // [channels_out, channels_in, k, k] -> [channels_in, channels_out, k, k], flipped
            let kernel = layer.weight.val().swap_dims(0, 1).flip([2, 3]);
            let options = ConvTransposeOptions::new([1, 1], padding, [0, 0], [1, 1], 1);
            conv_transpose2d(x, kernel, layer.bias.as_ref().map(|b| b.val()), options)
        }
        None => layer.forward(x),
    }
}

/// The transposed form's padding, where the layer is one the form computes
/// exactly and faster: on flex, stride 1, no dilation or groups, symmetric
/// padding no wider than the kernel, fewer output than input channels.
fn transposed_padding(layer: &Conv2d, x: &Tensor<4>) -> Option<[usize; 2]> {
    let on_flex = matches!(
        x.device().without_autodiff().as_dispatch(),
        DispatchDevice::Flex(_)
    );
    let [channels_out, channels_in, _, _] = layer.weight.dims();
    if !on_flex
        || layer.stride != [1, 1]
        || layer.dilation != [1, 1]
        || layer.groups != 1
        || channels_out >= channels_in
    {
        return None;
    }
    let [kernel_h, kernel_w] = layer.kernel_size;
    // At stride 1, "same" pads an odd kernel by (k - 1) / 2 on each side.
    let same = |k: usize| (k % 2 == 1).then_some(k / 2);
    let [top, left] = match layer.padding {
        PaddingConfig2d::Valid => [0, 0],
        PaddingConfig2d::Same => [same(kernel_h)?, same(kernel_w)?],
        PaddingConfig2d::Explicit(top, left, bottom, right) => {
            (top == bottom && left == right).then_some([top, left])?
        }
    };
    (top < kernel_h && left < kernel_w).then(|| [kernel_h - 1 - top, kernel_w - 1 - left])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::{Device, Distribution};

    fn largest_difference(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Both forms agree on every stride-1 layer shape the model has, and on
    /// their gradients, whichever form `forward` picks for the shape.
    #[test]
    fn matches_conv2d_forward_and_backward() {
        let device = Device::flex().autodiff();
        let shapes = [
            ([1, 16], 28, PaddingConfig2d::Same),
            ([16, 8], 14, PaddingConfig2d::Same),
            ([8, 8], 7, PaddingConfig2d::Same),
            ([8, 16], 16, PaddingConfig2d::Valid),
            ([16, 1], 28, PaddingConfig2d::Same),
            ([16, 4], 14, PaddingConfig2d::Same),
            ([16, 4], 9, PaddingConfig2d::Valid),
        ];
        for (channels, side, padding) in shapes {
            let layer = Conv2dConfig::new(channels, [3, 3])
                .with_padding(padding)
                .init(&device);
            let x =
                Tensor::<4>::random([3, channels[0], side, side], Distribution::Default, &device)
                    .require_grad();
            let expected = layer.forward(x.clone());
            let got = forward(&layer, x.clone());
            assert_eq!(got.dims(), expected.dims(), "{channels:?} at {side}");
            assert!(largest_difference(got.clone(), expected.clone()) < 1e-5);

            // A loss whose gradient differs at every output pixel.
            let upstream = Tensor::<4>::random(expected.dims(), Distribution::Default, &device);
            let gradients = |y: Tensor<4>| {
                let grads = (y * upstream.clone()).sum().backward();
                let bias = layer.bias.as_ref().unwrap().grad(&grads).unwrap();
                let weight = layer.weight.grad(&grads).unwrap();
                (weight, bias, x.grad(&grads).unwrap())
            };
            let (expected_w, expected_b, expected_x) = gradients(expected);
            let (got_w, got_b, got_x) = gradients(got);
            assert!((got_w - expected_w).abs().max().into_scalar::<f32>() < 1e-4);
            assert!((got_b - expected_b).abs().max().into_scalar::<f32>() < 1e-4);
            assert!(largest_difference(got_x, expected_x) < 1e-5);
        }
    }

    #[test]
    fn narrowing_layers_take_the_transposed_form_on_flex() {
        let device = Device::flex();
        let x = Tensor::<4>::zeros([1, 16, 28, 28], &device);
        let layer = |channels| {
            Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(&device)
        };
        assert_eq!(transposed_padding(&layer([16, 1]), &x), Some([1, 1]));
        assert_eq!(transposed_padding(&layer([16, 16]), &x), None);
        let strided = Conv2dConfig::new([16, 1], [3, 3])
            .with_stride([2, 2])
            .init(&device);
        assert_eq!(transposed_padding(&strided, &x), None);
    }
}
