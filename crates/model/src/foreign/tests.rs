use burn::tensor::Device;

use super::*;
use crate::parameters::parameters;

/// Equal parameters, or where they first differ (printing thousands of floats helps no one).
fn assert_same_parameters(a: &Autoencoder, b: &Autoencoder, what: &str) {
    let (a, b) = (parameters(a), parameters(b));
    assert_eq!(a.len(), b.len(), "{what}: parameter count");
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("{what}: parameter {i} is {} here, {} there", a[i], b[i]);
    }
}

fn model(kind: DecoderKind, seed: u64) -> Autoencoder {
    AutoencoderConfig::new(kind)
        .with_seed(seed)
        .init(&Device::flex())
}

/// `kind`'s model as a PyTorch state dict would hold it, without our metadata.
fn pytorch_tensors(kind: DecoderKind, seed: u64) -> Vec<ForeignTensor> {
    let bytes = safetensors::write(&model(kind, seed)).expect("written");
    safetensors::read(&bytes).expect("read").0
}

/// The same tensors as Keras would name and lay them out: kernels
/// `[kh, kw, in, out]` (`[kh, kw, out, in]` transposed), one `conv2d_N` or
/// `conv2d_transpose_N` per layer, numbered per type in the order made.
fn keras_tensors(kind: DecoderKind, seed: u64) -> Vec<ForeignTensor> {
    let ours = our_layers(kind);
    let torch = pytorch_tensors(kind, seed);
    let mut counts = [0usize; 2];
    let mut out = Vec::new();
    for layer in &ours {
        let transposed = layer.kind == LayerKind::Transposed;
        let count = &mut counts[usize::from(transposed)];
        let base = if transposed {
            "conv2d_transpose"
        } else {
            "conv2d"
        };
        let name = if *count == 0 {
            base.to_string()
        } else {
            format!("{base}_{count}")
        };
        *count += 1;
        let find = |suffix: &str| {
            torch
                .iter()
                .find(|t| t.name == format!("{}.{suffix}", layer.path))
                .unwrap_or_else(|| panic!("{}.{suffix} in {:?}", layer.path, torch))
        };
        let (weight, bias) = (find("weight"), find("bias"));
        let [a, b, kh, kw] = layer.kernel;
        let mut kernel = vec![0.0; weight.values.len()];
        for o in 0..a {
            for i in 0..b {
                for y in 0..kh {
                    for x in 0..kw {
                        kernel[((y * kw + x) * b + i) * a + o] =
                            weight.values[((o * b + i) * kh + y) * kw + x];
                    }
                }
            }
        }
        out.push(ForeignTensor {
            name: format!("layers/{name}/vars/0"),
            shape: vec![kh, kw, b, a],
            values: kernel,
            transposed: Some(transposed),
        });
        out.push(ForeignTensor {
            name: format!("layers/{name}/vars/1"),
            transposed: Some(transposed),
            ..bias.clone()
        });
    }
    out
}

#[test]
fn our_safetensors_load_back_into_the_same_decoder_with_the_same_numbers() {
    for kind in layers::LOADABLE {
        let original = model(kind, 3);
        let bytes = safetensors::write(&original).expect("written");
        let recognised = safetensors::load(&bytes).expect("recognised");
        assert_eq!(recognised.kind, kind);
        let loaded = recognised.into_autoencoder(&Device::flex());
        assert_eq!(loaded.kind(), kind);
        assert_same_parameters(&loaded, &original, kind.name());
    }
}

#[test]
fn a_state_dict_is_recognised_by_its_shapes_alone() {
    let cases = [
        (
            DecoderKind::Upsample,
            vec![DecoderKind::Upsample, DecoderKind::Bilinear],
        ),
        (
            DecoderKind::Transposed,
            vec![DecoderKind::Transposed, DecoderKind::TransposedHold],
        ),
        (DecoderKind::TransposedK4, vec![DecoderKind::TransposedK4]),
    ];
    for (kind, fits) in cases {
        let recognised = recognise(&pytorch_tensors(kind, 1), Layout::Pytorch, None).expect("fits");
        assert_eq!(recognised.kind, kind);
        assert_eq!(recognised.fits, fits);
        let loaded = recognised.into_autoencoder(&Device::flex());
        assert_same_parameters(&loaded, &model(kind, 1), kind.name());
    }
    let hinted = recognise(
        &pytorch_tensors(DecoderKind::Upsample, 1),
        Layout::Pytorch,
        Some(DecoderKind::Bilinear),
    )
    .expect("fits");
    assert_eq!(hinted.kind, DecoderKind::Bilinear);
    assert!(
        hinted.summary().contains("upsample"),
        "{}",
        hinted.summary()
    );
}

#[test]
fn keras_kernels_are_permuted_and_matched_by_layer_type() {
    // Keras names the output convolution conv2d_3, which sorts before every
    // conv2d_transpose: the layer types put it back at the end.
    for kind in [
        DecoderKind::Transposed,
        DecoderKind::Upsample,
        DecoderKind::TransposedK4,
    ] {
        let recognised = recognise(&keras_tensors(kind, 2), Layout::Keras, None).expect("fits");
        assert_eq!(recognised.kind, kind);
        let loaded = recognised.into_autoencoder(&Device::flex());
        assert_same_parameters(&loaded, &model(kind, 2), kind.name());
    }
}

#[test]
fn a_file_that_fits_no_decoder_says_which_layer_and_shape() {
    let mut tensors = pytorch_tensors(DecoderKind::Transposed, 0);
    let deconv3 = tensors
        .iter_mut()
        .find(|t| t.name.ends_with("deconv3.weight"))
        .expect("deconv3");
    deconv3.shape = vec![8, 16, 2, 2];
    deconv3.values.truncate(8 * 16 * 4);
    let err = recognise(&tensors, Layout::Pytorch, None).expect_err("no fit");
    let text = err.to_string();
    assert!(matches!(err, ForeignError::NoDecoderFits { .. }), "{text}");
    // Upsample's layers fit as far as transposed's do (the shapes alone
    // cannot tell a convolution from a transposed one), so either may be named.
    assert!(
        text.contains("layer 6") && text.contains("[8, 16, 2, 2]"),
        "{text}"
    );

    let mut tensors = pytorch_tensors(DecoderKind::Upsample, 0);
    tensors.push(ForeignTensor {
        name: "decoder.norm.running_mean".into(),
        shape: vec![16],
        values: vec![0.0; 16],
        transposed: None,
    });
    let text = recognise(&tensors, Layout::Pytorch, None)
        .expect_err("an extra layer")
        .to_string();
    assert!(text.contains("running_mean"), "{text}");

    let mut tensors = pytorch_tensors(DecoderKind::Upsample, 0);
    tensors.retain(|t| !t.name.ends_with("output.bias"));
    let text = recognise(&tensors, Layout::Pytorch, None)
        .expect_err("no bias")
        .to_string();
    assert!(text.contains("no bias"), "{text}");
}

#[test]
fn inconsistent_or_huge_tensors_are_refused_before_matching() {
    let mut tensors = pytorch_tensors(DecoderKind::Upsample, 0);
    tensors[0].values.pop();
    assert!(matches!(
        recognise(&tensors, Layout::Pytorch, None),
        Err(ForeignError::ShapeMismatch { .. })
    ));
    let huge = ForeignTensor {
        name: "big".into(),
        shape: vec![MAX_VALUES + 1],
        values: vec![0.0; MAX_VALUES + 1],
        transposed: None,
    };
    assert!(matches!(
        recognise(&[huge], Layout::Pytorch, None),
        Err(ForeignError::TooLarge { .. })
    ));
    let overflow = ForeignTensor {
        name: "overflow".into(),
        shape: vec![usize::MAX, 2],
        values: vec![],
        transposed: None,
    };
    assert!(recognise(&[overflow], Layout::Pytorch, None).is_err());
}

#[test]
fn unreadable_safetensors_are_refused_with_a_reason() {
    for bytes in [
        &b""[..],
        b"\x08\0\0\0\0\0\0\0{}      ",
        b"not a file at all",
    ] {
        let err = safetensors::load(bytes).expect_err("refused");
        assert!(!err.to_string().is_empty());
    }
}

#[cfg(feature = "keras")]
#[test]
fn our_keras_files_load_back_into_the_same_decoder_with_the_same_numbers() {
    for kind in layers::LOADABLE {
        let ours = model(kind, 7);
        let bytes = keras::write(&ours).unwrap_or_else(|err| panic!("{kind}: {err}"));
        assert_eq!(Format::sniff(&bytes), Some(Format::KerasArchive), "{kind}");
        let recognised = keras::load(&bytes).unwrap_or_else(|err| panic!("{kind}: {err}"));
        // The config's fixed steps pick the decoder where the weights alone fit two.
        assert_eq!(recognised.kind, kind);
        let back = recognised.into_autoencoder(&Device::flex());
        assert_same_parameters(&ours, &back, kind.name());
    }
}

#[cfg(feature = "keras")]
#[test]
fn a_sub_pixel_decoder_is_refused_as_keras_and_saved_as_safetensors() {
    for kind in [DecoderKind::Subpixel, DecoderKind::SubpixelIcnr] {
        let ours = model(kind, 3);
        let err = keras::write(&ours).expect_err("Keras has no pixel shuffle");
        assert!(err.to_string().contains(".safetensors"), "{err}");
        let back = safetensors::load(&safetensors::write(&ours).expect("written"))
            .expect("our own safetensors");
        assert_eq!(back.kind, kind);
        assert_same_parameters(&ours, &back.into_autoencoder(&Device::flex()), kind.name());
    }
}

#[test]
fn a_checkpoint_converts_to_each_format_that_holds_its_decoder() {
    for kind in DecoderKind::ALL {
        let ours = model(kind, 5);
        let info = crate::weights::WeightsInfo {
            decoder: kind,
            seed: 5,
            training: None,
            test_bce: None,
        };
        let checkpoint = crate::weights::encode(ours.clone(), &info).expect("encoded");
        for format in SaveFormat::ALL {
            let converted = convert_checkpoint(&checkpoint, format);
            if !format.holds(kind) || (format == SaveFormat::Keras && !cfg!(feature = "keras")) {
                assert!(converted.is_err(), "{kind} as {format:?}");
                continue;
            }
            let bytes = converted.unwrap_or_else(|err| panic!("{kind} as {format:?}: {err}"));
            if format == SaveFormat::Checkpoint {
                assert_eq!(bytes, checkpoint);
                continue;
            }
            let back =
                load_bytes(&bytes).unwrap_or_else(|err| panic!("{kind} as {format:?}: {err}"));
            assert_eq!(back.kind, kind, "{format:?}");
            assert_same_parameters(&ours, &back.into_autoencoder(&Device::flex()), kind.name());
        }
    }
    let err =
        convert_checkpoint(b"not a checkpoint", SaveFormat::Safetensors).expect_err("refused");
    assert!(!err.to_string().is_empty());
}
