//! A reproduction, ready to report upstream, of the wrong gradient of
//! Burn's nearest-neighbour interpolation on a GPU that divides
//! approximately (docs/gpu-correctness.md): the backward pass of
//! `interpolate(Nearest)` from 14x14 to 28x28, on Burn's wgpu backend and
//! on its CPU backend, and the input rows and columns whose gradients
//! differ. Each output pixel's upstream gradient is distinct, so a
//! gradient summed from the wrong block cannot match by chance.
//!
//!     cargo run --release -p checkerlab-cli --features gpu --example nearest_backward
//!
//! On an NVIDIA GPU (Vulkan) it lists rows and columns 3, 6, 7, 11, 12
//! and 13; on the CPU-backed adapters (lavapipe, SwiftShader), none.

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, DeviceKind, Tensor, TensorData};

const SIDE: usize = 14;

/// The gradient of `sum(interpolate(x) * upstream)` with respect to `x`.
fn gradient(device: &Device) -> Vec<f32> {
    let device = device.clone().autodiff();
    let x = Tensor::<4>::zeros([1, 1, SIDE, SIDE], &device).require_grad();
    let side = 2 * SIDE;
    let upstream: Vec<f32> = (0..side * side).map(|i| 1.0 + i as f32).collect();
    let upstream = Tensor::<4>::from_data(TensorData::new(upstream, [1, 1, side, side]), &device);
    let output = interpolate(
        x.clone(),
        InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([side, side]),
    );
    let grads = (output * upstream).sum().backward();
    x.grad(&grads)
        .expect("x requires a gradient")
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 gradients")
}

fn main() {
    let gpu = gradient(&Device::wgpu(DeviceKind::DefaultDevice));
    let cpu = gradient(&Device::flex());
    let mut rows = Vec::new();
    let mut columns = Vec::new();
    for (at, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
        if g != c {
            let (row, column) = (at / SIDE, at % SIDE);
            if !rows.contains(&row) {
                rows.push(row);
            }
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
    }
    rows.sort_unstable();
    columns.sort_unstable();
    let largest = gpu
        .iter()
        .zip(&cpu)
        .map(|(g, c)| (g - c).abs())
        .fold(0.0f32, f32::max);
    println!(
        "nearest interpolation backward, {SIDE}x{SIDE} -> {}x{}",
        2 * SIDE,
        2 * SIDE
    );
    println!("input rows whose gradient differs from the CPU's: {rows:?}");
    println!("input columns whose gradient differs from the CPU's: {columns:?}");
    println!(
        "largest difference: {largest} (gradients run up to {})",
        cpu.iter().fold(0.0f32, |m, v| m.max(v.abs()))
    );
}
