//! A lab session: every decoder's model, the data, the training state and
//! the experiments the page runs on them, in plain Rust on any Burn device.
//!
//! The browser crate wraps one [`Session`] and only converts; the native
//! tests drive the same code on Burn's CPU backend. Calls that read tensors
//! return a [`Pending`], read synchronously natively and awaited in the
//! browser.

mod batches;
pub mod catalog;
mod checks;
mod pending;
pub mod records;

use burn::backend::DispatchDevice;
use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData, Transaction};

pub use batches::BatchOrder;
pub use catalog::{Catalog, InputKind, catalog, limits};
pub use pending::{Finish, Pending};
pub use records::*;

use crate::data_parallel::{
    self, GradientHelper, HalfBatch, ReconstructionHelper, SharedReconstruction,
};
use crate::evaluation::{
    ProbeOutputs, Probes, code_maps, images_tensor, shuffled_codes, unit_codes,
};
use crate::host::copy_to_host;
use crate::init::SeededRng;
use crate::meters::{self, OverlapLayer};
use crate::mnist::{MnistError, MnistSet, Split};
use crate::weights::{self, WeightsError, WeightsInfo};
use crate::{
    Autoencoder, AutoencoderConfig, CODE_LEN, CheckerboardMeters, DecoderKind, IMAGE_LEN, Trainer,
    bce_with_logits,
};
use catalog::FIRST_SHOWN;

/// Test digits whose codes feed the random-code views.
const CODE_SOURCE_DIGITS: usize = 256;
/// Test digits the probes are measured on.
const PROBE_DIGITS: usize = 64;
/// Fixes the probes' noise and shuffled codes, so two measurements compare.
const PROBE_SEED: u64 = 0x5EED;

/// Why a session call did nothing. Every variant leaves the session as it was.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("the MNIST {0} digits are not loaded yet")]
    NotLoaded(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Mnist(#[from] MnistError),
    #[error(
        "the {decoder} decoder's loss became {loss} at step {step} of this chunk; every model in \
         training was rolled back to before it. Lower the learning rate and try again."
    )]
    Diverged {
        decoder: &'static str,
        loss: f32,
        step: usize,
    },
    #[error(
        "the second training worker failed ({0}); every model in training was rolled back to \
         before this chunk"
    )]
    Helper(String),
    #[error("the second training worker failed ({0}) on its share of the reconstructions")]
    HelperReconstruction(String),
    #[error(
        "reading results from the device failed ({0}); the GPU may have been lost: reload the \
         page, or add ?backend=cpu to its address to run on the CPU"
    )]
    Read(String),
}

fn invalid(message: impl Into<String>) -> LabError {
    LabError::Invalid(message.into())
}

/// One decoder's model with its optimizer, and where its weights came from.
struct Slot {
    kind: DecoderKind,
    trainer: Trainer,
    /// Seed of the initial weights this model's training started from.
    seed: u64,
    origin: String,
}

pub struct Session {
    device: Device,
    /// One per [`DecoderKind::ALL`], in that order.
    slots: Vec<Slot>,
    /// The decoders the page shows: the ones reconstructions, probes, walks
    /// and training cover. The others keep their weights untouched.
    shown: Vec<DecoderKind>,
    train: Option<MnistSet>,
    test: Option<MnistSet>,
    settings: TrainSettings,
    batches: BatchOrder,
    /// The lock step under way, when a call ended part-way through it.
    lock_step: Option<LockStep>,
}

/// A lock step part-way: the batch every shown model takes, and the shown
/// models still to take it, in the lab's order.
#[derive(Debug, Clone)]
struct LockStep {
    indices: Vec<usize>,
    waiting: Vec<DecoderKind>,
}

/// A call to [`Session::train`] under way: what to roll back to, and the
/// lock step's batch, drawn once for all its models.
struct TrainingCall {
    order_before: (BatchOrder, Option<LockStep>),
    /// Per model trained, in the order first trained.
    trained: Vec<Trained>,
    batch: Option<BatchImages>,
}

impl TrainingCall {
    fn batch_mut(&mut self) -> Result<&mut BatchImages, LabError> {
        self.batch
            .as_mut()
            .ok_or_else(|| invalid("no batch was drawn for this step"))
    }

    fn record(&mut self, kind: DecoderKind, loss: Tensor<1>) {
        if let Some(t) = self.trained.iter_mut().find(|t| t.kind == kind) {
            t.losses.push(loss);
        }
    }
}

/// A batch's images on the host, and as tensors once asked for.
struct BatchImages {
    host: Vec<f32>,
    whole: Option<Tensor<4>>,
    /// The first half (the larger, if odd), taken here when split.
    own_half: Option<Tensor<4>>,
}

impl BatchImages {
    fn new(host: Vec<f32>) -> Self {
        Self {
            host,
            whole: None,
            own_half: None,
        }
    }

    fn count(&self) -> usize {
        self.host.len() / IMAGE_LEN
    }

    fn whole(&mut self, device: &Device) -> Tensor<4> {
        let host = &self.host;
        self.whole
            .get_or_insert_with(|| images_tensor(host.clone(), device))
            .clone()
    }

    /// The first half as a tensor, and the second's intensities.
    fn halves(&mut self, device: &Device) -> (Tensor<4>, Vec<f32>) {
        let count = self.count();
        let split = (count - count / 2) * IMAGE_LEN;
        let (own, theirs) = self.host.split_at(split);
        let own = self
            .own_half
            .get_or_insert_with(|| images_tensor(own.to_vec(), device))
            .clone();
        (own, theirs.to_vec())
    }
}

/// One model trained in a call to [`Session::train`]: its state and step
/// count before the call, to roll back to and to number its losses, and
/// one loss per step it took.
struct Trained {
    kind: DecoderKind,
    before: crate::train::TrainerSnapshot,
    steps_before: u64,
    losses: Vec<Tensor<1>>,
}

/// Where `kind` sits in [`DecoderKind::ALL`], as in the session's slots.
fn position(kind: DecoderKind) -> usize {
    DecoderKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

impl Session {
    /// Every decoder untrained from seed 0; the first-visit decoders shown.
    pub fn new(device: Device) -> Self {
        let mut session = Self {
            device,
            slots: Vec::new(),
            shown: FIRST_SHOWN.to_vec(),
            train: None,
            test: None,
            settings: TrainSettings::default(),
            batches: BatchOrder::new(0),
            lock_step: None,
        };
        session.slots = DecoderKind::ALL
            .into_iter()
            .map(|kind| session.fresh_slot(kind, 0))
            .collect();
        session
    }

    /// The catalog, its parameter counts from the models held: building
    /// seven more models for it cost a fifth of a second of the browser's
    /// start.
    pub fn catalog(&self) -> Catalog {
        catalog::catalog_counting(|kind| self.slot(kind).trainer.model().num_params())
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn settings(&self) -> &TrainSettings {
        &self.settings
    }

    fn fresh_slot(&self, kind: DecoderKind, seed: u64) -> Slot {
        let model = AutoencoderConfig::new(kind)
            .with_seed(seed)
            .init(&self.device.clone().autodiff());
        Slot {
            kind,
            trainer: Trainer::new(model, self.settings.optimizer, self.settings.learning_rate),
            seed,
            origin: format!("seed {seed}, untrained"),
        }
    }

    fn slot(&self, kind: DecoderKind) -> &Slot {
        &self.slots[position(kind)]
    }

    fn slot_mut(&mut self, kind: DecoderKind) -> &mut Slot {
        &mut self.slots[position(kind)]
    }

    fn shown_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|slot| self.shown.contains(&slot.kind))
    }

    pub fn shown(&self) -> &[DecoderKind] {
        &self.shown
    }

    /// Shows exactly `kinds` (kept in the lab's order). At least one.
    pub fn show(&mut self, kinds: &[DecoderKind]) -> Result<(), LabError> {
        if kinds.is_empty() {
            return Err(invalid("show at least one decoder"));
        }
        self.shown = DecoderKind::ALL
            .into_iter()
            .filter(|kind| kinds.contains(kind))
            .collect();
        // A lock step under way goes on with the models still shown; one
        // shown now joins at the next batch.
        if let Some(step) = &mut self.lock_step {
            step.waiting.retain(|kind| kinds.contains(kind));
        }
        Ok(())
    }

    /// Every decoder with its layers, parameter count, weights' origin and
    /// whether it is shown.
    pub fn decoders(&self) -> Vec<DecoderDescription> {
        self.slots
            .iter()
            .map(|slot| {
                let model = slot.trainer.inference_model();
                DecoderDescription {
                    name: slot.kind.name(),
                    label: slot.kind.label(),
                    parameters: model.num_params(),
                    origin: slot.origin.clone(),
                    steps: slot.trainer.steps(),
                    shown: self.shown.contains(&slot.kind),
                    layers: model
                        .architecture()
                        .into_iter()
                        .map(|(name, shape)| LayerDescription { name, shape })
                        .collect(),
                }
            })
            .collect()
    }

    /// Loads a split from its two IDX files (gzipped or raw); returns the
    /// number of digits. An empty set is refused: nothing could train or
    /// probe on it.
    pub fn load_mnist(
        &mut self,
        split: Split,
        images: &[u8],
        labels: &[u8],
    ) -> Result<usize, LabError> {
        let name = split.name();
        let set = MnistSet::from_named_idx(
            (&format!("{name} images"), images),
            (&format!("{name} labels"), labels),
        )?;
        let count = set.len();
        match split {
            Split::Train => self.train = Some(set),
            Split::Test => self.test = Some(set),
        }
        Ok(count)
    }

    fn test_set(&self) -> Result<&MnistSet, LabError> {
        self.test.as_ref().ok_or(LabError::NotLoaded("test"))
    }

    fn test_index(&self, index: u32) -> Result<usize, LabError> {
        let test = self.test_set()?;
        let index = index as usize;
        if index >= test.len() {
            return Err(invalid(format!(
                "there are {} test digits, numbered 0 to {}; {index} is not one",
                test.len(),
                test.len() - 1
            )));
        }
        Ok(index)
    }

    /// A test digit's 784 intensities.
    pub fn test_digit(&self, index: u32) -> Result<Vec<f32>, LabError> {
        let index = self.test_index(index)?;
        Ok(self.test_set()?.batch(&[index]))
    }

    pub fn test_label(&self, index: u32) -> Result<u8, LabError> {
        let index = self.test_index(index)?;
        Ok(self.test_set()?.label(index))
    }

    /// The meters of the probes' test digits themselves and of as many white
    /// noise images: the marks the page sets on its meter scales.
    pub fn meter_references(&self) -> Result<MeterReferences, LabError> {
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..PROBE_DIGITS.min(test.len())).collect();
        let noise: Vec<f32> = (0..PROBE_DIGITS as u64)
            .flat_map(|seed| InputKind::Noise.synthetic_image(seed).unwrap_or_default())
            .collect();
        Ok(MeterReferences {
            digits: CheckerboardMeters::of_batch(&test.batch(&indices)),
            noise: CheckerboardMeters::of_batch(&noise),
        })
    }

    /// The first `count` test digits (or all, if fewer) on the device.
    fn test_digits(&self, count: usize) -> Result<Tensor<4>, LabError> {
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..count.min(test.len())).collect();
        Ok(images_tensor(test.batch(&indices), &self.device))
    }

    /// Loads a `.ckpt` file into the decoder its header names; returns its
    /// metadata. A bad file changes nothing.
    pub fn load_weights(&mut self, bytes: &[u8], origin: &str) -> Result<WeightsInfo, LabError> {
        let info = weights::read_info(bytes)?;
        let (model, info) = weights::decode(bytes, info.decoder, &self.device.clone().autodiff())?;
        let (optimizer, learning_rate) = (self.settings.optimizer, self.settings.learning_rate);
        let slot = self.slot_mut(info.decoder);
        slot.trainer = Trainer::new(model, optimizer, learning_rate);
        slot.seed = info.seed;
        slot.origin = origin.to_string();
        // Loaded weights start on the next batch, not part-way through one.
        if let Some(step) = &mut self.lock_step {
            step.waiting.retain(|kind| *kind != info.decoder);
        }
        Ok(info)
    }

    /// A decoder's current weights, ready to be written as a `.ckpt` file.
    pub fn weights_to_save(&self, kind: DecoderKind) -> WeightsToSave {
        let slot = self.slot(kind);
        WeightsToSave {
            model: slot.trainer.model().clone(),
            info: WeightsInfo {
                decoder: kind,
                seed: slot.seed,
                training: Some(records::recipe(&self.settings, slot.trainer.steps())),
                test_bce: None,
            },
        }
    }

    /// Sets the optimizer, learning rate and batch size. The optimizers'
    /// state starts afresh; the models keep their weights.
    pub fn configure_training(&mut self, settings: TrainSettings) -> Result<(), LabError> {
        let rate = settings.learning_rate;
        if !(rate.is_finite() && rate > 0.0 && rate <= limits::LEARNING_RATE) {
            return Err(invalid(format!(
                "the learning rate must be a number above 0 and at most {}, not {rate}",
                limits::LEARNING_RATE
            )));
        }
        if !(1..=limits::BATCH_SIZE).contains(&settings.batch_size) {
            return Err(invalid(format!(
                "the batch size must be between 1 and {}, not {}",
                limits::BATCH_SIZE,
                settings.batch_size
            )));
        }
        for slot in &mut self.slots {
            slot.trainer = slot
                .trainer
                .clone()
                .with_optimizer(settings.optimizer, settings.learning_rate);
        }
        self.settings = settings;
        // A new batch size draws new batches.
        self.lock_step = None;
        Ok(())
    }

    /// Replaces every model with an untrained one drawn from `seed`; the
    /// batch order restarts from the same seed.
    pub fn reset(&mut self, seed: u64) -> Result<(), LabError> {
        if seed > limits::SEED {
            return Err(invalid(format!(
                "a seed runs from 0 to {}, not {seed}",
                limits::SEED
            )));
        }
        for at in 0..self.slots.len() {
            self.slots[at] = self.fresh_slot(self.slots[at].kind, seed);
        }
        self.batches = BatchOrder::new(seed);
        self.lock_step = None;
        Ok(())
    }

    /// Registers, for each shown decoder, what `outputs` makes of its
    /// inference model; returns the decoders in the order registered.
    fn per_decoder(
        &self,
        mut outputs: impl FnMut(&Autoencoder, Transaction) -> Transaction,
    ) -> (Vec<DecoderKind>, Transaction) {
        let mut transaction = Transaction::default();
        let mut kinds = Vec::new();
        for slot in self.shown_slots() {
            transaction = outputs(&slot.trainer.inference_model(), transaction);
            kinds.push(slot.kind);
        }
        (kinds, transaction)
    }

    /// Reconstructs `image` (784 intensities in `[0, 1]`) with every shown
    /// decoder, with its BCE and meters.
    pub fn reconstruct(&self, image: &[f32]) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        let input = self.image_tensor(image)?;
        let (kinds, transaction) = self.per_decoder(|model, transaction| {
            register_reconstruction(model, input.clone(), transaction)
        });
        Ok(Pending::new(transaction, move |_, data| {
            let mut data = data.into_iter();
            kinds
                .into_iter()
                .map(|kind| read_reconstruction(kind, &mut data))
                .collect()
        }))
    }

    /// [`reconstruct`](Self::reconstruct) with the shown decoders shared:
    /// `helper` (in the browser, the second training worker, idle while
    /// the lab answers a call) reconstructs the later ones at their
    /// current parameters while this thread reconstructs the rest. Its
    /// share is the smaller, `(shown - 1) / 2`: a message each way costs
    /// about one decoder's reconstruction in the browser, so with two
    /// shown this thread makes both, and with seven it makes four while
    /// the helper makes three. The same results, in the same order. The
    /// CPU backend only (parameters are read synchronously); a helper that
    /// fails or answers wrongly fails the call with
    /// [`LabError::HelperReconstruction`], and nothing changes, so it can
    /// be repeated without the helper.
    pub async fn reconstruct_with_helper<H: ReconstructionHelper>(
        &self,
        image: &[f32],
        helper: &mut H,
    ) -> Result<Vec<Reconstruction>, LabError> {
        if !self.on_cpu() {
            return Err(invalid(
                "a reconstruction helper runs on the CPU backend only",
            ));
        }
        let input = self.image_tensor(image)?;
        let shown: Vec<&Slot> = self.shown_slots().collect();
        // Its share is the later one: its results go after this thread's.
        let (own, theirs) = shown.split_at(shown.len() - helper_share(shown.len()));
        let reply = (!theirs.is_empty()).then(|| {
            helper.start(SharedReconstruction {
                models: theirs
                    .iter()
                    .map(|slot| {
                        let model = slot.trainer.inference_model();
                        (slot.kind, data_parallel::parameters(&model))
                    })
                    .collect(),
                // The worker clamps it as `image_tensor` does.
                image: image.to_vec(),
            })
        });
        let mut transaction = Transaction::default();
        for slot in own {
            transaction = register_reconstruction(
                &slot.trainer.inference_model(),
                input.clone(),
                transaction,
            );
        }
        let mut data = transaction.execute().into_iter();
        let mut results = own
            .iter()
            .map(|slot| read_reconstruction(slot.kind, &mut data))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(reply) = reply {
            let expected: Vec<&str> = theirs.iter().map(|slot| slot.kind.name()).collect();
            let answered = reply.await.map_err(LabError::HelperReconstruction)?;
            let names: Vec<&str> = answered.iter().map(|r| r.decoder).collect();
            if names != expected || answered.iter().any(|r| r.image.len() != IMAGE_LEN) {
                return Err(LabError::HelperReconstruction(format!(
                    "it answered for {names:?}, asked for {expected:?}"
                )));
            }
            results.extend(answered);
        }
        Ok(results)
    }

    /// Decodes one code assembled unit by unit from test digits' codes
    /// (`seed` picks which) with every shown decoder: the view where
    /// training on digits has not taught the decoder to hide its pattern.
    pub fn decode_shuffled_code(
        &self,
        seed: u64,
    ) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        self.decode_from_digit_codes(move |codes| {
            shuffled_codes(codes, 1, &mut SeededRng::new(seed))
        })
    }

    /// Decodes the code with only `unit` switched on, at its largest value
    /// over the test digits: one impulse response per shown decoder.
    pub fn decode_code_unit(&self, unit: u32) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        let unit = unit as usize;
        if unit >= CODE_LEN {
            return Err(invalid(format!(
                "the code has {CODE_LEN} units, numbered 0 to {}; {unit} is not one",
                CODE_LEN - 1
            )));
        }
        self.decode_from_digit_codes(move |codes| {
            unit_codes(codes).slice([unit..unit + 1, 0..CODE_LEN])
        })
    }

    /// Decodes, with every shown decoder, the code `pick` makes from the
    /// codes of the first test digits (`[n, 128]` in, `[1, 128]` out).
    fn decode_from_digit_codes(
        &self,
        pick: impl Fn(Tensor<2>) -> Tensor<2>,
    ) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        let digits = self.test_digits(CODE_SOURCE_DIGITS)?;
        let count = digits.dims()[0];
        let (kinds, transaction) = self.per_decoder(|model, transaction| {
            let codes = model.encode(digits.clone()).reshape([count, CODE_LEN]); // [n, 128]
            transaction.register(model.decode(code_maps(pick(codes))))
        });
        Ok(Pending::new(transaction, move |_, data| {
            kinds
                .into_iter()
                .zip(data)
                .map(|(kind, data)| {
                    let image = floats(Some(data))?;
                    Ok(Reconstruction {
                        decoder: kind.name(),
                        bce: None,
                        meters: CheckerboardMeters::of_batch(&image),
                        image,
                    })
                })
                .collect()
        }))
    }

    /// Walks the code in a straight line from the code of image `from` to
    /// that of image `to` in `steps` points, ends included, and decodes
    /// every point with every shown decoder (each with its own encoder).
    pub fn latent_walk(
        &self,
        from: &[f32],
        to: &[f32],
        steps: usize,
    ) -> Result<Pending<Vec<Walk>>, LabError> {
        if !limits::WALK_STEPS.contains(&steps) {
            return Err(invalid(format!(
                "a walk has {} to {} steps, not {steps}",
                limits::WALK_STEPS.start(),
                limits::WALK_STEPS.end()
            )));
        }
        let ends = Tensor::cat(vec![self.image_tensor(from)?, self.image_tensor(to)?], 0); // [2, 1, 28, 28]
        let fractions: Vec<f32> = (0..steps).map(|i| i as f32 / (steps - 1) as f32).collect();
        let t = Tensor::<2>::from_data(TensorData::new(fractions, [steps, 1]), &self.device);
        let (kinds, transaction) = self.per_decoder(|model, transaction| {
            let codes = model.encode(ends.clone()).reshape([2, CODE_LEN]);
            let start = codes.clone().slice([0..1, 0..CODE_LEN]); // [1, 128]
            let end = codes.slice([1..2, 0..CODE_LEN]);
            let path = start.clone() + (end - start) * t.clone(); // [steps, 128]
            transaction.register(model.decode(code_maps(path)))
        });
        Ok(Pending::new(transaction, move |_, data| {
            kinds
                .into_iter()
                .zip(data)
                .map(|(kind, data)| {
                    Ok(Walk {
                        decoder: kind.name(),
                        steps,
                        images: floats(Some(data))?,
                    })
                })
                .collect()
        }))
    }

    /// The checkerboard meters of every shown decoder on the probes (test
    /// digits, grey, noise, shuffled codes, single code units).
    pub fn probes(&self) -> Result<Pending<Vec<DecoderProbes>>, LabError> {
        let digits = self.test_digits(PROBE_DIGITS)?;
        let (kinds, transaction) = self.per_decoder(|model, transaction| {
            ProbeOutputs::new(model, digits.clone(), PROBE_SEED).register(transaction)
        });
        Ok(Pending::new(transaction, move |_, data| {
            let mut data = data.into_iter();
            kinds
                .into_iter()
                .map(|kind| {
                    Ok(DecoderProbes {
                        decoder: kind.name(),
                        probes: Probes::from_data(data.by_ref().take(5)),
                    })
                })
                .collect()
        }))
    }

    /// Trains `model_steps` steps of one model each, in lock step: every
    /// shown model takes a batch before the next batch is drawn, so all of
    /// them see the same batches however the steps are split into calls. A
    /// call may end part-way through a lock step (the page keeps its calls to
    /// a few models' steps, so a drawing waits for no more than that); the
    /// report says how many models are still to take it. Reading the losses
    /// finishes the call: a NaN or infinite loss then rolls every model
    /// trained, and the batch order, back to where the call began and fails
    /// with [`LabError::Diverged`].
    pub fn train(&mut self, model_steps: u32) -> Result<Pending<TrainReport>, LabError> {
        let mut call = self.begin_training(model_steps)?;
        let autodiff = self.device.clone().autodiff();
        for _ in 0..model_steps {
            let kind = self.next_model(&mut call)?;
            let images = call.batch_mut()?.whole(&autodiff);
            let loss = self.slot_mut(kind).trainer.step(images);
            call.record(kind, loss);
        }
        Ok(self.finish_training(call))
    }

    /// [`train`](Self::train) with every step's batch split in two: `helper`
    /// takes the gradient of one half (in the browser, a second worker on
    /// the other core) while this thread takes the other's, and the model
    /// steps once with their mean weighted by the halves' sizes, the whole
    /// batch's gradient up to rounding. The CPU backend only (parameters and
    /// gradients are read synchronously). A helper that fails rolls back
    /// like a NaN loss and fails with [`LabError::Helper`], so the same
    /// call can be repeated without it.
    pub async fn train_with_helper<H: GradientHelper>(
        &mut self,
        model_steps: u32,
        helper: &mut H,
    ) -> Result<Pending<TrainReport>, LabError> {
        if !self.on_cpu() {
            return Err(invalid("a training helper runs on the CPU backend only"));
        }
        let mut call = self.begin_training(model_steps)?;
        let autodiff = self.device.clone().autodiff();
        for _ in 0..model_steps {
            let kind = self.next_model(&mut call)?;
            let batch = call.batch_mut()?;
            let count = batch.count();
            if count < 2 {
                let loss = self.slot_mut(kind).trainer.step(batch.whole(&autodiff));
                call.record(kind, loss);
                continue;
            }
            let (own, theirs) = batch.halves(&autodiff);
            let own_share = own.dims()[0] as f32 / count as f32;
            let trainer = &mut self.slot_mut(kind).trainer;
            let parameters = data_parallel::parameters(trainer.model());
            let expected = parameters.len();
            let reply = helper.start(HalfBatch {
                decoder: kind,
                parameters,
                images: theirs,
            });
            let (own_loss, own_grads) = trainer.gradients(own);
            let reply = match reply.await {
                Ok(reply) if reply.gradients.len() == expected => Ok(reply),
                Ok(reply) => Err(format!(
                    "it sent {} gradients for {expected} parameters",
                    reply.gradients.len()
                )),
                Err(why) => Err(why),
            };
            let reply = match reply {
                Ok(reply) => reply,
                Err(why) => {
                    self.roll_back(call);
                    return Err(LabError::Helper(why));
                }
            };
            let trainer = &mut self.slot_mut(kind).trainer;
            let grads =
                data_parallel::combine(trainer.model(), own_grads, &reply.gradients, own_share);
            trainer.apply(grads);
            let loss = own_loss
                .mul_scalar(own_share)
                .add_scalar((1.0 - own_share) * reply.loss);
            call.record(kind, loss);
        }
        Ok(self.finish_training(call))
    }

    fn begin_training(&self, model_steps: u32) -> Result<TrainingCall, LabError> {
        if !(1..=limits::MODEL_STEPS_PER_CALL).contains(&model_steps) {
            return Err(invalid(format!(
                "a call trains 1 to {} steps, not {model_steps}",
                limits::MODEL_STEPS_PER_CALL
            )));
        }
        if self.train.is_none() {
            return Err(LabError::NotLoaded("training"));
        }
        Ok(TrainingCall {
            order_before: (self.batches.clone(), self.lock_step.clone()),
            trained: Vec::new(),
            batch: None,
        })
    }

    /// The model to take the next step, drawing a new batch when every shown
    /// model has taken the last; its state is kept the first time in a call.
    fn next_model(&mut self, call: &mut TrainingCall) -> Result<DecoderKind, LabError> {
        let train = self.train.as_ref().ok_or(LabError::NotLoaded("training"))?;
        let step = match &mut self.lock_step {
            Some(step) if !step.waiting.is_empty() => step,
            _ => {
                call.batch = None;
                self.lock_step.insert(LockStep {
                    indices: self.batches.next(self.settings.batch_size, train.len()),
                    waiting: self.shown.clone(),
                })
            }
        };
        if call.batch.is_none() {
            call.batch = Some(BatchImages::new(train.batch(&step.indices)));
        }
        let kind = step.waiting.remove(0);
        if !call.trained.iter().any(|t| t.kind == kind) {
            let trainer = &self.slot(kind).trainer;
            call.trained.push(Trained {
                kind,
                before: trainer.snapshot(),
                steps_before: trainer.steps(),
                losses: Vec::new(),
            });
        }
        Ok(kind)
    }

    /// Every model trained in `call`, and the batch order, as they were
    /// before it.
    fn roll_back(&mut self, call: TrainingCall) {
        for t in call.trained {
            self.slot_mut(t.kind).trainer.restore(t.before);
        }
        (self.batches, self.lock_step) = call.order_before;
    }

    /// Reads the losses of `call`; see [`train`](Self::train).
    fn finish_training(&self, mut call: TrainingCall) -> Pending<TrainReport> {
        let models_behind = self.lock_step.as_ref().map_or(0, |step| step.waiting.len());
        call.trained.sort_by_key(|t| position(t.kind));
        let mut transaction = Transaction::default();
        let mut entries = Vec::new();
        for t in &mut call.trained {
            entries.push((t.kind, t.steps_before, t.losses.len()));
            transaction = t.losses.drain(..).fold(transaction, Transaction::register);
        }
        Pending::new(transaction, move |session, data| {
            let mut values = data.into_iter();
            let mut report = Vec::new();
            for &(kind, steps_before, count) in &entries {
                let losses = values
                    .by_ref()
                    .take(count)
                    .map(|data| Ok(floats(Some(data))?.first().copied().unwrap_or(f32::NAN)))
                    .collect::<Result<Vec<f32>, LabError>>()?;
                report.push(DecoderLosses {
                    decoder: kind.name(),
                    first_step: steps_before + 1,
                    losses,
                });
            }
            let diverged = report.iter().find_map(|entry| {
                let at = entry.losses.iter().position(|loss| !loss.is_finite())?;
                Some(LabError::Diverged {
                    decoder: entry.decoder,
                    loss: entry.losses[at],
                    step: at + 1,
                })
            });
            if let Some(error) = diverged {
                session.roll_back(call);
                return Err(error);
            }
            let step = entries
                .iter()
                .map(|&(kind, ..)| session.slot(kind).trainer.steps())
                .min()
                .unwrap_or(0);
            Ok(TrainReport {
                step,
                models_behind,
                losses: report,
            })
        })
    }

    /// What the device's allocator holds, where it reports it (WebGPU).
    pub fn device_memory(&self) -> Option<DeviceMemory> {
        self.device.memory_pool_usage().map(|usage| DeviceMemory {
            allocations: usage.number_allocs,
            bytes_in_use: usage.bytes_in_use,
            bytes_reserved: usage.bytes_reserved,
        })
    }

    /// Whether the session runs on Burn's CPU backend (flex).
    fn on_cpu(&self) -> bool {
        matches!(
            self.device.clone().without_autodiff().as_dispatch(),
            DispatchDevice::Flex(_)
        )
    }

    fn image_tensor(&self, image: &[f32]) -> Result<Tensor<4>, LabError> {
        if image.len() != IMAGE_LEN {
            return Err(invalid(format!(
                "an input image has {IMAGE_LEN} values (28x28), this one has {}",
                image.len()
            )));
        }
        if image.iter().any(|v| !v.is_finite()) {
            return Err(invalid("an input image holds a NaN or infinite value"));
        }
        Ok(images_tensor(
            image.iter().map(|v| v.clamp(0.0, 1.0)).collect(),
            &self.device,
        ))
    }
}

/// A model to write as a `.ckpt` file; see [`Session::weights_to_save`].
pub struct WeightsToSave {
    model: Autoencoder,
    info: WeightsInfo,
}

impl WeightsToSave {
    /// The `.ckpt` bytes: the parameters are read from the device in one
    /// awaited transaction, then encoded on the host.
    pub async fn encode(self) -> Result<Vec<u8>, LabError> {
        let host = copy_to_host(&self.model, &Device::flex())
            .await
            .map_err(|err| LabError::Read(format!("{err:?}")))?;
        Ok(weights::encode(host, &self.info)?)
    }
}

/// The power spectrum `|Y(u, v)|^2` of a 28x28 image, row-major in `(u, v)`.
pub fn spectrum(image: &[f32]) -> Result<Vec<f32>, LabError> {
    if image.len() != IMAGE_LEN {
        return Err(invalid(format!(
            "a spectrum needs {IMAGE_LEN} values, not {}",
            image.len()
        )));
    }
    Ok(meters::dft_power(image)
        .into_iter()
        .map(|p| p as f32)
        .collect())
}

/// Taps per output pixel of one to three transposed convolutions (kernels
/// 1-7, strides 1-4) on an `input_side` x `input_side` map (1-8), by Burn's
/// own layer on the CPU: the map is tiny.
pub fn overlap_map(layers: &[OverlapLayer], input_side: usize) -> Result<OverlapMap, LabError> {
    if !(1..=3).contains(&layers.len()) {
        return Err(invalid("choose one to three layers"));
    }
    if let Some(bad) = layers
        .iter()
        .find(|l| !(1..=7).contains(&l.kernel) || !(1..=4).contains(&l.stride))
    {
        return Err(invalid(format!(
            "kernel {} / stride {}: kernels run 1-7 and strides 1-4",
            bad.kernel, bad.stride
        )));
    }
    if !(1..=8).contains(&input_side) {
        return Err(invalid("the input side runs from 1 to 8"));
    }
    let (side, map) = meters::overlap_map(layers, input_side, &Device::flex());
    Ok(OverlapMap { side, map })
}

/// How many of `shown` decoders a helper reconstructs; see
/// [`Session::reconstruct_with_helper`].
pub fn helper_share(shown: usize) -> usize {
    shown.saturating_sub(1) / 2
}

/// Registers what a reconstruction of `input` by `model` reads: the output
/// image, then its BCE against `input`. The session and the helper share
/// it, so both compute alike.
///
/// # Shapes
/// - `input`: `[1, 1, 28, 28]`
pub(crate) fn register_reconstruction(
    model: &Autoencoder,
    input: Tensor<4>,
    transaction: Transaction,
) -> Transaction {
    let logits = model.forward(input.clone()); // [1, 1, 28, 28]
    let bce = bce_with_logits(logits.clone(), input);
    transaction.register(sigmoid(logits)).register(bce)
}

/// `kind`'s reconstruction from the next two values of `data`, as
/// [`register_reconstruction`] registered them.
pub(crate) fn read_reconstruction(
    kind: DecoderKind,
    data: &mut impl Iterator<Item = TensorData>,
) -> Result<Reconstruction, LabError> {
    let image = floats(data.next())?;
    let bce = floats(data.next())?.first().copied().map(f64::from);
    Ok(Reconstruction {
        decoder: kind.name(),
        bce,
        meters: CheckerboardMeters::of_batch(&image),
        image,
    })
}

/// A transaction's data as `f32`s; a missing entry is a read that failed.
fn floats(data: Option<TensorData>) -> Result<Vec<f32>, LabError> {
    let data = data.ok_or_else(|| LabError::Read("fewer results than tensors read".into()))?;
    data.try_to_vec::<f32>()
        .map_err(|err| LabError::Read(format!("unexpected output type: {err:?}")))
}

#[cfg(test)]
mod tests;
