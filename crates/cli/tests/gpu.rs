//! The native GPU path (Burn's wgpu backend with autotune and fusion, as
//! `--features gpu` builds it) against the CPU, on whatever Vulkan driver
//! the machine has: in the test command, Mesa's lavapipe, which computes
//! on the CPU and reproduces the fusion fault of docs/gpu-correctness.md
//! (a test BCE of 1.3 where the CPU's is 0.09, before the fix).
//!
//!     cargo test --release -p checkerlab-cli --features gpu --test gpu
#![cfg(feature = "gpu")]

use std::path::{Path, PathBuf};

use burn::tensor::{Device, DeviceKind, Transaction};
use checkerlab_model::evaluation::{images_tensor, mean_of_chunks, register_mean_bce};
use checkerlab_model::gradient_check;
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::{DecoderKind, weights};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first 1,000 test digits: two of the evaluation's chunks of 500.
fn test_digits() -> MnistSet {
    MnistSet::load(&repository().join("data/mnist"), Split::Test)
        .unwrap()
        .take(1000)
}

fn shipped(kind: DecoderKind, device: &Device) -> checkerlab_model::Autoencoder {
    let path = repository().join(format!("weights/{kind}.ckpt"));
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    weights::decode(&bytes, kind, device).unwrap().0
}

fn gpu() -> Device {
    Device::wgpu(DeviceKind::DefaultDevice)
}

#[test]
fn the_gpu_scores_the_shipped_weights_as_the_cpu_does() {
    let digits = test_digits();
    for kind in [DecoderKind::Upsample, DecoderKind::Transposed] {
        let score = |device: &Device| {
            let model = shipped(kind, device);
            let (sizes, transaction) =
                register_mean_bce(&model, &digits, device, Transaction::default());
            mean_of_chunks(&sizes, transaction.execute())
        };
        let (on_gpu, on_cpu) = (score(&gpu()), score(&Device::flex()));
        assert!(
            on_cpu > 0.05 && on_cpu < 0.2,
            "{kind}: the CPU scores {on_cpu}"
        );
        // f32 sums of 392,000 terms in another order: a few parts in 10^5.
        assert!(
            (on_gpu - on_cpu).abs() <= 1e-3 * on_cpu,
            "{kind}: test BCE {on_gpu} on the GPU, {on_cpu} on the CPU"
        );
    }
}

#[test]
fn the_gpu_computes_every_parameters_gradient_as_the_cpu_does() {
    let digits = test_digits();
    let indices: Vec<usize> = (0..16).collect();
    for kind in DecoderKind::ALL {
        let gradients = |device: &Device| {
            let device = device.clone().autodiff();
            let model = shipped(kind, &device);
            let images = images_tensor(digits.batch(&indices), &device);
            // No taps: with them Burn's fusion miscomputes the forward pass
            // (docs/gpu-correctness.md).
            let (layout, transaction) = gradient_check::register(
                &model,
                images,
                gradient_check::Taps::None,
                Transaction::default(),
            );
            let data: Vec<Vec<f32>> = transaction
                .execute()
                .into_iter()
                .map(|data| data.try_to_vec::<f32>().unwrap())
                .collect();
            (layout, data)
        };
        let (layout, on_gpu) = gradients(&gpu());
        let (_, on_cpu) = gradients(&Device::flex());
        let names = std::iter::once("loss".to_string())
            .chain(layout.layers)
            .chain(layout.parameters);
        for ((name, gpu), cpu) in names.zip(&on_gpu).zip(&on_cpu) {
            let scale = cpu.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let gap = gpu
                .iter()
                .zip(cpu)
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                gap <= 1e-3 * scale,
                "{kind}, {name}: the GPU's gradient differs by {gap:e} of {scale:e}"
            );
        }
    }
}
