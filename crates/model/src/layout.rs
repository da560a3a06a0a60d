//! Which memory layout the tensors between layers take, and the views
//! between the two.
//!
//! The model is written on `[batch, channels, height, width]` tensors, as
//! Keras' and Burn's APIs are. Burn's CPU backend lays them out so (channels
//! first). Its GPU backend computes convolutions and pools on channels-last
//! memory (`[batch, height, width, channels]`): it hands back their outputs
//! laid so, seen through a permutation, and copies any input laid otherwise
//! before reading it.
//!
//! An op that cannot write over its input (on the training path the input
//! is kept for the backward pass, so none can) writes a new tensor laid in
//! the order of the axes it was given. Given the `[batch, channels, height,
//! width]` view, it lays its output channels first, and the next
//! convolution copies it back: on WebGPU, where each kernel costs what
//! issuing it costs, one dispatch more per op, forward and backward. So off
//! the CPU such ops are given the channels-last view of the same memory
//! ([`on_channels_last`]), and their outputs, and their gradients, come out
//! laid as the convolutions want them.

use burn::tensor::Tensor;

use crate::backend::is_cpu;

/// `[batch, channels, height, width]` axes to `[batch, height, width, channels]`.
pub const TO_CHANNELS_LAST: [usize; 4] = [0, 2, 3, 1];
/// `[batch, height, width, channels]` axes to `[batch, channels, height, width]`.
pub const TO_CHANNELS_FIRST: [usize; 4] = [0, 3, 1, 2];

/// Whether ops on `x` should be given its channels-last view: off the CPU,
/// where the gradient flows (elsewhere Burn's GPU ops write in place and
/// keep the input's layout).
pub fn prefers_channels_last(x: &Tensor<4>) -> bool {
    x.is_autodiff() && !is_cpu(&x.device())
}

/// `op` applied to the channels-last view of `x` (`op` takes and gives
/// `[batch, height, width, channels]`), seen channels first again.
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`
/// - output: `[batch, channels', height', width']`, from `op`'s `[batch, height', width', channels']`
pub fn on_channels_last(x: Tensor<4>, op: impl FnOnce(Tensor<4>) -> Tensor<4>) -> Tensor<4> {
    op(x.permute(TO_CHANNELS_LAST)).permute(TO_CHANNELS_FIRST)
}
