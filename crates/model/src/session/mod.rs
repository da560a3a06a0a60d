//! A lab session: every decoder's model, the data, the training state and
//! the experiments the page runs on them, in plain Rust on any Burn device.
//!
//! The browser crate wraps one [`Session`] and only converts; the native
//! tests drive the same code on Burn's CPU backend. Calls that read tensors
//! return a [`Pending`], read synchronously natively and awaited in the
//! browser. This file holds the state and its setters; each job has a file
//! of its own: [`training`], [`views`] (what the page looks at),
//! [`checks`] (the numbers backends are compared on), [`errors`].

mod batches;
pub mod catalog;
mod checks;
mod drawing;
mod drawing_replay;
mod errors;
mod pending;
mod placement;
pub mod records;
mod shared;
mod training;
mod views;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

pub use batches::BatchOrder;
pub use catalog::{Catalog, InputKind, catalog};
pub use drawing::StaleCopies;
pub use errors::LabError;
pub use pending::{Finish, Pending};
pub use placement::{MAX_TRIAL_ROUNDS, MovedModels, TrainingMove};
pub use records::*;
pub use shared::SharedSession;
pub use views::helper_share;

use catalog::FIRST_SHOWN;
use drawing::DrawingCopies;
use errors::invalid;

use crate::backend::is_cpu;
use crate::evaluation::images_tensor;
use crate::foreign;
use crate::host::copy_to_host;
use crate::limits;
use crate::mnist::{MnistSet, Split};
use crate::reconstruction;
use crate::weights::{self, WeightsInfo};
use crate::{Autoencoder, AutoencoderConfig, DecoderKind, IMAGE_LEN, Trainer};

/// One decoder's model with its optimizer, and where its weights came from.
struct Slot {
    kind: DecoderKind,
    trainer: Trainer,
    /// Seed of the initial weights this model's training started from.
    seed: u64,
    origin: String,
}

pub struct Session {
    /// Where the models train: `home`, or the CPU ([`placement`]).
    device: Device,
    /// The device the lab started on (WebGPU where the page chose it).
    home: Device,
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
    /// Where the views run when not on `device`.
    drawing: Option<DrawingCopies>,
    /// The views' work, recorded off the CPU.
    drawing_replay: drawing_replay::Drawing,
    /// The models the last trial round stepped.
    trials: Option<placement::Trials>,
}

/// A lock step part-way: the batch every shown model takes, and the shown
/// models still to take it, in the lab's order.
#[derive(Debug, Clone)]
struct LockStep {
    indices: Vec<usize>,
    waiting: Vec<DecoderKind>,
}

impl Session {
    /// Every decoder untrained from seed 0; the first-visit decoders shown.
    pub fn new(device: Device) -> Self {
        let mut session = Self {
            home: device.clone(),
            device,
            slots: Vec::new(),
            shown: FIRST_SHOWN.to_vec(),
            train: None,
            test: None,
            settings: TrainSettings::default(),
            batches: BatchOrder::new(0),
            lock_step: None,
            drawing: None,
            drawing_replay: drawing_replay::Drawing::NotYet,
            trials: None,
        };
        session.slots = DecoderKind::ALL
            .into_iter()
            .map(|kind| session.fresh_slot(kind, 0))
            .collect();
        session
    }

    /// The catalog, its parameter counts from the models held: building
    /// a second model of every decoder for it cost a fifth of a second of the browser's
    /// start.
    pub fn catalog(&self) -> Catalog {
        catalog::catalog_counting(|kind| self.slot(kind).trainer.model().num_params())
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
        &self.slots[kind.index()]
    }

    fn slot_mut(&mut self, kind: DecoderKind) -> &mut Slot {
        &mut self.slots[kind.index()]
    }

    fn shown_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|slot| self.shown.contains(&slot.kind))
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

    /// A test digit with its label.
    pub fn labelled_test_digit(&self, index: u32) -> Result<TestDigit, LabError> {
        let label = self.test_label(index)?;
        Ok(TestDigit {
            label,
            image: self.test_digit(index)?,
        })
    }

    /// The first `count` test digits (or all, if fewer) on `device`.
    fn test_digits(&self, count: usize, device: &Device) -> Result<Tensor<4>, LabError> {
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..count.min(test.len())).collect();
        Ok(images_tensor(test.batch(&indices), device))
    }

    /// Loads a weights file into the decoder it is: a `.ckpt` into the one
    /// its header names, a Keras or safetensors file into the one its layers
    /// fit ([`crate::foreign`]). A bad file changes nothing.
    pub fn load_weights(&mut self, bytes: &[u8], origin: &str) -> Result<LoadedWeights, LabError> {
        let device = self.device.clone().autodiff();
        let (model, info, foreign) = if weights::is_weights_file(bytes) {
            let info = weights::read_info(bytes)?;
            let (model, info) = weights::decode(bytes, info.decoder, &device)?;
            (model, info, None)
        } else {
            let recognised = foreign::load_bytes(bytes)?;
            let summary = recognised.summary();
            let model = recognised.into_autoencoder(&device);
            let info = WeightsInfo {
                decoder: model.kind(),
                seed: 0,
                training: None,
                test_bce: None,
            };
            (model, info, Some(summary))
        };
        let (optimizer, learning_rate) = (self.settings.optimizer, self.settings.learning_rate);
        self.weights_changed(info.decoder);
        let slot = self.slot_mut(info.decoder);
        slot.trainer = Trainer::new(model, optimizer, learning_rate);
        slot.seed = info.seed;
        slot.origin = origin.to_string();
        // Loaded weights start on the next batch, not part-way through one.
        if let Some(step) = &mut self.lock_step {
            step.waiting.retain(|kind| *kind != info.decoder);
        }
        Ok(LoadedWeights { info, foreign })
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
        for kind in DecoderKind::ALL {
            self.weights_changed(kind);
            self.slots[kind.index()] = self.fresh_slot(kind, seed);
        }
        self.batches = BatchOrder::new(seed);
        self.lock_step = None;
        Ok(())
    }

    /// What the device's allocator holds, where it reports it (WebGPU).
    pub fn device_memory(&self) -> Option<DeviceMemory> {
        self.device.memory_pool_usage().map(|usage| DeviceMemory {
            allocations: usage.number_allocs,
            bytes_in_use: usage.bytes_in_use,
            bytes_reserved: usage.bytes_reserved,
        })
    }

    /// Whether the models train on Burn's CPU backend (flex).
    fn on_cpu(&self) -> bool {
        is_cpu(&self.device)
    }

    /// `image` on `device`, clamped to `[0, 1]`.
    fn image_tensor(&self, image: &[f32], device: &Device) -> Result<Tensor<4>, LabError> {
        Ok(images_tensor(input_image(image)?, device))
    }
}

/// A drawing's 784 intensities as the models take them: clamped to
/// `[0, 1]`, after refusing the wrong length or a value that is not finite.
fn input_image(image: &[f32]) -> Result<Vec<f32>, LabError> {
    if image.len() != IMAGE_LEN {
        return Err(invalid(format!(
            "an input image has {IMAGE_LEN} values (28x28), this one has {}",
            image.len()
        )));
    }
    if image.iter().any(|v| !v.is_finite()) {
        return Err(invalid("an input image holds a NaN or infinite value"));
    }
    Ok(image.iter().map(|v| v.clamp(0.0, 1.0)).collect())
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

/// A transaction's data as `f32`s; a missing entry is a read that failed.
fn floats(data: Option<TensorData>) -> Result<Vec<f32>, LabError> {
    reconstruction::floats(data).map_err(LabError::Read)
}

#[cfg(test)]
mod tests;
