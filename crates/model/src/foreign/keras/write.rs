//! Our models as Keras 3 `.keras` files: a Sequential model of Keras' own
//! layers, computing what ours computes, with the weights in
//! `model.weights.h5` where `keras.models.load_model` looks for them.
//!
//! Each decoder is written as the layers the reader ([`super::load`]) takes
//! for it: a transposed convolution as `Conv2DTranspose(padding="valid")`
//! followed by the `Cropping2D` that cuts what ours cuts
//! ([`TransposedDesign::crops`]), the zero-order hold as
//! `AveragePooling2D(2, strides=1)`. The sub-pixel decoders are refused:
//! Keras has no pixel-shuffle layer, only `depth_to_space` inside a `Lambda`,
//! whose code a `.keras` file cannot carry safely.

use std::io::{Cursor, Write};

use burn::tensor::{Device, Tensor, TensorData};
use hdf5_pure::FileBuilder;
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use super::super::layers::named_parameters;
use super::super::{ForeignError, our_layers};
use crate::decoder::{DecoderKind, TransposedDesign};
use crate::{Autoencoder, IMAGE_SIDE};

/// The Keras version whose `.keras` layout this writes, and against which
/// `scripts/check-keras-export.py` loads it.
const KERAS_VERSION: &str = "3.15.1";

/// `model` as a Keras 3 `.keras` archive.
pub fn write(model: &Autoencoder) -> Result<Vec<u8>, ForeignError> {
    let kind = model.kind();
    let layers = keras_layers(kind)?;
    let parameters = parameters(model)?;
    let weighted = layers.iter().filter(|layer| layer.weighted).count();
    if weighted != parameters.len() {
        return Err(ForeignError::Unwritable(format!(
            "the {kind} model has {} layers with weights; its Keras form has {weighted}",
            parameters.len()
        )));
    }
    let config = json!({
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": format!("checkerlab_{}", kind.name().replace('-', "_")),
            "trainable": true,
            "dtype": "float32",
            "layers": std::iter::once(input_layer())
                .chain(layers.iter().map(|layer| layer.config.clone()))
                .collect::<Vec<_>>(),
        },
        "registered_name": null,
        "build_config": { "input_shape": [null, IMAGE_SIDE, IMAGE_SIDE, 1] },
    });
    let weights = weights_h5(&layers, &parameters)?;
    let metadata = json!({ "keras_version": KERAS_VERSION });

    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    for (name, bytes) in [
        ("metadata.json", metadata.to_string().into_bytes()),
        ("config.json", config.to_string().into_bytes()),
        ("model.weights.h5", weights),
    ] {
        archive
            .start_file(name, options)
            .and_then(|()| archive.write_all(&bytes).map_err(Into::into))
            .map_err(|err| write_error(format!("{name}: {err}")))?;
    }
    let archive = archive
        .finish()
        .map_err(|err| write_error(err.to_string()))?;
    Ok(archive.into_inner())
}

/// One Keras layer of the exported model.
struct KerasLayer {
    name: String,
    config: Value,
    /// Whether it holds a kernel and a bias (the next of ours, in order).
    weighted: bool,
}

/// The model's Keras layers as they are added, named as Keras names them:
/// by class, numbering the second and later of a class.
#[derive(Default)]
struct Sequential {
    layers: Vec<KerasLayer>,
    counts: Vec<(&'static str, usize)>,
}

impl Sequential {
    fn add(&mut self, class: &'static str, base: &'static str, config: Value, weighted: bool) {
        let name = match self.counts.iter_mut().find(|(name, _)| *name == base) {
            Some((_, count)) => {
                *count += 1;
                format!("{base}_{count}")
            }
            None => {
                self.counts.push((base, 0));
                base.to_string()
            }
        };
        let mut config = config;
        config["name"] = json!(name);
        config["trainable"] = json!(true);
        config["dtype"] = json!("float32");
        self.layers.push(KerasLayer {
            config: json!({
                "module": "keras.layers",
                "class_name": class,
                "config": config,
                "registered_name": null,
            }),
            name,
            weighted,
        });
    }

    /// A 3x3 convolution, stride 1.
    fn conv(&mut self, filters: usize, padding: &str, activation: &str) {
        self.add(
            "Conv2D",
            "conv2d",
            json!({
                "filters": filters, "kernel_size": [3, 3], "strides": [1, 1],
                "padding": padding, "data_format": "channels_last",
                "dilation_rate": [1, 1], "activation": activation, "use_bias": true,
            }),
            true,
        );
    }
}

/// The autoencoder with `kind`'s decoder as Keras layers, after the input.
fn keras_layers(kind: DecoderKind) -> Result<Vec<KerasLayer>, ForeignError> {
    let mut model = Sequential::default();
    // The blog's encoder: 28 -> 14 -> 7 -> 4, 'same' pooling padding after.
    for filters in [16, 8, 8] {
        model.conv(filters, "same", "relu");
        model.add(
            "MaxPooling2D",
            "max_pooling2d",
            json!({
                "pool_size": [2, 2], "strides": [2, 2], "padding": "same",
                "data_format": "channels_last",
            }),
            false,
        );
    }
    match (kind, TransposedDesign::of(kind)) {
        (DecoderKind::Upsample | DecoderKind::Bilinear, _) => {
            let interpolation = if kind == DecoderKind::Bilinear {
                "bilinear"
            } else {
                "nearest"
            };
            // 4 -> 8 -> 16, a 'valid' convolution to 14, then 28.
            for (filters, padding) in [(8, "same"), (8, "same"), (16, "valid")] {
                model.conv(filters, padding, "relu");
                model.add(
                    "UpSampling2D",
                    "up_sampling2d",
                    json!({
                        "size": [2, 2], "data_format": "channels_last",
                        "interpolation": interpolation,
                    }),
                    false,
                );
            }
        }
        (_, Some(design)) => {
            let holds = design == TransposedDesign::Kernel3Hold;
            let kernel = if design == TransposedDesign::Kernel4 {
                4
            } else {
                3
            };
            for (filters, (before, after)) in [8, 8, 16].into_iter().zip(design.crops()) {
                model.add(
                    "Conv2DTranspose",
                    "conv2d_transpose",
                    json!({
                        "filters": filters, "kernel_size": [kernel, kernel],
                        "strides": [2, 2], "padding": "valid",
                        "data_format": "channels_last", "dilation_rate": [1, 1],
                        "activation": if holds { "linear" } else { "relu" },
                        "use_bias": true,
                    }),
                    true,
                );
                if before + after > 0 {
                    model.add(
                        "Cropping2D",
                        "cropping2d",
                        json!({
                            "cropping": [[before, after], [before, after]],
                            "data_format": "channels_last",
                        }),
                        false,
                    );
                }
                if holds {
                    model.add(
                        "AveragePooling2D",
                        "average_pooling2d",
                        json!({
                            "pool_size": [2, 2], "strides": [1, 1], "padding": "valid",
                            "data_format": "channels_last",
                        }),
                        false,
                    );
                    model.add(
                        "Activation",
                        "activation",
                        json!({ "activation": "relu" }),
                        false,
                    );
                }
            }
        }
        _ => {
            return Err(ForeignError::Unwritable(format!(
                "the {kind} decoder has no Keras form: Keras has no pixel-shuffle layer. Save it as .safetensors instead"
            )));
        }
    }
    model.conv(1, "same", "sigmoid");
    Ok(model.layers)
}

fn input_layer() -> Value {
    json!({
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": [null, IMAGE_SIDE, IMAGE_SIDE, 1],
            "dtype": "float32",
            "sparse": false,
            "name": "input_layer",
        },
        "registered_name": null,
    })
}

/// A layer's kernel in Keras' layout and its bias.
struct KerasWeights {
    kernel_shape: [usize; 4],
    kernel: Vec<f32>,
    bias: Vec<f32>,
}

/// Each convolution's kernel and bias, in the order of the forward pass,
/// kernels permuted to Keras' layout.
fn parameters(model: &Autoencoder) -> Result<Vec<KerasWeights>, ForeignError> {
    let named = named_parameters(model);
    let find = |name: String| {
        named
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| write_error(format!("the model has no parameter {name}")))
    };
    our_layers(model.kind())
        .iter()
        .map(|layer| {
            let (weight, bias) = (
                find(format!("{}.weight", layer.path))?,
                find(format!("{}.bias", layer.path))?,
            );
            // Burn's [out, in, h, w] (convolution) and [in, out, h, w]
            // (transposed) both become Keras' [h, w, in, out] and
            // [h, w, out, in] by the same permutation.
            let kernel = Tensor::<4>::from_data(
                TensorData::new(weight.values.clone(), layer.kernel),
                &Device::flex(),
            )
            .permute([2, 3, 1, 0]);
            Ok(KerasWeights {
                kernel_shape: kernel.dims(),
                kernel: kernel
                    .into_data()
                    .try_to_vec::<f32>()
                    .map_err(|err| write_error(format!("{}: {err:?}", weight.name)))?,
                bias: bias.values.clone(),
            })
        })
        .collect()
}

/// `model.weights.h5`: `layers/NAME/vars/0` the kernel and `vars/1` the
/// bias, an empty `vars` for a layer without weights and for the model.
fn weights_h5(layers: &[KerasLayer], parameters: &[KerasWeights]) -> Result<Vec<u8>, ForeignError> {
    let mut file = FileBuilder::new();
    let model_vars = file.create_group("vars").finish();
    file.add_group(model_vars);
    let mut all = file.create_group("layers");
    let mut weights = parameters.iter();
    for layer in layers {
        let mut group = all.create_group(&layer.name);
        let mut vars = group.create_group("vars");
        if layer.weighted {
            let Some(w) = weights.next() else {
                return Err(write_error("fewer weighted layers than Keras layers"));
            };
            let shape = w.kernel_shape.map(|d| d as u64);
            vars.create_dataset("0")
                .with_f32_data(&w.kernel)
                .with_shape(&shape);
            vars.create_dataset("1")
                .with_f32_data(&w.bias)
                .with_shape(&[w.bias.len() as u64]);
        }
        group.add_group(vars.finish());
        all.add_group(group.finish());
    }
    file.add_group(all.finish());
    file.finish()
        .map_err(|err| write_error(format!("model.weights.h5: {err}")))
}

fn write_error(why: impl std::fmt::Display) -> ForeignError {
    ForeignError::Unwritable(format!("could not write the .keras file: {why}"))
}
