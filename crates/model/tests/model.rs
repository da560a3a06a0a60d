//! The model as the issue pins it: shapes, sizes, determinism, and that a few
//! real training steps on real MNIST lower the loss.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use checkerlab_model::evaluation::{ProbeOutputs, images_tensor};
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::{AutoencoderConfig, DecoderKind, OptimizerKind, Trainer};

fn mnist_test_set() -> MnistSet {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    MnistSet::load(&dir, Split::Test).expect("the shipped MNIST test set")
}

fn batch(set: &MnistSet, indices: &[usize], device: &Device) -> Tensor<4> {
    Tensor::from_data(
        TensorData::new(set.batch(indices), [indices.len(), 1, 28, 28]),
        device,
    )
}

#[test]
fn upsample_model_has_the_blogs_layers_and_4385_parameters() {
    let model = AutoencoderConfig::new(DecoderKind::Upsample).init(&Device::flex());
    assert_eq!(model.num_params(), 4385);
    let shapes: Vec<[usize; 4]> = model.architecture().into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        shapes,
        vec![
            [1, 16, 28, 28],
            [1, 16, 14, 14],
            [1, 8, 14, 14],
            [1, 8, 7, 7],
            [1, 8, 7, 7],
            [1, 8, 4, 4], // the code: 7x7 pools to 4x4 with Keras' 'same'
            [1, 8, 4, 4],
            [1, 8, 8, 8],
            [1, 8, 8, 8],
            [1, 8, 16, 16],
            [1, 16, 14, 14], // 'valid': 16 -> 14
            [1, 16, 28, 28],
            [1, 1, 28, 28],
        ]
    );
}

/// The decoder's layer shapes for one image, after the encoder's six.
fn decoder_shapes(kind: DecoderKind) -> Vec<[usize; 3]> {
    let model = AutoencoderConfig::new(kind).init(&Device::flex());
    model
        .architecture()
        .into_iter()
        .skip(6)
        .map(|(_, [_, c, h, w])| [c, h, w])
        .collect()
}

#[test]
fn transposed_models_go_4_7_14_28_and_the_hold_takes_one_pixel_off_each_step() {
    let through_7_14_28 = vec![[8, 7, 7], [8, 14, 14], [16, 28, 28], [1, 28, 28]];
    assert_eq!(decoder_shapes(DecoderKind::Transposed), through_7_14_28);
    assert_eq!(decoder_shapes(DecoderKind::TransposedK4), through_7_14_28);
    assert_eq!(
        decoder_shapes(DecoderKind::TransposedHold),
        vec![
            [8, 8, 8],
            [8, 7, 7],
            [8, 15, 15],
            [8, 14, 14],
            [16, 29, 29],
            [16, 28, 28],
            [1, 28, 28]
        ]
    );
}

#[test]
fn resize_and_subpixel_models_go_through_16_and_14() {
    assert_eq!(
        decoder_shapes(DecoderKind::Bilinear),
        decoder_shapes(DecoderKind::Upsample)
    );
    for kind in [DecoderKind::Subpixel, DecoderKind::SubpixelIcnr] {
        assert_eq!(
            decoder_shapes(kind),
            vec![
                [8, 4, 4],
                [8, 8, 8],
                [16, 16, 16],
                [16, 14, 14],
                [1, 28, 28]
            ]
        );
    }
}

#[test]
fn parameter_counts_are_the_ones_the_readme_gives() {
    // Encoder 1,904 + decoder. The kernel-4 layers hold 16/9 of the taps; a
    // sub-pixel layer emits four channels for each one it produces.
    let expected = [
        (DecoderKind::Upsample, 4_385),
        (DecoderKind::Transposed, 4_385),
        (DecoderKind::TransposedK4, 6_177),
        (DecoderKind::TransposedHold, 4_385),
        (DecoderKind::Subpixel, 10_076),
        (DecoderKind::SubpixelIcnr, 10_076),
        (DecoderKind::Bilinear, 4_385),
    ];
    assert_eq!(expected.len(), DecoderKind::ALL.len());
    for (kind, parameters) in expected {
        let model = AutoencoderConfig::new(kind).init(&Device::flex());
        assert_eq!(model.num_params(), parameters, "{kind}");
    }
}

#[test]
fn nearest_upsampling_repeats_each_pixel_into_a_2x2_block() {
    let device = Device::flex();
    let model = AutoencoderConfig::new(DecoderKind::Upsample).init(&device);
    let set = mnist_test_set();
    let mut upsampled = None;
    let mut capture = |name: &'static str, x: Tensor<4>| {
        if name.starts_with("upsample") && upsampled.is_none() {
            upsampled = Some(x.clone());
        }
        x
    };
    let code = model.encoder.forward(batch(&set, &[0], &device));
    model.decoder.forward_tapped(code, &mut capture);
    let up: Vec<f32> = upsampled.unwrap().into_data().try_to_vec().unwrap();
    // [1, 8, 8, 8]: each 2x2 block holds one value.
    for channel in 0..8 {
        for r in (0..8).step_by(2) {
            for c in (0..8).step_by(2) {
                let at = |dr: usize, dc: usize| up[channel * 64 + (r + dr) * 8 + c + dc];
                assert_eq!(at(0, 0), at(0, 1));
                assert_eq!(at(0, 0), at(1, 0));
                assert_eq!(at(0, 0), at(1, 1));
            }
        }
    }
}

#[test]
fn same_seed_gives_the_same_model_and_another_seed_another() {
    let device = Device::flex();
    let set = mnist_test_set();
    let input = || batch(&set, &[0, 1, 2], &device);
    for kind in DecoderKind::ALL {
        let out = |seed| -> Vec<f32> {
            AutoencoderConfig::new(kind)
                .with_seed(seed)
                .init(&device)
                .reconstruct(input())
                .into_data()
                .try_to_vec()
                .unwrap()
        };
        assert_eq!(out(5), out(5), "{kind}");
        assert_ne!(out(5), out(6), "{kind}");
    }
}

#[test]
fn training_steps_on_real_digits_lower_the_loss_deterministically() {
    let device = Device::flex().autodiff();
    let set = mnist_test_set();
    let indices: Vec<usize> = (0..32).collect();
    for kind in DecoderKind::ALL {
        let run = || {
            let model = AutoencoderConfig::new(kind).with_seed(1).init(&device);
            let mut trainer = Trainer::new(model, OptimizerKind::Adam, 3e-3);
            (0..15)
                .map(|_| {
                    trainer
                        .step(batch(&set, &indices, &device))
                        .into_scalar::<f32>()
                })
                .collect::<Vec<f32>>()
        };
        let losses = run();
        assert!(losses.iter().all(|l| l.is_finite()));
        assert!(
            losses[14] < losses[0] * 0.9,
            "{kind}: loss went {} -> {}",
            losses[0],
            losses[14]
        );
        assert_eq!(
            losses,
            run(),
            "{kind}: same seed, same batches, same losses"
        );
    }
}

#[test]
fn adadelta_trains_too_and_a_snapshot_restores_the_model() {
    let device = Device::flex().autodiff();
    let set = mnist_test_set();
    let indices: Vec<usize> = (0..32).collect();
    let output = |model: checkerlab_model::Autoencoder| -> Vec<f32> {
        let plain = Device::flex();
        model
            .reconstruct(batch(&set, &[7], &plain))
            .into_data()
            .try_to_vec()
            .unwrap()
    };
    let model = AutoencoderConfig::new(DecoderKind::Upsample).init(&device);
    let mut trainer = Trainer::new(model, OptimizerKind::Adadelta, 1.0);
    let first = trainer
        .step(batch(&set, &indices, &device))
        .into_scalar::<f32>();
    let snapshot = trainer.snapshot();
    let at_snapshot = output(trainer.inference_model());

    let mut last = first;
    for _ in 0..10 {
        last = trainer
            .step(batch(&set, &indices, &device))
            .into_scalar::<f32>();
    }
    assert!(last < first, "adadelta: {first} -> {last}");
    assert_ne!(output(trainer.inference_model()), at_snapshot);

    trainer.restore(snapshot);
    assert_eq!(trainer.steps(), 1);
    assert_eq!(output(trainer.inference_model()), at_snapshot);
}

#[test]
fn at_initialisation_the_transposed_decoder_paints_the_stronger_checkerboard() {
    let device = Device::flex();
    let set = mnist_test_set();
    let indices: Vec<usize> = (0..64).collect();
    for seed in 0..3 {
        let probes = |kind| {
            let model = AutoencoderConfig::new(kind).with_seed(seed).init(&device);
            ProbeOutputs::new(&model, images_tensor(set.batch(&indices), &device), 1).read()
        };
        let (upsample, transposed) = (
            probes(DecoderKind::Upsample),
            probes(DecoderKind::Transposed),
        );
        for (probe, up, tr) in [
            ("digits", upsample.digits, transposed.digits),
            ("grey", upsample.grey, transposed.grey),
            ("noise", upsample.noise, transposed.noise),
        ] {
            assert!(
                tr.stride_energy > 10.0 * up.stride_energy,
                "seed {seed}, {probe}: transposed {} vs upsample {}",
                tr.stride_energy,
                up.stride_energy
            );
        }
    }
}
