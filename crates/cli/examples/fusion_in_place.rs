//! A reproduction, ready to report upstream, of the wrong test BCE of the
//! native GPU path (docs/gpu-correctness.md): Burn's fusion (burn 0.22.1,
//! wgpu backend with autotune and fusion) computes a fused elementwise
//! chain wrongly when the chain takes the last handle of a tensor whose
//! strides are not the contiguous ones, here a `[n, 28, 28, 1]` tensor
//! permuted to `[n, 1, 28, 28]`, which is how Burn's GPU convolutions
//! return their NHWC outputs. With a second handle kept, the same chain is
//! right. The results differ from run to run.
//!
//!     cargo run --release -p checkerlab-cli --features gpu --example fusion_in_place
//!
//! Seen on Mesa's lavapipe and, through `checkerlab eval --device gpu`, on
//! an NVIDIA H200.

use burn::tensor::{Device, DeviceKind, Tensor, TensorData};
use checkerlab_model::bce_with_logits;

const COUNT: usize = 64;
const SIDE: usize = 28;

/// Made-up logits in `[-8, 8]` and targets, a fifth of them non-zero.
fn inputs() -> (Vec<f32>, Vec<f32>) {
    let len = COUNT * SIDE * SIDE;
    let logits = (0..len)
        .map(|i| ((i * 7919 % 1601) as f32 / 100.0) - 8.0)
        .collect();
    let targets = (0..len)
        .map(|i| {
            if i % 5 == 0 {
                (i % 7) as f32 / 6.0
            } else {
                0.0
            }
        })
        .collect();
    (logits, targets)
}

/// `x` as the permuted view of an NHWC tensor, and the targets, on `device`.
fn tensors(device: &Device) -> (Tensor<4>, Tensor<4>) {
    let (logits, targets) = inputs();
    let nhwc = Tensor::<4>::from_data(TensorData::new(logits, [COUNT, SIDE, SIDE, 1]), device);
    let targets = Tensor::<4>::from_data(TensorData::new(targets, [COUNT, 1, SIDE, SIDE]), device);
    (nhwc.permute([0, 3, 1, 2]), targets)
}

fn host(x: Tensor<4>) -> Vec<f32> {
    x.into_data().try_to_vec::<f32>().expect("f32 values")
}

/// `clamp_min(x, 0) - x * z`, the chain taking `x`'s last handle or not.
fn chain(device: &Device, keep_a_handle: bool) -> Vec<f32> {
    let (x, z) = tensors(device);
    let kept = keep_a_handle.then(|| x.clone());
    let out = host(x.clone().clamp_min(0.0) - x * z);
    drop(kept);
    out
}

fn main() {
    let gpu = Device::wgpu(DeviceKind::DefaultDevice);
    let cpu = Device::flex();
    let expected = chain(&cpu, false);
    for keep_a_handle in [false, true] {
        let wrong = chain(&gpu, keep_a_handle)
            .iter()
            .zip(&expected)
            .filter(|(a, b)| (*a - *b).abs() > 1e-4)
            .count();
        println!(
            "clamp_min(x, 0) - x * z on the GPU, {}: {wrong} of {} values wrong",
            if keep_a_handle {
                "a second handle of x kept"
            } else {
                "taking x's last handle"
            },
            expected.len()
        );
    }
    let (x, z) = tensors(&cpu);
    let on_cpu = bce_with_logits(x, z).into_scalar::<f32>();
    let (x, z) = tensors(&gpu);
    let on_gpu = bce_with_logits(x, z).into_scalar::<f32>();
    println!("checkerlab's bce_with_logits of the same inputs: CPU {on_cpu:.6}, GPU {on_gpu:.6}");
}
