//! Choosing where the tensors live: WebGPU through Burn's wgpu backend, or
//! Burn's CPU backend when the browser offers no adapter.

use burn::tensor::Device;
use serde::Serialize;

/// What runs the model, for the page to show.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendInfo {
    /// `"webgpu"` or `"cpu"`.
    pub kind: &'static str,
    /// A human line: the backend and, for WebGPU, the adapter.
    pub description: String,
    /// Why the CPU runs, when it does.
    pub fallback_reason: Option<String>,
}

/// Initialises WebGPU if `adapter` names one (the page asked
/// `navigator.gpu.requestAdapter()` first), else the CPU. A failed WebGPU
/// start falls back too, with the error as the reason.
pub async fn choose(adapter: Option<String>, reason_without: String) -> (Device, BackendInfo) {
    let Some(adapter) = adapter else {
        return cpu(reason_without);
    };
    match Device::wgpu_options().init_async().await {
        Ok(device) => (
            device,
            BackendInfo {
                kind: "webgpu",
                description: format!("Burn wgpu backend on WebGPU ({adapter})"),
                fallback_reason: None,
            },
        ),
        Err(err) => cpu(format!("WebGPU adapter '{adapter}' failed to start: {err}")),
    }
}

fn cpu(reason: String) -> (Device, BackendInfo) {
    (
        Device::flex(),
        BackendInfo {
            kind: "cpu",
            description: "Burn flex backend on the CPU (WebAssembly)".to_string(),
            fallback_reason: Some(reason),
        },
    )
}
