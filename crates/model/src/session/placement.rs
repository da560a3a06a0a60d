//! Where the models train. The lab starts on its own device (WebGPU where
//! the page chose it), but beside a GPU a training step of this small model
//! may cost WebGPU more to issue than the CPU takes to compute it
//! (docs/benchmarks.md). The page times a round of throwaway steps on each
//! ([`Session::trial_round`]) and moves training to the faster
//! ([`Session::training_move`]); the views keep the device they run on
//! ([`super::drawing`]).
//!
//! Only the models move. An optimizer's running averages cannot be read
//! back from WebGPU synchronously, so training moves only while every
//! optimizer is fresh (before the first step, or after new settings), and
//! the page times both devices before the first step.

use burn::module::Module;
use burn::tensor::{Device, Tensor, Transaction};

use super::{LabError, Pending, Session, TrainSettings, invalid};
use crate::backend::is_cpu;
use crate::evaluation::images_tensor;
use crate::host::copy_to_host;
use crate::{Autoencoder, AutoencoderConfig, DecoderKind, Trainer};

/// The most rounds [`Session::trial_round`] takes in one call.
pub const MAX_TRIAL_ROUNDS: u32 = 10;

/// Every decoder's model, to copy to the device training moves to: see
/// [`Session::training_move`].
pub struct TrainingMove {
    device: Device,
    models: Vec<(DecoderKind, Autoencoder)>,
}

/// The models of a [`TrainingMove`], on its device, for
/// [`Session::install_training`].
pub struct MovedModels {
    device: Device,
    models: Vec<(DecoderKind, Autoencoder)>,
}

impl TrainingMove {
    /// The models rebuilt on the new device, each read from the old one in
    /// one awaited transaction.
    pub async fn copy(self) -> Result<MovedModels, LabError> {
        let autodiff = self.device.clone().autodiff();
        let mut models = Vec::with_capacity(self.models.len());
        for (kind, model) in self.models {
            let host = copy_to_host(&model, &Device::flex())
                .await
                .map_err(|err| LabError::Read(format!("{err:?}")))?;
            // A model built on the autodiff device takes the values as
            // parameters that track gradients, as a loaded file's do.
            let moved = AutoencoderConfig::new(kind)
                .init(&autodiff)
                .load_record(host.into_record());
            models.push((kind, moved));
        }
        Ok(MovedModels {
            device: self.device,
            models,
        })
    }
}

impl Session {
    /// `"cpu"` or `"webgpu"`: where the models train.
    pub fn training_backend(&self) -> &'static str {
        if self.on_cpu() { "cpu" } else { "webgpu" }
    }

    /// The CPU (`true`) or the device the lab started on (`false`).
    fn backend_device(&self, cpu: bool) -> Device {
        if cpu {
            Device::flex()
        } else {
            self.home.clone()
        }
    }

    /// The models to copy for training on the CPU (`true`) or on the lab's
    /// own device (`false`); `None` where they train there already.
    /// Refused once a model has stepped with its optimizer (see the module
    /// docs).
    pub fn training_move(&self, cpu: bool) -> Result<Option<TrainingMove>, LabError> {
        let device = self.backend_device(cpu);
        if is_cpu(&device) == self.on_cpu() {
            return Ok(None);
        }
        self.move_to(device).map(Some)
    }

    /// Every model, to copy to `device`; see [`Self::training_move`].
    pub(super) fn move_to(&self, device: Device) -> Result<TrainingMove, LabError> {
        if let Some(slot) = self
            .slots
            .iter()
            .find(|slot| !slot.trainer.optimizer_is_fresh())
        {
            return Err(invalid(format!(
                "the {} decoder has trained here, and its optimizer's running averages stay where they are; training stays too",
                slot.kind
            )));
        }
        Ok(TrainingMove {
            device,
            models: self
                .slots
                .iter()
                .map(|slot| (slot.kind, slot.trainer.model().clone()))
                .collect(),
        })
    }

    /// Trains from now on where `moved` was copied to; the views stay on
    /// the device they ran on. The session must not have changed since
    /// [`Self::training_move`].
    pub fn install_training(&mut self, moved: MovedModels) -> Result<(), LabError> {
        let drawing_on_cpu = self.drawing_backend() == "cpu";
        let mut trainers = Vec::with_capacity(moved.models.len());
        for (kind, model) in moved.models {
            let trainer = self.slot(kind).trainer.moved(model).ok_or_else(|| {
                invalid(format!(
                    "the {kind} decoder trained while its model was copied"
                ))
            })?;
            trainers.push((kind, trainer));
        }
        for (kind, trainer) in trainers {
            self.slot_mut(kind).trainer = trainer;
        }
        self.device = moved.device;
        self.draw_on_cpu(drawing_on_cpu);
        Ok(())
    }

    /// `rounds` throwaway lock-step rounds on the CPU (`true`) or the lab's
    /// own device: every shown decoder steps on a batch of test digits of
    /// the chosen size, with the chosen optimizer, and the last losses are
    /// read. The page times it; the session's models and batches are
    /// untouched. The trial's models start fresh and are kept for the next
    /// trial on the same backend with the same settings, so that later
    /// trials time the steps training takes from its second on (off the
    /// CPU, replays of a recording: [`crate::replay`]), not its first.
    pub fn trial_round(&mut self, cpu: bool, rounds: u32) -> Result<Pending<()>, LabError> {
        if !(1..=MAX_TRIAL_ROUNDS).contains(&rounds) {
            return Err(invalid(format!(
                "a trial takes 1 to {MAX_TRIAL_ROUNDS} rounds, not {rounds}"
            )));
        }
        let autodiff = self.backend_device(cpu).autodiff();
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..self.settings.batch_size.min(test.len())).collect();
        let images = images_tensor(test.batch(&indices), &autodiff);
        let kept = self.trials.take().filter(|trials| {
            trials.cpu == cpu && trials.settings == self.settings && trials.shown == self.shown
        });
        let mut trials = kept.unwrap_or_else(|| Trials {
            cpu,
            settings: self.settings.clone(),
            shown: self.shown.clone(),
            trainers: self
                .shown
                .iter()
                .map(|&kind| {
                    let model = AutoencoderConfig::new(kind).init(&autodiff);
                    Trainer::new(model, self.settings.optimizer, self.settings.learning_rate)
                })
                .collect(),
        });
        let mut transaction = Transaction::default();
        for trainer in &mut trials.trainers {
            let mut loss: Option<Tensor<1>> = None;
            for _ in 0..rounds {
                loss = Some(trainer.step(images.clone()));
            }
            if let Some(loss) = loss {
                transaction = transaction.register(loss);
            }
        }
        self.trials = Some(trials);
        Ok(Pending::new(transaction, |_, _| Ok(())))
    }
}

/// The models [`Session::trial_round`] steps, kept from one trial to the
/// next: one per shown decoder, for one backend and the settings then.
pub(super) struct Trials {
    cpu: bool,
    settings: TrainSettings,
    shown: Vec<DecoderKind>,
    trainers: Vec<Trainer>,
}
