//! Where the tensors live: WebGPU through Burn's wgpu backend (the
//! `webgpu` feature, which the browser's build turns on), or Burn's CPU
//! backend. The page chooses (`web/backend-choice.js`); this starts it.

use burn::backend::DispatchDevice;
use burn::tensor::Device;
use serde::Serialize;

/// What runs the model, for the page to show.
#[derive(Debug, Clone, Serialize)]
pub struct BackendInfo {
    /// `"webgpu"` or `"cpu"`.
    pub kind: &'static str,
    /// A human line: the backend and, for WebGPU, the adapter.
    pub description: String,
    /// Why this backend runs.
    pub reason: String,
    /// `"webgpu"` or `"cpu"`: where the views run
    /// ([`Session::drawing_backend`](crate::session::Session::drawing_backend)).
    pub drawing: &'static str,
    /// `"webgpu"` or `"cpu"`: where the models train
    /// ([`Session::training_backend`](crate::session::Session::training_backend)).
    pub training: &'static str,
}

/// Whether `device` (with autodiff or without) is Burn's CPU backend, flex.
pub fn is_cpu(device: &Device) -> bool {
    matches!(
        device.clone().without_autodiff().as_dispatch(),
        DispatchDevice::Flex(_)
    )
}

/// Starts WebGPU if `adapter` names one, else the CPU; `reason` is why.
/// A failed WebGPU start falls back to the CPU, with the error as the reason.
pub async fn start(adapter: Option<String>, reason: String) -> (Device, BackendInfo) {
    match adapter {
        Some(adapter) => webgpu(adapter, reason).await,
        None => cpu(reason),
    }
}

#[cfg(feature = "webgpu")]
async fn webgpu(adapter: String, reason: String) -> (Device, BackendInfo) {
    match Device::wgpu_options().init_async().await {
        Ok(device) => (
            device,
            BackendInfo {
                kind: "webgpu",
                description: format!("Burn wgpu backend on WebGPU ({adapter})"),
                reason,
                drawing: "webgpu",
                training: "webgpu",
            },
        ),
        Err(err) => cpu(format!("WebGPU adapter '{adapter}' failed to start: {err}")),
    }
}

/// A build without the `webgpu` feature: the browser's CPU-only module.
#[cfg(not(feature = "webgpu"))]
async fn webgpu(adapter: String, _reason: String) -> (Device, BackendInfo) {
    cpu(format!(
        "this build of the lab has no WebGPU backend, so the adapter '{adapter}' goes unused"
    ))
}

fn cpu(reason: String) -> (Device, BackendInfo) {
    (
        Device::flex(),
        BackendInfo {
            kind: "cpu",
            description: "Burn flex backend on the CPU (WebAssembly)".to_string(),
            reason,
            drawing: "cpu",
            training: "cpu",
        },
    )
}
