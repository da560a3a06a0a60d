//! Training the shown models in lock step: every shown model takes a batch
//! before the next is drawn, a chunk of steps per call, rolled back as a
//! whole when a loss turns NaN or the second worker fails.

use burn::tensor::{Device, Tensor, Transaction};

use super::{BatchOrder, LabError, LockStep, Pending, Session, floats, invalid};
use crate::data_parallel::{GradientHelper, HalfBatch};
use crate::evaluation::images_tensor;
use crate::session::records::{DecoderLosses, TrainReport};
use crate::{DecoderKind, IMAGE_LEN, limits, parameters};

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

impl Session {
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
            return Err(invalid("a helper runs on the CPU backend only"));
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
            let parameters = parameters::parameters(trainer.model());
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
                parameters::combine(trainer.model(), own_grads, &reply.gradients, own_share);
            trainer.apply(grads);
            let loss = own_loss
                .mul_scalar(own_share)
                .add_scalar((1.0 - own_share) * reply.loss);
            call.record(kind, loss);
        }
        Ok(self.finish_training(call))
    }

    fn begin_training(&mut self, model_steps: u32) -> Result<TrainingCall, LabError> {
        if !(1..=limits::MODEL_STEPS_PER_CALL).contains(&model_steps) {
            return Err(invalid(format!(
                "a call trains 1 to {} steps, not {model_steps}",
                limits::MODEL_STEPS_PER_CALL
            )));
        }
        if self.train.is_none() {
            return Err(LabError::NotLoaded("training"));
        }
        // Training has begun: the trial models, and their recordings'
        // memory, are done with.
        self.trials = None;
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
            self.weights_changed(kind);
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
            self.weights_changed(t.kind);
            self.slot_mut(t.kind).trainer.restore(t.before);
        }
        (self.batches, self.lock_step) = call.order_before;
    }

    /// Reads the losses of `call`; see [`train`](Self::train).
    fn finish_training(&self, mut call: TrainingCall) -> Pending<TrainReport> {
        let models_behind = self.lock_step.as_ref().map_or(0, |step| step.waiting.len());
        call.trained.sort_by_key(|t| t.kind.index());
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
}
