//! The session on Burn's CPU backend: what the browser relies on, natively.

use burn::tensor::Device;

use super::*;
use crate::CODE_LEN;
use crate::data_parallel::{
    GradientHelper, HalfBatch, HalfGradients, HelperWorker, ReconstructionHelper,
    SharedReconstruction,
};
use crate::evaluation::Probes;
use crate::host::block_on;
use crate::init::SeededRng;

/// An IDX images file and labels file holding `count` made-up digits.
fn idx_files(count: usize) -> (Vec<u8>, Vec<u8>) {
    let mut images = vec![0, 0, 8, 3];
    for dim in [count as u32, 28, 28] {
        images.extend(dim.to_be_bytes());
    }
    let mut rng = SeededRng::new(count as u64);
    for _ in 0..count {
        // A bright square somewhere on black: enough for a loss to fall.
        let (row, col) = (4 + rng.next_u64() % 14, 4 + rng.next_u64() % 14);
        for r in 0..28u64 {
            for c in 0..28u64 {
                let on = (row..row + 10).contains(&r) && (col..col + 10).contains(&c);
                images.push(if on { 255 } else { 0 });
            }
        }
    }
    let mut labels = vec![0, 0, 8, 1];
    labels.extend((count as u32).to_be_bytes());
    labels.extend((0..count).map(|i| (i % 10) as u8));
    (images, labels)
}

/// A session on the CPU with `count` digits in both splits, showing `shown`.
fn session(count: usize, shown: &[DecoderKind]) -> Session {
    let mut session = Session::new(Device::flex());
    let (images, labels) = idx_files(count);
    for split in [Split::Train, Split::Test] {
        assert_eq!(session.load_mnist(split, &images, &labels).unwrap(), count);
    }
    session.show(shown).unwrap();
    session
        .configure_training(TrainSettings {
            batch_size: 8,
            ..TrainSettings::default()
        })
        .unwrap();
    session
}

const PAIR: [DecoderKind; 2] = [DecoderKind::Upsample, DecoderKind::Transposed];

fn outputs(session: &mut Session, image: &[f32]) -> Vec<Vec<f32>> {
    let pending = session.reconstruct(image).unwrap();
    pending
        .wait(session)
        .unwrap()
        .into_iter()
        .map(|r| r.image)
        .collect()
}

#[test]
fn shown_models_train_in_lock_step_and_hidden_ones_stay() {
    let mut lab = session(40, &PAIR);
    let pending = lab.train(6).unwrap();
    let report = pending.wait(&mut lab).unwrap();
    assert_eq!((report.step, report.models_behind), (3, 0));
    let trained: Vec<_> = report.losses.iter().map(|l| l.decoder).collect();
    assert_eq!(trained, ["upsample", "transposed"]);
    for entry in &report.losses {
        assert_eq!(entry.losses.len(), 3);
        assert!(entry.losses.iter().all(|l| l.is_finite() && *l > 0.0));
    }
    for decoder in lab.decoders() {
        let expected = if trained.contains(&decoder.name) {
            3
        } else {
            0
        };
        assert_eq!(decoder.steps, expected, "{}", decoder.name);
    }
}

#[test]
fn every_shown_model_sees_the_same_batches() {
    // The transposed model's losses do not depend on which others train beside it.
    let mut pair = session(40, &PAIR);
    let mut alone = session(40, &[DecoderKind::Transposed]);
    let pair_report = pair.train(8).unwrap().wait(&mut pair).unwrap();
    let alone_report = alone.train(4).unwrap().wait(&mut alone).unwrap();
    assert_eq!(pair_report.losses[1].losses, alone_report.losses[0].losses);
}

#[test]
fn training_lowers_the_loss_and_batches_wrap_around_a_small_set() {
    // 5 digits, batch 8: every batch straddles passes over the set.
    let mut lab = session(5, &[DecoderKind::Upsample]);
    let report = lab.train(30).unwrap().wait(&mut lab).unwrap();
    let losses = &report.losses[0].losses;
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(last < first - 0.05, "{first} -> {last}");
}

#[test]
fn a_lock_step_split_across_calls_trains_as_one_call_does() {
    // Three models, seven model steps in calls of 1, 2 and 4: two whole lock
    // steps and one model into the third, on the same batches as one call.
    let three = [
        DecoderKind::Upsample,
        DecoderKind::Transposed,
        DecoderKind::Bilinear,
    ];
    let mut whole = session(40, &three);
    let mut split = session(40, &three);
    let reference = whole.train(7).unwrap().wait(&mut whole).unwrap();
    assert_eq!((reference.step, reference.models_behind), (2, 2));
    let mut losses: Vec<Vec<f32>> = vec![Vec::new(); 3];
    for (count, behind) in [(1, 2), (2, 0), (4, 2)] {
        let report = split.train(count).unwrap().wait(&mut split).unwrap();
        assert_eq!(report.models_behind, behind, "after a call of {count}");
        for entry in report.losses {
            let at = three
                .iter()
                .position(|k| k.name() == entry.decoder)
                .unwrap();
            assert_eq!(
                entry.first_step as usize,
                losses[at].len() + 1,
                "{}",
                entry.decoder
            );
            losses[at].extend(entry.losses);
        }
    }
    for (entry, split) in reference.losses.iter().zip(&losses) {
        assert_eq!(&entry.losses, split, "{}", entry.decoder);
    }
    // Finishing the lock step brings every model to the same step.
    let report = split.train(2).unwrap().wait(&mut split).unwrap();
    assert_eq!((report.step, report.models_behind), (3, 0));
    let trained: Vec<_> = report
        .losses
        .iter()
        .map(|l| (l.decoder, l.first_step))
        .collect();
    assert_eq!(trained, [("transposed", 3), ("bilinear", 3)]);
}

#[test]
fn hiding_a_model_part_way_through_a_lock_step_lets_the_others_finish_it() {
    let mut lab = session(40, &PAIR);
    lab.train(1).unwrap().wait(&mut lab).unwrap(); // upsample took the batch
    lab.show(&[DecoderKind::Upsample]).unwrap();
    let report = lab.train(1).unwrap().wait(&mut lab).unwrap();
    // Transposed is hidden: upsample starts the next batch.
    assert_eq!(report.losses[0].first_step, 2);
    assert_eq!(report.models_behind, 0);
}

/// Turns every parameter into NaN: a model whose loss cannot be finite.
struct Poison;

impl burn::module::ModuleMapper for Poison {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<D>>,
    ) -> burn::module::Param<Tensor<D>> {
        let (id, tensor, _) = param.consume();
        burn::module::Param::initialized(id, tensor.mul_scalar(f32::NAN))
    }
}

#[test]
fn a_diverging_chunk_rolls_every_model_back_and_says_which() {
    let mut lab = session(40, &PAIR);
    let digit = lab.test_digit(0).unwrap();
    let healthy = outputs(&mut lab, &digit)[0].clone();
    let poisoned = AutoencoderConfig::new(DecoderKind::Transposed)
        .init(&Device::flex())
        .map(&mut Poison);
    let info = WeightsInfo {
        decoder: DecoderKind::Transposed,
        seed: 0,
        training: None,
        test_bce: None,
    };
    lab.load_weights(&weights::encode(poisoned, &info).unwrap(), "poisoned")
        .unwrap();
    let pending = lab.train(6).unwrap();
    match pending.wait(&mut lab) {
        Err(LabError::Diverged {
            decoder,
            loss,
            step,
        }) => {
            assert_eq!((decoder, step), ("transposed", 1));
            assert!(loss.is_nan());
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    // The healthy model trained three steps in the chunk, and was rolled back too.
    assert_eq!(outputs(&mut lab, &digit)[0], healthy);
    for decoder in lab.decoders() {
        assert_eq!(decoder.steps, 0, "{}", decoder.name);
    }
    // The batch order was rolled back with them: the healthy model, trained
    // alone now, takes the batches it would have taken.
    let mut fresh = session(40, &[DecoderKind::Upsample]);
    lab.show(&[DecoderKind::Upsample]).unwrap();
    let after = lab.train(2).unwrap().wait(&mut lab).unwrap();
    let reference = fresh.train(2).unwrap().wait(&mut fresh).unwrap();
    assert_eq!(after.losses[0].losses, reference.losses[0].losses);
}

#[test]
fn training_refuses_bad_step_counts_and_missing_data() {
    let mut lab = session(10, &PAIR);
    for steps in [0, limits::MODEL_STEPS_PER_CALL + 1, u32::MAX] {
        assert!(
            matches!(lab.train(steps), Err(LabError::Invalid(_))),
            "{steps}"
        );
    }
    let mut empty = Session::new(Device::flex());
    assert!(matches!(
        empty.train(1),
        Err(LabError::NotLoaded("training"))
    ));
    assert!(matches!(empty.probes(), Err(LabError::NotLoaded("test"))));
}

#[test]
fn settings_out_of_range_are_refused_and_change_nothing() {
    let mut lab = session(10, &PAIR);
    let before = lab.settings().clone();
    for (rate, batch) in [
        (0.0, 8),
        (-1.0, 8),
        (f64::NAN, 8),
        (1e9, 8),
        (1e-3, 0),
        (1e-3, 513),
    ] {
        let settings = TrainSettings {
            learning_rate: rate,
            batch_size: batch,
            ..TrainSettings::default()
        };
        assert!(lab.configure_training(settings).is_err(), "{rate} {batch}");
        assert_eq!(lab.settings(), &before);
    }
}

#[test]
fn the_walk_starts_and_ends_at_the_two_reconstructions() {
    let mut lab = session(10, &PAIR);
    let (from, to) = (lab.test_digit(1).unwrap(), lab.test_digit(2).unwrap());
    let (start, end) = (outputs(&mut lab, &from), outputs(&mut lab, &to));
    let walks = lab
        .latent_walk(&from, &to, 5)
        .unwrap()
        .wait(&mut lab)
        .unwrap();
    assert_eq!(walks.len(), 2);
    for (at, walk) in walks.iter().enumerate() {
        assert_eq!((walk.steps, walk.images.len()), (5, 5 * IMAGE_LEN));
        let gap = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max)
        };
        assert!(
            gap(&walk.images[..IMAGE_LEN], &start[at]) < 1e-5,
            "{}",
            walk.decoder
        );
        assert!(
            gap(&walk.images[4 * IMAGE_LEN..], &end[at]) < 1e-5,
            "{}",
            walk.decoder
        );
        // The middle is neither end.
        assert!(gap(&walk.images[2 * IMAGE_LEN..3 * IMAGE_LEN], &start[at]) > 1e-4);
    }
    for steps in [0, 1, 17, usize::MAX] {
        assert!(lab.latent_walk(&from, &to, steps).is_err(), "{steps}");
    }
}

#[test]
fn bad_images_and_indices_are_refused_with_their_numbers() {
    let mut lab = session(10, &PAIR);
    assert!(lab.reconstruct(&[0.5; 10]).is_err());
    let mut nan = vec![0.0; IMAGE_LEN];
    nan[3] = f32::NAN;
    assert!(lab.reconstruct(&nan).is_err());
    let message = lab.test_digit(10).unwrap_err().to_string();
    assert!(
        message.contains("0 to 9") && message.contains("10"),
        "{message}"
    );
    assert!(lab.test_label(u32::MAX).is_err());
    assert!(lab.labelled_test_digit(10).is_err());
    let digit = lab.labelled_test_digit(9).unwrap();
    assert_eq!(
        (digit.label, digit.image),
        (lab.test_label(9).unwrap(), lab.test_digit(9).unwrap())
    );
    assert!(lab.decode_code_unit(CODE_LEN as u32).is_err());
    assert!(lab.decode_code_unit(u32::MAX).is_err());
}

#[test]
fn an_empty_mnist_set_is_refused_when_loaded() {
    let mut lab = Session::new(Device::flex());
    let (images, labels) = idx_files(0);
    let message = lab
        .load_mnist(Split::Train, &images, &labels)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "train images: holds no images; a data set needs at least one image"
    );
}

#[test]
fn every_probe_and_code_view_answers_for_every_shown_decoder() {
    let mut lab = session(10, &DecoderKind::ALL);
    let probes = lab.probes().unwrap().wait(&mut lab).unwrap();
    assert_eq!(probes.len(), DecoderKind::ALL.len());
    let code = lab.decode_shuffled_code(3).unwrap().wait(&mut lab).unwrap();
    let unit = lab.decode_code_unit(5).unwrap().wait(&mut lab).unwrap();
    for results in [code, unit] {
        assert_eq!(results.len(), DecoderKind::ALL.len());
        assert!(
            results
                .iter()
                .all(|r| r.bce.is_none() && r.image.len() == IMAGE_LEN)
        );
    }
}

#[test]
fn saved_weights_load_back_into_the_decoder_they_name() {
    let mut lab = session(20, &PAIR);
    lab.train(4).unwrap().wait(&mut lab).unwrap();
    let digit = lab.test_digit(0).unwrap();
    let trained = outputs(&mut lab, &digit);
    let bytes = block_on(lab.weights_to_save(DecoderKind::Transposed).encode()).unwrap();
    lab.reset(4).unwrap();
    assert_ne!(outputs(&mut lab, &digit)[1], trained[1]);
    let info = lab.load_weights(&bytes, "a file").unwrap().info;
    assert_eq!(info.decoder, DecoderKind::Transposed);
    assert_eq!(info.training.unwrap().steps, 2);
    assert_eq!(outputs(&mut lab, &digit)[1], trained[1]);
    let described = lab.decoders();
    assert_eq!(described[1].origin, "a file");
    assert!(lab.load_weights(&bytes[..bytes.len() / 2], "half").is_err());
}

/// A PyTorch user's file goes into the decoder its layers are, says so, and
/// a damaged one changes nothing. (Keras files reach the session converted
/// to this format: `foreign::keras::to_safetensors`.)
#[test]
fn a_framework_file_loads_into_the_decoder_it_is() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/foreign/torch-transposed.safetensors"
    );
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let mut lab = session(20, &PAIR);
    let digit = lab.test_digit(0).unwrap();
    let before = outputs(&mut lab, &digit);
    assert!(
        lab.load_weights(&bytes[..bytes.len() / 2], "half a file")
            .is_err()
    );
    assert_eq!(outputs(&mut lab, &digit), before);
    let loaded = lab
        .load_weights(&bytes, "torch-transposed.safetensors")
        .unwrap();
    assert_eq!(loaded.info.decoder, DecoderKind::Transposed);
    assert!(loaded.foreign.unwrap().contains("transposed decoder"));
    let after = outputs(&mut lab, &digit);
    assert_eq!(after[0], before[0], "upsample is untouched");
    assert_ne!(after[1], before[1]);
    assert_eq!(lab.decoders()[1].origin, "torch-transposed.safetensors");
}

#[test]
fn the_catalog_lists_what_the_lab_knows() {
    let catalog = catalog();
    let counted = Session::new(Device::flex()).catalog();
    let parameters = |catalog: &Catalog| -> Vec<usize> {
        catalog.decoders.iter().map(|d| d.parameters).collect()
    };
    assert_eq!(parameters(&counted), parameters(&catalog));
    assert!(parameters(&catalog).iter().all(|&count| count > 1000));
    let names: Vec<_> = catalog.decoders.iter().map(|d| d.name).collect();
    assert_eq!(names, DecoderKind::ALL.map(DecoderKind::name));
    assert!(catalog.decoders.iter().all(|d| !d.explanation.is_empty()));
    // The probe keys are the fields a `Probes` record serialises to.
    let probes = serde_json::to_value(Probes::from_data(
        (0..5).map(|_| TensorData::new(vec![0.5f32; IMAGE_LEN], [1, 1, 28, 28])),
    ))
    .unwrap();
    let fields: Vec<_> = probes.as_object().unwrap().keys().cloned().collect();
    let mut keys: Vec<_> = catalog.probes.iter().map(|p| p.key.to_string()).collect();
    keys.sort();
    let mut fields = fields;
    fields.sort();
    assert_eq!(keys, fields);
    for input in &catalog.inputs {
        let kind: InputKind = input.name.parse().unwrap();
        assert_eq!(kind.synthetic_image(1).is_some(), input.synthetic);
        if let Err(refusal) = kind.synthetic(1) {
            assert!(refusal.to_string().contains("does not make"), "{refusal}");
        }
    }
    assert_eq!(catalog.first_shown, ["upsample", "transposed"]);
}

#[test]
fn meter_references_put_noise_at_its_share_of_the_spectrum() {
    let lab = session(10, &PAIR);
    let references = lab.meter_references().unwrap();
    // White noise spreads its power evenly over the 783 non-constant bins.
    let even_share = 3.0 / 783.0;
    let noise = references.noise.stride_energy;
    assert!((noise / even_share - 1.0).abs() < 0.2, "noise {noise}");
    assert!(references.digits.stride_energy < noise, "{references:?}");
    assert!(Session::new(Device::flex()).meter_references().is_err());
}

/// A helper that computes like [`HelperWorker`] but spoils its reply on
/// call `fault_at` (counting from 0), in the way `fault` says.
struct FaultyHelper {
    worker: HelperWorker,
    calls: usize,
    fault_at: usize,
    fault: Fault,
}

#[derive(Clone, Copy)]
enum Fault {
    Fails,
    ShortReply,
    NanLoss,
}

impl FaultyHelper {
    fn new(fault_at: usize, fault: Fault) -> Self {
        Self {
            worker: HelperWorker::new(),
            calls: 0,
            fault_at,
            fault,
        }
    }
}

impl GradientHelper for FaultyHelper {
    type Reply = std::future::Ready<Result<HalfGradients, String>>;

    fn start(&mut self, work: HalfBatch) -> Self::Reply {
        let call = self.calls;
        self.calls += 1;
        let reply = self.worker.gradients(work);
        std::future::ready(match (call == self.fault_at, self.fault) {
            (false, _) => reply,
            (true, Fault::Fails) => Err("the helper worker stopped".into()),
            (true, Fault::ShortReply) => reply.map(|mut r| {
                r.gradients.pop();
                r
            }),
            (true, Fault::NanLoss) => reply.map(|r| HalfGradients {
                loss: f32::NAN,
                ..r
            }),
        })
    }
}

fn parameters_of(lab: &Session, kind: DecoderKind) -> Vec<f32> {
    crate::parameters::parameters(lab.slot(kind).trainer.model())
}

fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-4 * (1.0 + x.abs().max(y.abs())),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

#[test]
fn steps_shared_with_a_helper_train_as_local_steps_do() {
    // An odd batch too: halves of 4 and 3 images weigh 4/7 and 3/7.
    for batch_size in [8, 7] {
        let mut local = session(40, &DecoderKind::ALL);
        let mut shared = session(40, &DecoderKind::ALL);
        for lab in [&mut local, &mut shared] {
            lab.configure_training(TrainSettings {
                batch_size,
                ..TrainSettings::default()
            })
            .unwrap();
        }
        let steps = 2 * DecoderKind::ALL.len() as u32;
        let reference = local.train(steps).unwrap().wait(&mut local).unwrap();
        let mut helper = HelperWorker::new();
        let report = block_on(shared.train_with_helper(steps, &mut helper))
            .unwrap()
            .wait(&mut shared)
            .unwrap();
        assert_eq!(
            (report.step, report.models_behind),
            (reference.step, reference.models_behind)
        );
        for (a, b) in reference.losses.iter().zip(&report.losses) {
            assert_eq!((a.decoder, a.first_step), (b.decoder, b.first_step));
            assert_close(&a.losses, &b.losses, &format!("{} losses", a.decoder));
        }
        for kind in DecoderKind::ALL {
            assert_close(
                &parameters_of(&local, kind),
                &parameters_of(&shared, kind),
                &format!("batch {batch_size}: {kind} parameters"),
            );
        }
    }
}

#[test]
fn a_helper_that_fails_rolls_the_call_back_so_it_can_be_repeated_alone() {
    for fault in [Fault::Fails, Fault::ShortReply] {
        let mut lab = session(40, &PAIR);
        let before: Vec<_> = PAIR.iter().map(|&k| parameters_of(&lab, k)).collect();
        // The second model's step fails, after the first has stepped.
        let mut helper = FaultyHelper::new(1, fault);
        match block_on(lab.train_with_helper(4, &mut helper)) {
            Err(LabError::Helper(why)) => assert!(!why.is_empty()),
            Err(other) => panic!("expected a helper error, got {other:?}"),
            Ok(_) => panic!("expected a helper error, got a report"),
        }
        let after: Vec<_> = PAIR.iter().map(|&k| parameters_of(&lab, k)).collect();
        assert_eq!(before, after);
        for decoder in lab.decoders() {
            assert_eq!(decoder.steps, 0, "{}", decoder.name);
        }
        // Repeated without the helper, the call takes the batches it would
        // have taken in the first place.
        let mut fresh = session(40, &PAIR);
        let again = lab.train(4).unwrap().wait(&mut lab).unwrap();
        let reference = fresh.train(4).unwrap().wait(&mut fresh).unwrap();
        for (a, b) in again.losses.iter().zip(&reference.losses) {
            assert_eq!(a.losses, b.losses, "{}", a.decoder);
        }
    }
}

#[test]
fn a_nan_loss_from_the_helper_rolls_back_as_a_local_one_does() {
    let mut lab = session(40, &PAIR);
    let before = parameters_of(&lab, DecoderKind::Upsample);
    let mut helper = FaultyHelper::new(2, Fault::NanLoss);
    let pending = block_on(lab.train_with_helper(4, &mut helper)).unwrap();
    match pending.wait(&mut lab) {
        Err(LabError::Diverged { decoder, step, .. }) => {
            assert_eq!((decoder, step), ("upsample", 2));
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    assert_eq!(parameters_of(&lab, DecoderKind::Upsample), before);
    for decoder in lab.decoders() {
        assert_eq!(decoder.steps, 0, "{}", decoder.name);
    }
}

/// What a [`SpoilingHelper`] does to its reply.
type Spoil = fn(Vec<Reconstruction>) -> Result<Vec<Reconstruction>, String>;

/// A helper that reconstructs like [`HelperWorker`], then spoils its reply
/// as `spoil` does.
struct SpoilingHelper {
    worker: HelperWorker,
    spoil: Spoil,
}

impl ReconstructionHelper for SpoilingHelper {
    type Reply = std::future::Ready<Result<Vec<Reconstruction>, String>>;

    fn start(&mut self, work: SharedReconstruction) -> Self::Reply {
        std::future::ready(self.worker.reconstruct(work).and_then(self.spoil))
    }
}

#[test]
fn reconstructions_shared_with_a_helper_are_the_session_s_own() {
    let image = session(4, &PAIR).test_digit(1).unwrap();
    assert_eq!(
        (1..=7).map(helper_share).collect::<Vec<_>>(),
        [0, 0, 1, 1, 2, 2, 3]
    );
    let three = [
        DecoderKind::Upsample,
        DecoderKind::Transposed,
        DecoderKind::Subpixel,
    ];
    for shown in [
        &DecoderKind::ALL[..],
        &three[..],
        &PAIR[..],
        &[DecoderKind::Subpixel][..],
    ] {
        let mut lab = session(40, shown);
        // Trained a little, so the helper must take the parameters sent.
        lab.train(2 * shown.len() as u32)
            .unwrap()
            .wait(&mut lab)
            .unwrap();
        let alone = lab.reconstruct(&image).unwrap().wait(&mut lab).unwrap();
        let shared =
            block_on(lab.reconstruct_with_helper(&image, &mut HelperWorker::new())).unwrap();
        assert_eq!(alone.len(), shown.len());
        assert_eq!(alone.len(), shared.len());
        for (a, b) in alone.iter().zip(&shared) {
            assert_eq!(a.decoder, b.decoder);
            assert_eq!(a.image, b.image, "{}", a.decoder);
            assert_eq!(a.bce, b.bce, "{}", a.decoder);
            assert_eq!(a.meters, b.meters, "{}", a.decoder);
        }
    }
}

#[test]
fn a_helper_that_fails_or_answers_wrongly_fails_the_shared_reconstruction() {
    let mut lab = session(40, &DecoderKind::ALL);
    let image = lab.test_digit(2).unwrap();
    let spoils: [Spoil; 4] = [
        |_| Err("the helper worker stopped".into()),
        |mut r| {
            r.pop();
            Ok(r)
        },
        |mut r| {
            r.reverse();
            Ok(r)
        },
        |mut r| {
            r[0].image.truncate(10);
            Ok(r)
        },
    ];
    for spoil in spoils {
        let mut helper = SpoilingHelper {
            worker: HelperWorker::new(),
            spoil,
        };
        match block_on(lab.reconstruct_with_helper(&image, &mut helper)) {
            Err(LabError::HelperReconstruction(why)) => assert!(!why.is_empty()),
            other => panic!("expected a helper error, got {other:?}"),
        }
    }
    // Nothing changed: the session answers alone as before.
    assert_eq!(
        lab.reconstruct(&image)
            .unwrap()
            .wait(&mut lab)
            .unwrap()
            .len(),
        DecoderKind::ALL.len()
    );
    let bad = [f32::NAN; IMAGE_LEN];
    assert!(matches!(
        block_on(lab.reconstruct_with_helper(&bad, &mut HelperWorker::new())),
        Err(LabError::Invalid(_))
    ));
}

#[test]
fn the_worker_refuses_reconstructions_it_cannot_make() {
    let worker = HelperWorker::new();
    let lab = session(4, &PAIR);
    let parameters = parameters_of(&lab, DecoderKind::Upsample);
    let image = lab.test_digit(0).unwrap();
    let request = |models: Vec<(DecoderKind, Vec<f32>)>, image: Vec<f32>| {
        worker.reconstruct(SharedReconstruction { models, image })
    };
    let upsample = (DecoderKind::Upsample, parameters.clone());
    assert!(request(vec![upsample.clone()], image.clone()).is_ok());
    assert!(request(vec![upsample.clone()], image[1..].to_vec()).is_err());
    assert!(request(vec![upsample.clone()], vec![f32::INFINITY; IMAGE_LEN]).is_err());
    assert!(
        request(
            vec![(DecoderKind::Upsample, parameters[1..].to_vec())],
            image.clone()
        )
        .is_err()
    );
    assert!(request(vec![upsample.clone(), upsample], image).is_err());
}

#[test]
fn the_helper_worker_refuses_requests_of_the_wrong_size() {
    let worker = HelperWorker::new();
    let lab = session(10, &PAIR);
    let parameters = parameters_of(&lab, DecoderKind::Transposed);
    let image = lab.test_digit(0).unwrap();
    let good = HalfBatch {
        decoder: DecoderKind::Transposed,
        parameters: parameters.clone(),
        images: image.repeat(2),
    };
    let reply = worker.gradients(good.clone()).unwrap();
    assert_eq!(reply.gradients.len(), parameters.len());
    assert!(reply.loss.is_finite() && reply.loss > 0.0);
    let short_parameters = HalfBatch {
        parameters: parameters[1..].to_vec(),
        ..good.clone()
    };
    let ragged_images = HalfBatch {
        images: image[1..].to_vec(),
        ..good.clone()
    };
    let no_images = HalfBatch {
        images: Vec::new(),
        ..good.clone()
    };
    for bad in [short_parameters, ragged_images, no_images] {
        assert!(worker.gradients(bad).is_err());
    }
    // The refusals changed nothing: the same request gets the same reply.
    assert_eq!(worker.gradients(good).unwrap().gradients, reply.gradients);
}

#[test]
fn warming_the_helper_worker_changes_none_of_its_replies() {
    let worker = HelperWorker::new();
    let lab = session(10, &PAIR);
    let request = HalfBatch {
        decoder: DecoderKind::Upsample,
        parameters: parameters_of(&lab, DecoderKind::Upsample),
        images: lab.test_digit(0).unwrap().repeat(2),
    };
    let before = worker.gradients(request.clone()).unwrap();
    for kind in DecoderKind::ALL {
        worker.warm_up(kind, 2).unwrap();
    }
    assert!(worker.warm_up(DecoderKind::Upsample, 0).is_err());
    assert!(
        worker
            .warm_up(DecoderKind::Upsample, limits::BATCH_SIZE + 1)
            .is_err()
    );
    let after = worker.gradients(request).unwrap();
    assert_eq!(after.gradients, before.gradients);
    assert_eq!(after.loss, before.loss);
}

#[test]
fn test_bce_sweeps_the_test_digits_asked_for_as_eval_does() {
    let mut lab = session(1200, &PAIR);
    for kind in PAIR {
        let pending = lab.test_bce(kind, usize::MAX).unwrap();
        let swept = pending.wait(&mut lab).unwrap();
        let model = lab.slot(kind).trainer.inference_model();
        let test = lab.test.clone().unwrap();
        let expected = crate::evaluation::mean_bce(&model, &test, &Device::flex());
        assert_eq!(swept, expected, "{kind}");
        assert!(swept.is_finite() && swept > 0.0);
        let pending = lab.test_bce(kind, 700).unwrap();
        let first = pending.wait(&mut lab).unwrap();
        let expected = crate::evaluation::mean_bce(&model, &test.take(700), &Device::flex());
        assert_eq!(first, expected, "{kind}");
    }
    assert!(lab.test_bce(DecoderKind::Upsample, 0).is_err());
}

#[test]
fn layer_gradients_cover_every_layer_and_parameter_and_change_nothing() {
    let mut lab = session(40, &PAIR);
    for kind in DecoderKind::ALL {
        let before = outputs(&mut lab, &[0.5; IMAGE_LEN]);
        let pending = lab.layer_gradients(kind).unwrap();
        let checked = pending.wait(&mut lab).unwrap();
        let model = lab.slot(kind).trainer.inference_model();
        assert_eq!(checked.layers.len(), model.architecture().len(), "{kind}");
        let parameters: usize = checked.parameters.iter().map(|p| p.values.len()).sum();
        assert_eq!(parameters, model.num_params(), "{kind}");
        assert!(checked.loss.is_finite() && checked.loss > 0.0, "{kind}");
        assert_eq!(outputs(&mut lab, &[0.5; IMAGE_LEN]), before, "{kind}");
    }
}

#[test]
fn a_shared_session_refuses_a_call_while_one_is_in_flight_and_lets_reads_through() {
    let lab = SharedSession::new(session(40, &PAIR));
    let image = lab.read().unwrap().test_digit(1).unwrap();
    let first = lab.call(|s| s.reconstruct(&image));
    assert!(matches!(lab.write(), Err(LabError::Busy)));
    assert!(matches!(
        block_on(lab.call(|s| s.reconstruct(&image))),
        Err(LabError::Busy)
    ));
    assert!(matches!(
        block_on(lab.save_weights(DecoderKind::Upsample)),
        Err(LabError::Busy)
    ));
    assert_eq!(lab.read().unwrap().decoders().len(), DecoderKind::ALL.len());
    assert_eq!(block_on(first).unwrap().len(), PAIR.len());
    assert!(lab.write().is_ok(), "the claim ends with the call");
    assert!(
        !block_on(lab.save_weights(DecoderKind::Upsample))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_shared_session_trains_alone_when_its_helper_fails_and_says_why_once() {
    let lab = SharedSession::new(session(40, &PAIR));
    let mut alone = session(40, &PAIR);
    let report = block_on(lab.train(4, Some(FaultyHelper::new(1, Fault::Fails)))).unwrap();
    let reference = alone.train(4).unwrap().wait(&mut alone).unwrap();
    for (a, b) in report.losses.iter().zip(&reference.losses) {
        assert_eq!(a.losses, b.losses, "{}", a.decoder);
    }
    let why = lab.take_helper_failure().expect("the failure is reported");
    assert!(
        why.contains("second worker failed (the helper worker stopped)"),
        "{why}"
    );
    assert_eq!(lab.take_helper_failure(), None);
    // A helper that works leaves no failure behind.
    block_on(lab.train(4, Some(HelperWorker::new()))).unwrap();
    assert_eq!(lab.take_helper_failure(), None);
}

#[test]
fn a_shared_session_reconstructs_alone_when_its_helper_fails() {
    let lab = SharedSession::new(session(40, &DecoderKind::ALL));
    let image = lab.read().unwrap().test_digit(1).unwrap();
    let alone = block_on(lab.reconstruct(image.clone(), None::<HelperWorker>)).unwrap();
    let failing = SpoilingHelper {
        worker: HelperWorker::new(),
        spoil: |_| Err("it was stopped".into()),
    };
    let shared = block_on(lab.reconstruct(image.clone(), Some(failing))).unwrap();
    assert_eq!(shared, alone);
    let why = lab.take_helper_failure().expect("the failure is reported");
    assert!(
        why.contains("second worker failed (it was stopped)"),
        "{why}"
    );
}

#[test]
fn a_helper_across_the_wire_trains_and_reconstructs_as_one_on_this_thread() {
    use crate::helper_protocol::{RemoteHelper, SameThread};
    let lab = SharedSession::new(session(40, &DecoderKind::ALL));
    let mut reference = session(40, &DecoderKind::ALL);
    let steps = DecoderKind::ALL.len() as u32;
    let report =
        block_on(lab.train(steps, Some(RemoteHelper(SameThread(HelperWorker::new()))))).unwrap();
    let direct = block_on(reference.train_with_helper(steps, &mut HelperWorker::new()))
        .unwrap()
        .wait(&mut reference)
        .unwrap();
    for (a, b) in report.losses.iter().zip(&direct.losses) {
        assert_eq!(a.losses, b.losses, "{}", a.decoder);
    }
    let image = lab.read().unwrap().test_digit(1).unwrap();
    let shared = block_on(lab.reconstruct(
        image.clone(),
        Some(RemoteHelper(SameThread(HelperWorker::new()))),
    ))
    .unwrap();
    let alone = reference
        .reconstruct(&image)
        .unwrap()
        .wait(&mut reference)
        .unwrap();
    assert_eq!(shared, alone);
    assert_eq!(lab.take_helper_failure(), None);
}

/// Everything the views show for `image`, one vector per view and decoder.
fn views(lab: &mut Session, image: &[f32]) -> Vec<Vec<f32>> {
    let mut shown = outputs(lab, image);
    let walks = lab.latent_walk(image, &[0.2; IMAGE_LEN], 3).unwrap();
    shown.extend(walks.wait(lab).unwrap().into_iter().map(|walk| walk.images));
    let units = lab.decode_code_unit(3).unwrap();
    shown.extend(units.wait(lab).unwrap().into_iter().map(|r| r.image));
    shown
}

fn stale_kinds(lab: &Session) -> Vec<DecoderKind> {
    let stale = lab.stale_copies();
    stale.map_or_else(Vec::new, |stale| stale.kinds())
}

fn refresh(lab: &mut Session) {
    let copies = block_on(lab.stale_copies().expect("copies to make").copy()).unwrap();
    lab.install_copies(copies);
}

#[test]
fn views_on_drawing_copies_show_the_models_as_they_are_now() {
    let mut lab = session(40, &PAIR);
    let mut reference = session(40, &PAIR);
    let image = lab.test_digit(2).unwrap();
    lab.draw_on(Some(Device::flex()));
    assert_eq!(lab.drawing_backend(), "cpu");
    assert_eq!(
        stale_kinds(&lab),
        PAIR,
        "no copy is made before it is asked for"
    );
    // Until the copies exist the views run on the models themselves.
    assert_eq!(views(&mut lab, &image), views(&mut reference, &image));
    refresh(&mut lab);
    assert!(lab.stale_copies().is_none());
    assert_eq!(views(&mut lab, &image), views(&mut reference, &image));

    // Training makes the trained models' copies stale at once, and until
    // they are copied again the views show the trained models.
    lab.train(4).unwrap().wait(&mut lab).unwrap();
    reference.train(4).unwrap().wait(&mut reference).unwrap();
    assert_eq!(stale_kinds(&lab), PAIR);
    assert_eq!(views(&mut lab, &image), views(&mut reference, &image));
    refresh(&mut lab);
    assert_eq!(views(&mut lab, &image), views(&mut reference, &image));

    // The views do read the copies: a copy of other weights shows them.
    let other = session(40, &PAIR);
    let other_model = other
        .slot(DecoderKind::Transposed)
        .trainer
        .inference_model();
    lab.install_copies(vec![(DecoderKind::Transposed, other_model)]);
    assert_ne!(
        outputs(&mut lab, &image)[1],
        outputs(&mut reference, &image)[1]
    );

    // Loading weights, resetting and showing another decoder leave the
    // changed or new models without a copy.
    refresh_all_shown(&mut lab);
    let bytes = block_on(lab.weights_to_save(DecoderKind::Upsample).encode()).unwrap();
    lab.load_weights(&bytes, "a file").unwrap();
    assert_eq!(stale_kinds(&lab), [DecoderKind::Upsample]);
    lab.reset(3).unwrap();
    assert_eq!(stale_kinds(&lab), PAIR);
    refresh(&mut lab);
    lab.show(&[DecoderKind::Upsample, DecoderKind::TransposedK4])
        .unwrap();
    assert_eq!(stale_kinds(&lab), [DecoderKind::TransposedK4]);

    lab.draw_on(None);
    assert!(lab.stale_copies().is_none());
}

/// Marks every shown copy fresh by copying it again.
fn refresh_all_shown(lab: &mut Session) {
    let shown = lab.shown.clone();
    for kind in shown {
        lab.weights_changed(kind);
    }
    refresh(lab);
}

#[test]
fn a_shared_session_copies_after_training_so_drawing_never_waits_or_lags() {
    let mut drawing = session(40, &PAIR);
    drawing.draw_on(Some(Device::flex()));
    let lab = SharedSession::new(drawing);
    let mut reference = session(40, &PAIR);
    let image = reference.test_digit(5).unwrap();
    for _ in 0..3 {
        block_on(lab.train(3, None::<HelperWorker>)).unwrap();
        assert!(
            lab.read().unwrap().stale_copies().is_none(),
            "copied with the chunk"
        );
        reference.train(3).unwrap().wait(&mut reference).unwrap();
        let drawn = block_on(lab.reconstruct(image.clone(), None::<HelperWorker>)).unwrap();
        let expected = reference.reconstruct(&image).unwrap().wait(&mut reference);
        assert_eq!(drawn, expected.unwrap());
    }
    // A reset between chunks: the next drawing copies first.
    lab.write().unwrap().reset(2).unwrap();
    reference.reset(2).unwrap();
    let drawn = block_on(lab.reconstruct(image.clone(), None::<HelperWorker>)).unwrap();
    assert!(lab.read().unwrap().stale_copies().is_none());
    assert_eq!(
        drawn,
        reference
            .reconstruct(&image)
            .unwrap()
            .wait(&mut reference)
            .unwrap()
    );
}

#[test]
fn a_session_training_on_the_cpu_draws_there_without_copies() {
    let lab = SharedSession::new(session(40, &PAIR));
    block_on(lab.draw_on_cpu(true)).unwrap();
    let session = lab.read().unwrap();
    assert_eq!(session.drawing_backend(), "cpu");
    assert!(session.drawing.is_none());
}

/// Every decoder's parameters, in the lab's order.
fn all_parameters(lab: &Session) -> Vec<Vec<f32>> {
    DecoderKind::ALL
        .into_iter()
        .map(|kind| parameters_of(lab, kind))
        .collect()
}

#[test]
fn training_moved_before_its_first_step_goes_on_exactly_as_if_it_had_stayed() {
    let mut stayed = session(64, &PAIR);
    let mut moved = session(64, &PAIR);
    let copies = block_on(moved.move_to(Device::flex()).unwrap().copy()).unwrap();
    moved.install_training(copies).unwrap();
    assert_eq!(all_parameters(&moved), all_parameters(&stayed));
    for lab in [&mut stayed, &mut moved] {
        let pending = lab.train(6).unwrap();
        pending.wait(lab).unwrap();
    }
    assert_eq!(all_parameters(&moved), all_parameters(&stayed));
    assert_eq!(moved.training_backend(), "cpu");
    // On the CPU alone, there is nowhere else to go.
    assert!(moved.training_move(true).unwrap().is_none());
    assert!(moved.training_move(false).unwrap().is_none());
}

#[test]
fn training_stays_once_an_optimizer_has_running_averages_until_new_settings() {
    let mut lab = session(64, &PAIR);
    let pending = lab.train(2).unwrap();
    pending.wait(&mut lab).unwrap();
    let before = all_parameters(&lab);
    let refused = lab.move_to(Device::flex()).err().expect("refused");
    assert!(
        refused.to_string().contains("has trained here"),
        "{refused}"
    );
    assert_eq!(all_parameters(&lab), before, "nothing changed");
    // New settings start every optimizer afresh: the models may move again.
    let settings = lab.settings().clone();
    lab.configure_training(settings).unwrap();
    assert!(lab.move_to(Device::flex()).is_ok());
}

#[test]
fn a_trial_round_trains_fresh_models_and_leaves_the_session_as_it_was() {
    let mut lab = session(64, &PAIR);
    let before = all_parameters(&lab);
    for cpu in [true, false] {
        let pending = lab.trial_round(cpu, 2).unwrap();
        pending.wait(&mut lab).unwrap();
    }
    assert_eq!(all_parameters(&lab), before);
    // The batches were not drawn from: training starts where it would have.
    let mut fresh = session(64, &PAIR);
    for lab in [&mut lab, &mut fresh] {
        let pending = lab.train(2).unwrap();
        pending.wait(lab).unwrap();
    }
    assert_eq!(all_parameters(&lab), all_parameters(&fresh));
    for rounds in [0, MAX_TRIAL_ROUNDS + 1] {
        let err = lab.trial_round(true, rounds).err().expect("refused");
        assert!(err.to_string().contains("rounds"), "{err}");
    }
    let mut untested = Session::new(Device::flex());
    assert!(matches!(
        untested.trial_round(true, 1).err(),
        Some(LabError::NotLoaded("test"))
    ));
}
