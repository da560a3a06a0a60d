//! The small records that cross to JavaScript through serde-wasm-bindgen.

use checkerlab_model::evaluation::Probes;
use checkerlab_model::{CheckerboardMetrics, OptimizerKind};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// A decoder as the page lists it.
#[derive(Serialize)]
pub struct DecoderDescription {
    pub name: &'static str,
    pub label: &'static str,
    pub parameters: usize,
    /// Where its current weights came from: "seed 0", "shipped weights", a file.
    pub origin: String,
    pub steps: u64,
    pub shown: bool,
    pub layers: Vec<LayerDescription>,
}

#[derive(Serialize)]
pub struct LayerDescription {
    pub name: &'static str,
    pub shape: [usize; 4],
}

/// One decoder's answer to an input; the image itself is attached as a
/// `Float32Array` under `image`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconstruction {
    pub decoder: &'static str,
    /// Mean per-pixel BCE of the reconstruction against the input.
    pub bce: f64,
    pub meters: CheckerboardMetrics,
}

/// A decoded image without an input to compare against (random codes).
#[derive(Serialize)]
pub struct Decoded {
    pub decoder: &'static str,
    pub meters: CheckerboardMetrics,
}

#[derive(Serialize)]
pub struct DecoderProbes {
    pub decoder: &'static str,
    pub probes: Probes,
}

/// The GPU allocator's holdings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceMemory {
    pub allocations: u64,
    pub bytes_in_use: u64,
    pub bytes_reserved: u64,
}

/// What the page may set before training.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainSettings {
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            optimizer: OptimizerKind::Adam,
            learning_rate: 1e-3,
            batch_size: 32,
        }
    }
}

/// The result of a chunk of training steps.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainReport {
    /// Steps taken by each model since it was created or loaded.
    pub step: u64,
    pub losses: Vec<DecoderLosses>,
    /// Wall time of the chunk, the final read included.
    pub milliseconds: f64,
}

#[derive(Serialize)]
pub struct DecoderLosses {
    pub decoder: &'static str,
    /// One loss per step, before that step's update.
    pub losses: Vec<f32>,
}

/// One decoder's latent walk; the images are attached as `images`.
#[derive(Serialize)]
pub struct WalkRecord {
    pub decoder: &'static str,
    pub steps: usize,
}

/// An overlap map's side; the map itself is attached as `map`.
#[derive(Serialize)]
pub struct OverlapResult {
    pub side: usize,
}

pub fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|err| JsError::new(&format!("could not pass a record to JavaScript: {err}")))
}

/// `record` as a JS object with `image` set to a `Float32Array`.
pub fn with_image(record: &impl Serialize, image: &[f32]) -> Result<JsValue, JsError> {
    to_js_with(record, "image", image)
}

/// `record` as a JS object with `key` set to a `Float32Array` of `values`.
pub fn to_js_with(record: &impl Serialize, key: &str, values: &[f32]) -> Result<JsValue, JsError> {
    let object = to_js(record)?;
    js_sys::Reflect::set(
        &object,
        &JsValue::from_str(key),
        &js_sys::Float32Array::from(values),
    )
    .map_err(|_| JsError::new("could not attach an array to a record"))?;
    Ok(object)
}
