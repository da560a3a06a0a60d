//! Convolutions, computed in the forms Burn's CPU backend is fastest at.
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
//! On flex the bias is also added apart from every convolution, transposed
//! ones included: Burn's backward for a convolution's bias copies the whole
//! output gradient with its batch and channel axes swapped before summing
//! it, and a broadcast addition's backward does not. For the first layer
//! (16 channels at 28x28) that is about 2 of 11 ms, forward and
//! backward, natively (`benchmarks/results/2026-12-02-bias-apart.md`); over a
//! training step, a tenth.
//!
//! Not used: the first layer as patches of the images times the kernel
//! (`unfold4d`, then a batched matrix product). Natively its forward and
//! backward took 5 ms against `conv2d`'s 13, yet a whole training step
//! did not get faster, and in the browser's wasm build the step became six
//! times slower.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::Tensor;
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

use crate::backend::is_cpu;

/// `layer.forward(x)`; on flex as a transposed convolution where that is
/// faster, and with the bias added apart (see [`add_bias`]).
///
/// # Shapes
/// - `x`: `[batch, channels_in, height, width]`
/// - output: `[batch, channels_out, height', width']`, as `Conv2d::forward`
pub fn forward(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let padding = match stride_one_padding(layer) {
        Some(padding) if on_flex(&x) => padding,
        _ => return layer.forward(x),
    };
    let y = match transposed_padding(layer, padding) {
        Some(padding) => {
            // [channels_out, channels_in, k, k] -> [channels_in, channels_out, k, k], flipped
            let kernel = layer.weight.val().swap_dims(0, 1).flip([2, 3]);
            let options = ConvTransposeOptions::new([1, 1], padding, [0, 0], [1, 1], 1);
            conv_transpose2d(x, kernel, None, options)
        }
        None => {
            let options = ConvOptions::new([1, 1], padding, layer.dilation, layer.groups);
            conv2d(x, layer.weight.val(), None, options)
        }
    };
    add_bias(y, layer.bias.as_ref().map(|b| b.val()))
}

/// `layer.forward(x)`, with the bias added apart on flex (see [`add_bias`]).
///
/// # Shapes
/// - `x`: `[batch, channels_in, height, width]`
/// - output: `[batch, channels_out, height', width']`, as `ConvTranspose2d::forward`
pub fn forward_transposed(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    if !on_flex(&x) {
        return layer.forward(x);
    }
    let options = ConvTransposeOptions::new(
        layer.stride,
        layer.padding,
        layer.padding_out,
        layer.dilation,
        layer.groups,
    );
    let y = conv_transpose2d(x, layer.weight.val(), None, options);
    add_bias(y, layer.bias.as_ref().map(|b| b.val()))
}

/// `y + bias` per channel, as its own broadcast addition rather than inside
/// the convolution: Burn's backward for a convolution's bias swaps the batch
/// and channel axes of the whole output gradient and copies it before
/// summing, which flex takes a few milliseconds over at 16x28x28 per digit,
/// whereas the addition's backward sums the gradient in place.
fn add_bias(y: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    match bias {
        Some(bias) => {
            let channels = bias.dims()[0];
            y + bias.reshape([1, channels, 1, 1])
        }
        None => y,
    }
}

pub(crate) fn on_flex(x: &Tensor<4>) -> bool {
    is_cpu(&x.device())
}

/// The padding on each side of a stride-1 layer whose padding is the same on
/// both sides ("same" pads an odd kernel by `(k - 1) / 2`); `None` for any
/// other layer, which `forward` leaves to `Conv2d::forward`.
fn stride_one_padding(layer: &Conv2d) -> Option<[usize; 2]> {
    if layer.stride != [1, 1] {
        return None;
    }
    let [kernel_h, kernel_w] = layer.kernel_size;
    let same = |k: usize| (k % 2 == 1).then_some(k / 2);
    match layer.padding {
        PaddingConfig2d::Valid => Some([0, 0]),
        PaddingConfig2d::Same => Some([same(kernel_h)?, same(kernel_w)?]),
        PaddingConfig2d::Explicit(top, left, bottom, right) => {
            (top == bottom && left == right).then_some([top, left])
        }
    }
}

/// The transposed form's padding, for a stride-1 layer padded by `padding`
/// that the form computes exactly and faster: no dilation or groups, padding
/// no wider than the kernel, fewer output than input channels.
fn transposed_padding(layer: &Conv2d, [top, left]: [usize; 2]) -> Option<[usize; 2]> {
    let [channels_out, channels_in, _, _] = layer.weight.dims();
    let [kernel_h, kernel_w] = layer.kernel_size;
    let computes_it = layer.dilation == [1, 1]
        && layer.groups == 1
        && channels_out < channels_in
        && top < kernel_h
        && left < kernel_w;
    computes_it.then(|| [kernel_h - 1 - top, kernel_w - 1 - left])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::tensor::{Device, Distribution};

    fn largest_difference(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Within 4e-6 of the larger values, a few times f32's precision: a bias
    /// gradient sums thousands of terms, in another order in each form.
    fn assert_relatively_close(got: Tensor<1>, expected: Tensor<1>) {
        let scale = expected.clone().abs().max().into_scalar::<f32>().max(1.0);
        let difference = (got.clone() - expected.clone())
            .abs()
            .max()
            .into_scalar::<f32>();
        assert!(difference <= 4e-6 * scale, "{got} vs {expected}");
    }

    /// `got` is `expected` computed another way: the same output, and the
    /// same gradients for the layer's `weight` and `bias` and its input `x`.
    fn assert_agree(
        got: Tensor<4>,
        expected: Tensor<4>,
        x: &Tensor<4>,
        weight: &Param<Tensor<4>>,
        bias: &Param<Tensor<1>>,
        what: &str,
    ) {
        assert_eq!(got.dims(), expected.dims(), "{what}");
        assert!(
            largest_difference(got.clone(), expected.clone()) < 1e-5,
            "{what}"
        );
        // A loss whose gradient differs at every output pixel.
        let upstream = Tensor::<4>::random(expected.dims(), Distribution::Default, &x.device());
        let gradients = |y: Tensor<4>| {
            let grads = (y * upstream.clone()).sum().backward();
            let weight = weight.grad(&grads).unwrap();
            (weight, bias.grad(&grads).unwrap(), x.grad(&grads).unwrap())
        };
        let (expected_w, expected_b, expected_x) = gradients(expected);
        let (got_w, got_b, got_x) = gradients(got);
        assert!(largest_difference(got_w, expected_w) < 1e-4, "{what}");
        assert_relatively_close(got_b, expected_b);
        assert!(largest_difference(got_x, expected_x) < 1e-5, "{what}");
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
            let bias = layer.bias.as_ref().unwrap();
            assert_agree(
                got,
                expected,
                &x,
                &layer.weight,
                bias,
                &format!("{channels:?} at {side}"),
            );
        }
    }

    /// The transposed convolutions with the bias added apart agree with
    /// `ConvTranspose2d::forward`, outputs and gradients, on the transposed
    /// decoders' layer shapes.
    #[test]
    fn transposed_convolutions_match_with_the_bias_apart() {
        let device = Device::flex().autodiff();
        // (channels, kernel, padding, padding_out, input side)
        let shapes = [
            ([8, 8], 3, 1, 0, 4),
            ([8, 16], 3, 1, 1, 14),
            ([8, 8], 4, 2, 1, 4),
            ([8, 16], 4, 1, 0, 14),
            ([8, 16], 3, 0, 0, 14),
        ];
        for (channels, kernel, padding, padding_out, side) in shapes {
            let layer = ConvTranspose2dConfig::new(channels, [kernel, kernel])
                .with_stride([2, 2])
                .with_padding([padding, padding])
                .with_padding_out([padding_out, padding_out])
                .init(&device);
            let x =
                Tensor::<4>::random([3, channels[0], side, side], Distribution::Default, &device)
                    .require_grad();
            let expected = layer.forward(x.clone());
            let got = forward_transposed(&layer, x.clone());
            let bias = layer.bias.as_ref().unwrap();
            let what = format!("{channels:?} k{kernel} at {side}");
            assert_agree(got, expected, &x, &layer.weight, bias, &what);
        }
    }

    #[test]
    fn narrowing_layers_take_the_transposed_form_on_flex() {
        let device = Device::flex();
        let layer = |channels| {
            Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(&device)
        };
        let padding = stride_one_padding(&layer([16, 1]));
        assert_eq!(padding, Some([1, 1]));
        assert_eq!(transposed_padding(&layer([16, 1]), [1, 1]), Some([1, 1]));
        assert_eq!(transposed_padding(&layer([16, 16]), [1, 1]), None);
        let strided = Conv2dConfig::new([16, 1], [3, 3])
            .with_stride([2, 2])
            .init(&device);
        assert_eq!(stride_one_padding(&strided), None);
    }
}
