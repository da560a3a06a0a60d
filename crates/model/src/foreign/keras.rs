//! Keras files: a Keras 3 `.keras` (a zip holding `config.json` and
//! `model.weights.h5`), a bare `.weights.h5`, and the legacy full-model
//! `.h5` that Keras 2 (and the blog's own code) writes with `model.save`.
//! HDF5 is read by `hdf5-pure` and zip by `zip`, both pure Rust, so the
//! same code runs in the browser.
//!
//! Where the file carries the model's config, it is checked as well as the
//! weights: each transposed convolution must cut its output as ours does
//! (Keras' `padding` and any `Cropping2D` after it, against
//! [`TransposedDesign::crops`]), every layer's output must have our sizes,
//! and `UpSampling2D`'s interpolation says nearest or bilinear.

mod write;

use std::io::{Cursor, Read};

use burn::tensor::Device;
use hdf5_pure::{AttrValue, File, Group};
use serde_json::Value;

use super::{ForeignError, ForeignTensor, Layout, MAX_VALUES, Recognised, recognise};
use crate::decoder::{DecoderKind, TransposedDesign};
use crate::{AutoencoderConfig, IMAGE_SIDE};
pub use write::write;

/// The largest Keras file read; the blog's model saves to about 120 kB.
pub const MAX_FILE_LEN: usize = 16 << 20;
/// The largest `config.json` read from a `.keras` archive.
const MAX_CONFIG_LEN: u64 = 1 << 20;

/// One layer of a Keras model's config.
#[derive(Debug, Clone)]
pub struct KerasLayer {
    pub class: String,
    pub name: String,
    config: Value,
}

/// A Keras file, found to be one of our decoders.
pub fn load(bytes: &[u8]) -> Result<Recognised, ForeignError> {
    let (tensors, layers) = read(bytes)?;
    let hint = layers.as_deref().and_then(fixed_step_hint);
    let recognised = recognise(&tensors, Layout::Keras, hint)?;
    if let Some(layers) = &layers {
        check_geometry(layers, recognised.kind)?;
    }
    Ok(recognised)
}

/// A Keras file as a `.safetensors` file of the decoder it is
/// ([`super::safetensors::write`], which names the decoder): what the
/// page's Keras reader hands the lab.
pub fn to_safetensors(bytes: &[u8]) -> Result<Vec<u8>, ForeignError> {
    let model = load(bytes)?.into_autoencoder(&Device::flex());
    super::safetensors::write(&model)
}

/// The weights of a Keras file, and its layers when it carries its config.
pub fn read(bytes: &[u8]) -> Result<(Vec<ForeignTensor>, Option<Vec<KerasLayer>>), ForeignError> {
    if bytes.len() > MAX_FILE_LEN {
        return Err(unreadable(format!(
            "a Keras file is at most {MAX_FILE_LEN} bytes; this one is {}",
            bytes.len()
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|err| unreadable(format!("not a readable .keras archive: {err}")))?;
        let config = entry(&mut archive, "config.json", MAX_CONFIG_LEN)?;
        let weights = entry(&mut archive, "model.weights.h5", MAX_FILE_LEN as u64)?;
        let config: Value = serde_json::from_slice(&config)
            .map_err(|err| unreadable(format!("config.json is not JSON: {err}")))?;
        let layers = config_layers(&config)?;
        let tensors = read_h5(&weights, Some(&layers))?;
        return Ok((tensors, Some(layers)));
    }
    let file = File::from_bytes(bytes.to_vec()).map_err(|err| {
        unreadable(format!(
            "neither a .keras archive nor a readable HDF5 file: {err}"
        ))
    })?;
    let root = file.root();
    let attrs = root.attrs().map_err(hdf5_error)?;
    let layers = match attrs.get("model_config") {
        Some(value) => {
            let text = attr_text(value).ok_or_else(|| unreadable("model_config is not text"))?;
            let config: Value = serde_json::from_str(&text)
                .map_err(|err| unreadable(format!("model_config is not JSON: {err}")))?;
            Some(config_layers(&config)?)
        }
        None => None,
    };
    let tensors = tensors_of(&file, layers.as_deref())?;
    Ok((tensors, layers))
}

fn read_h5(
    bytes: &[u8],
    layers: Option<&[KerasLayer]>,
) -> Result<Vec<ForeignTensor>, ForeignError> {
    let file = File::from_bytes(bytes.to_vec()).map_err(|err| {
        unreadable(format!(
            "model.weights.h5 is not a readable HDF5 file: {err}"
        ))
    })?;
    tensors_of(&file, layers)
}

/// The model's weights: under `layers/NAME/vars/N` (Keras 3) or
/// `model_weights/NAME/…/kernel:0` (Keras 2); optimizer state is left out.
fn tensors_of(
    file: &File,
    layers: Option<&[KerasLayer]>,
) -> Result<Vec<ForeignTensor>, ForeignError> {
    let root = file.root();
    let groups = root.groups().map_err(hdf5_error)?;
    let base = ["model_weights", "layers"]
        .into_iter()
        .find(|name| groups.iter().any(|g| g == name))
        .ok_or_else(|| {
            unreadable("no model weights in this HDF5 file (neither 'layers' nor 'model_weights')")
        })?;
    let mut found = Vec::new();
    collect(&root.group(base).map_err(hdf5_error)?, base, &mut found, 0)?;
    let mut total = 0usize;
    let mut tensors = Vec::new();
    for (name, dataset) in found {
        let shape: Vec<usize> = dataset
            .shape()
            .map_err(hdf5_error)?
            .into_iter()
            .map(|d| usize::try_from(d).unwrap_or(usize::MAX))
            .collect();
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        total = count
            .and_then(|c| total.checked_add(c))
            .unwrap_or(usize::MAX);
        if total > MAX_VALUES {
            return Err(ForeignError::TooLarge { found: total });
        }
        let values = dataset
            .read_f32()
            .map_err(|err| unreadable(format!("tensor '{name}': {err}")))?;
        let layer = layer_name(&name);
        let transposed = match layers {
            Some(layers) => layers
                .iter()
                .find(|l| l.name == layer)
                .map(|l| l.class == "Conv2DTranspose"),
            None if layer.contains("conv2d_transpose") => Some(true),
            None if layer.starts_with("conv2d") => Some(false),
            None => None,
        };
        tensors.push(ForeignTensor {
            name,
            shape,
            values,
            transposed,
        });
    }
    Ok(tensors)
}

/// Every dataset under `group`, named by its path.
fn collect(
    group: &Group,
    path: &str,
    found: &mut Vec<(String, hdf5_pure::Dataset)>,
    depth: usize,
) -> Result<(), ForeignError> {
    // Keras nests a layer a few groups deep at most; a deeper file is not one.
    if depth > 8 {
        return Err(unreadable("groups nested too deep for a Keras model"));
    }
    for name in group.datasets().map_err(hdf5_error)? {
        found.push((
            format!("{path}/{name}"),
            group.dataset(&name).map_err(hdf5_error)?,
        ));
    }
    for name in group.groups().map_err(hdf5_error)? {
        let sub = group.group(&name).map_err(hdf5_error)?;
        collect(&sub, &format!("{path}/{name}"), found, depth + 1)?;
    }
    Ok(())
}

/// The layer a weight belongs to: `conv2d_1` of `layers/conv2d_1/vars/0`
/// and of `model_weights/conv2d_1/conv2d_1/kernel:0`.
fn layer_name(path: &str) -> &str {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.iter().position(|p| *p == "vars") {
        Some(at) if at > 0 => parts[at - 1],
        _ => parts.get(1).copied().unwrap_or(""),
    }
}

/// The layers of a Keras model config (`Functional` or `Sequential`), in order.
fn config_layers(config: &Value) -> Result<Vec<KerasLayer>, ForeignError> {
    let layers = config
        .pointer("/config/layers")
        .and_then(Value::as_array)
        .ok_or_else(|| unreadable("the model config lists no layers"))?;
    Ok(layers
        .iter()
        .map(|layer| KerasLayer {
            class: layer["class_name"].as_str().unwrap_or_default().to_string(),
            name: layer
                .pointer("/config/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            config: layer["config"].clone(),
        })
        .collect())
}

/// Which decoder the model's fixed, weightless steps say among those with
/// the same weights: nearest or bilinear `UpSampling2D`, or transposed
/// convolutions each followed by a 2x2 `AveragePooling2D` of stride 1 (the
/// zero-order hold).
fn fixed_step_hint(layers: &[KerasLayer]) -> Option<DecoderKind> {
    if layers.iter().any(|l| l.class == "AveragePooling2D")
        && layers.iter().any(|l| l.class == "Conv2DTranspose")
    {
        return Some(DecoderKind::TransposedHold);
    }
    let up = layers.iter().find(|l| l.class == "UpSampling2D")?;
    match up.config["interpolation"].as_str() {
        Some("bilinear") => Some(DecoderKind::Bilinear),
        _ => Some(DecoderKind::Upsample),
    }
}

/// Refuses a model whose layers cut or size their outputs otherwise than
/// `kind`'s: its weights would load, and compute another image.
fn check_geometry(layers: &[KerasLayer], kind: DecoderKind) -> Result<(), ForeignError> {
    let mismatch = |why: String| ForeignError::NoDecoderFits { closest: kind, why };
    let mut side = IMAGE_SIDE;
    let mut sides = vec![side];
    let mut crops = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        let config = &layer.config;
        let pair = |key: &str| -> usize {
            match &config[key] {
                Value::Array(values) => {
                    values.first().and_then(Value::as_u64).unwrap_or(1) as usize
                }
                value => value.as_u64().unwrap_or(1) as usize,
            }
        };
        let same = config["padding"].as_str() == Some("same");
        side = match layer.class.as_str() {
            "Conv2D" | "MaxPooling2D" | "AveragePooling2D" => {
                let window = if layer.class == "Conv2D" {
                    pair("kernel_size")
                } else {
                    pair("pool_size")
                };
                // Keras' pooling strides default to the pool size.
                let stride = match &config["strides"] {
                    Value::Null if layer.class != "Conv2D" => window,
                    _ => pair("strides"),
                }
                .max(1);
                if same {
                    side.div_ceil(stride)
                } else {
                    side.saturating_sub(window) / stride + 1
                }
            }
            "UpSampling2D" => side.saturating_mul(pair("size")),
            "Conv2DTranspose" => {
                let (kernel, stride) = (pair("kernel_size"), pair("strides"));
                let full = side
                    .saturating_sub(1)
                    .saturating_mul(stride)
                    .saturating_add(kernel);
                let cut = if same {
                    kernel.saturating_sub(stride)
                } else {
                    0
                };
                let (mut before, mut after) = (cut / 2, cut - cut / 2);
                if let Some(next) = layers.get(index + 1).filter(|l| l.class == "Cropping2D") {
                    let rows = &next.config["cropping"][0];
                    let columns = &next.config["cropping"][1];
                    if rows != columns {
                        return Err(mismatch(format!(
                            "'{}' crops rows and columns differently; ours crop both alike",
                            next.name
                        )));
                    }
                    let cut = |value: &Value| {
                        usize::try_from(value.as_u64().unwrap_or(0)).unwrap_or(usize::MAX)
                    };
                    before = before.saturating_add(cut(&rows[0]));
                    after = after.saturating_add(cut(&rows[1]));
                }
                crops.push((layer.name.clone(), (before, after)));
                full.saturating_sub(before.saturating_add(after))
            }
            // Folded into the transposed convolution before it.
            "Cropping2D" => side,
            _ => side,
        };
        if sides.last() != Some(&side) {
            sides.push(side);
        }
    }
    if let Some(design) = TransposedDesign::of(kind) {
        let ours = design.crops();
        if crops.len() != ours.len() {
            return Err(mismatch(format!(
                "the file has {} transposed convolutions; {kind} has {}",
                crops.len(),
                ours.len()
            )));
        }
        for (i, ((name, theirs), ours)) in crops.iter().zip(ours).enumerate() {
            if *theirs != ours {
                return Err(mismatch(format!(
                    "transposed convolution {} ('{name}') cuts {theirs:?} pixels (before, after) from its output, through its padding and cropping; {kind}'s cuts {ours:?}. Keras' padding='same' cuts (0, 1) from a 3x3, stride-2 layer; 'valid' and Cropping2D(((1, 0), (1, 0))) cut (1, 0)",
                    i + 1
                )));
            }
        }
    }
    let ours = our_sides(kind);
    if sides != ours {
        return Err(mismatch(format!(
            "its layers' outputs measure {sides:?} pixels a side, one after another; {kind}'s measure {ours:?}"
        )));
    }
    Ok(())
}

/// The sides of our model's layer outputs, each change once.
fn our_sides(kind: DecoderKind) -> Vec<usize> {
    let model = AutoencoderConfig::new(kind).init(&Device::flex());
    let mut sides = vec![IMAGE_SIDE];
    for (_, shape) in model.architecture() {
        if sides.last() != Some(&shape[3]) {
            sides.push(shape[3]);
        }
    }
    sides
}

fn entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, ForeignError> {
    let file = archive
        .by_name(name)
        .map_err(|_| unreadable(format!("the .keras archive has no {name}")))?;
    if file.size() > limit {
        return Err(unreadable(format!(
            "{name} in the archive claims {} bytes, more than a Keras autoencoder's",
            file.size()
        )));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(format!("{name}: {err}")))?;
    if bytes.len() as u64 > limit {
        return Err(unreadable(format!("{name} is larger than it says")));
    }
    Ok(bytes)
}

fn attr_text(value: &AttrValue) -> Option<String> {
    match value {
        AttrValue::String(text)
        | AttrValue::AsciiString(text)
        | AttrValue::VarLenString(text)
        | AttrValue::VarLenAsciiString(text) => Some(text.clone()),
        _ => None,
    }
}

fn unreadable(why: impl Into<String>) -> ForeignError {
    ForeignError::Unreadable(why.into())
}

fn hdf5_error(err: hdf5_pure::Error) -> ForeignError {
    unreadable(format!("unreadable HDF5: {err}"))
}
