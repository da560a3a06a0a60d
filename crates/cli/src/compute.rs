//! Where the native tools compute: Burn's flex backend on the CPU, or Burn's
//! wgpu backend on this machine's GPU when the tool is built with
//! `--features gpu` (Vulkan on Linux; used by `benchmarks/gpu.sh`).

use burn::tensor::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compute {
    /// Burn's flex backend, every core.
    Cpu,
    /// Burn's wgpu backend on the default GPU, with autotune and fusion.
    Gpu,
}

impl Compute {
    pub fn device(self) -> anyhow::Result<Device> {
        match self {
            Compute::Cpu => Ok(Device::flex()),
            Compute::Gpu => gpu_device(),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Compute::Cpu => "Burn flex, CPU",
            Compute::Gpu => "Burn wgpu, GPU",
        }
    }
}

#[cfg(feature = "gpu")]
fn gpu_device() -> anyhow::Result<Device> {
    Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
}

#[cfg(not(feature = "gpu"))]
fn gpu_device() -> anyhow::Result<Device> {
    anyhow::bail!(
        "this checkerlab was built without GPU support; build it with \
         `cargo build --release -p checkerlab-cli --features gpu`"
    )
}
