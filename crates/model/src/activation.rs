//! ReLU in as few GPU kernels as it takes.
//!
//! Burn computes `relu` as a comparison and a masked fill: two kernels. On
//! WebGPU, where a kernel costs what issuing it costs, an update of two
//! decoders spent 28 of its 109 dispatches on ReLUs. Where no gradient
//! flows (drawing), a clamp from below is the same function in one kernel;
//! where one does (training), Burn's `relu` stays, since a clamp's backward
//! costs more kernels than the ReLU's, and off the CPU it is taken on the
//! channels-last view (`crate::layout`), so that neither its output nor its
//! gradient is copied before the next convolution. The CPU keeps `relu`
//! throughout.

use burn::tensor::Tensor;
use burn::tensor::activation;

use crate::conv::on_flex;
use crate::layout::{on_channels_last, prefers_channels_last};

/// `max(x, 0)`.
///
/// # Shapes
/// - `x`: `[batch, channels, height, width]`, and the output
pub fn relu(x: Tensor<4>) -> Tensor<4> {
    if on_flex(&x) {
        activation::relu(x)
    } else if prefers_channels_last(&x) {
        on_channels_last(x, activation::relu)
    } else {
        x.clamp(0.0, f32::INFINITY)
    }
}
