//! One training step, shared by the native trainer and the browser.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::autoencoder::Autoencoder;
use crate::flat_optimizer::{FlatOptimizer, ReplayedSteps};
use crate::layout::{TO_CHANNELS_LAST, prefers_channels_last};
use crate::loss::{bce_with_logits, bce_with_logits_and_objective};
use crate::replay::replays_on;

/// The mean BCE of `model` (on an autodiff device) reconstructing `images`,
/// detached, and its gradients.
pub(crate) fn gradients(model: &Autoencoder, images: Tensor<4>) -> (Tensor<1>, GradientsParams) {
    let logits = model.forward(images.clone()); // [batch, 1, 28, 28]
    if !prefers_channels_last(&logits) {
        let loss = bce_with_logits(logits, images);
        let grads = GradientsParams::from_grads(loss.backward(), model);
        return (loss.detach(), grads);
    }
    // Off the CPU, issuing kernels is what costs: the gradient comes from the
    // loss's closed form, and the loss is taken over the channels-last views
    // (one channel: the same memory), so that its gradient reaches the last
    // convolution laid as Burn's GPU convolutions take it (`crate::layout`).
    let (loss, objective) = bce_with_logits_and_objective(
        logits.permute(TO_CHANNELS_LAST),
        images.permute(TO_CHANNELS_LAST),
    );
    (
        loss,
        GradientsParams::from_grads(objective.backward(), model),
    )
}

/// The optimizers the blog and the app offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Keras 2016's Adadelta (rho 0.95, epsilon 1e-7), the blog's choice.
    Adadelta,
    /// Burn's Adam with its default betas.
    Adam,
}

impl OptimizerKind {
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adadelta => "adadelta",
            OptimizerKind::Adam => "adam",
        }
    }

    /// The learning rate the blog's recipe (Adadelta) or common practice (Adam) uses.
    pub fn default_learning_rate(self) -> f64 {
        match self {
            OptimizerKind::Adadelta => 1.0,
            OptimizerKind::Adam => 1e-3,
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "adadelta" => Ok(OptimizerKind::Adadelta),
            "adam" => Ok(OptimizerKind::Adam),
            other => Err(format!(
                "unknown optimizer '{other}' (known: adadelta, adam)"
            )),
        }
    }
}

/// A model on an autodiff device with its optimizer state.
#[derive(Clone)]
pub struct Trainer {
    model: Autoencoder,
    optimizer: FlatOptimizer,
    learning_rate: f64,
    steps: u64,
    /// Whether `optimizer` holds no running averages yet: built afresh and
    /// not stepped since. Only then can the model move to another device
    /// without them (on WebGPU they cannot be read back synchronously).
    fresh_optimizer: bool,
    /// Off the CPU, the steps recorded once and replayed since
    /// ([`crate::flat_optimizer::ReplayedSteps`]).
    replayed: Replayed,
}

/// Whether a trainer's steps replay a recording.
enum Replayed {
    /// Not recorded yet: the next step off the CPU records one.
    NotYet,
    Recorded(Box<ReplayedSteps>),
    /// A recording failed, or was refused for memory: steps are taken as
    /// they are.
    Refused,
}

impl Clone for Replayed {
    /// A recording writes its own buffers, so a copy of a trainer (which
    /// may move to another device, too) records one of its own.
    fn clone(&self) -> Self {
        Replayed::NotYet
    }
}

/// A trainer as it stood, to return to if a step goes bad (a NaN loss).
#[derive(Clone)]
pub struct TrainerSnapshot(Trainer);

impl Trainer {
    /// `model` must live on an autodiff device (`device.autodiff()`).
    pub fn new(model: Autoencoder, optimizer: OptimizerKind, learning_rate: f64) -> Self {
        let mut optimizer = FlatOptimizer::new(optimizer);
        Self {
            model: optimizer.adopt(model),
            optimizer,
            learning_rate,
            steps: 0,
            fresh_optimizer: true,
            replayed: Replayed::NotYet,
        }
    }

    /// One gradient step on `images`, returning the batch's loss *before* the
    /// update as a tensor. Nothing here reads from the device, so the browser
    /// can await the loss while the GPU works.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, the targets too
    /// - output: `[1]`
    pub fn step(&mut self, images: Tensor<4>) -> Tensor<1> {
        if let Some(loss) = self.replayed_step(&images) {
            return loss;
        }
        let (loss, grads) = self.gradients(images);
        self.apply(grads);
        loss
    }

    /// The step [`step`](Self::step) takes, as a replay of a recording off
    /// the CPU, from the second step on (the first makes the running
    /// averages the recording writes); `None` where it cannot, the trainer
    /// untouched. A batch of another size is recorded anew.
    fn replayed_step(&mut self, images: &Tensor<4>) -> Option<Tensor<1>> {
        if self.fresh_optimizer
            || matches!(self.replayed, Replayed::Refused)
            || !self.model.devices().iter().all(replays_on)
        {
            return None;
        }
        let taken = match &mut self.replayed {
            Replayed::Recorded(steps) if steps.takes(images) => steps.step(images),
            _ => self
                .optimizer
                .record_steps(&self.model, images.clone(), self.learning_rate)
                .map(|(loss, steps)| {
                    self.replayed = Replayed::Recorded(Box::new(steps));
                    loss
                }),
        };
        match (taken, &self.replayed) {
            (Ok(loss), Replayed::Recorded(steps)) => {
                self.model = self.optimizer.take_from(steps, self.model.clone());
                self.steps += 1;
                Some(loss)
            }
            (taken, _) => {
                if let Err(err) = taken {
                    log::warn!("training goes on without a recording: {err}");
                }
                // The recording's buffers are copies: the trainer's own
                // state is as the last step left it.
                self.replayed = Replayed::Refused;
                None
            }
        }
    }

    /// The batch's mean loss and its gradients, leaving the model as it is:
    /// half of a step whose other half's gradients come from elsewhere
    /// ([`crate::data_parallel`]).
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, the targets too
    /// - loss: `[1]`
    pub fn gradients(&self, images: Tensor<4>) -> (Tensor<1>, GradientsParams) {
        gradients(&self.model, images)
    }

    /// One optimizer step with `grads` (on the model's inner device).
    pub fn apply(&mut self, grads: GradientsParams) {
        // A step taken outside a recording leaves its buffers behind.
        if let Replayed::Recorded(_) = self.replayed {
            self.replayed = Replayed::NotYet;
        }
        let model = self.model.clone();
        self.model = self.optimizer.step(self.learning_rate, model, grads);
        self.steps += 1;
        self.fresh_optimizer = false;
    }

    /// The same model and step count with a fresh optimizer (new kind or
    /// learning rate; its running averages start again).
    pub fn with_optimizer(self, optimizer: OptimizerKind, learning_rate: f64) -> Self {
        let mut optimizer = FlatOptimizer::new(optimizer);
        Self {
            model: optimizer.adopt(self.model.clone()),
            optimizer,
            learning_rate,
            fresh_optimizer: true,
            replayed: Replayed::NotYet,
            ..self
        }
    }

    /// A trainer as a saved run left it: `model` on an autodiff device, the
    /// steps it had taken and its optimizer's running averages
    /// ([`optimizer_state`](Self::optimizer_state)), so that training goes on
    /// exactly as if it had never stopped.
    pub fn resume(
        model: Autoencoder,
        optimizer: OptimizerKind,
        learning_rate: f64,
        steps: u64,
        optimizer_state: Vec<u8>,
    ) -> Result<Self, String> {
        let mut loaded = FlatOptimizer::new(optimizer).load_state(&model, optimizer_state)?;
        Ok(Self {
            model: loaded.adopt(model),
            optimizer: loaded,
            learning_rate,
            steps,
            fresh_optimizer: false,
            replayed: Replayed::NotYet,
        })
    }

    /// The optimizer's running averages as burnpack bytes, keyed by the
    /// model's parameter ids (which the weights file keeps).
    pub fn optimizer_state(&self) -> Result<Vec<u8>, String> {
        self.optimizer.to_bytes(&self.model)
    }

    /// The trained model without autodiff, for inference and evaluation.
    pub fn inference_model(&self) -> Autoencoder {
        self.model.valid()
    }

    /// The model's parameters laid flat, without autodiff, as the
    /// optimizer lays them.
    pub fn flat_parameters(&self) -> Option<&Tensor<1>> {
        self.optimizer.flat_parameters()
    }

    /// The inference model with its parameters views of `flat`, laid as
    /// [`flat_parameters`](Self::flat_parameters).
    pub fn inference_model_with(&self, flat: Tensor<1>) -> Autoencoder {
        self.optimizer
            .with_flat_parameters(self.inference_model(), flat)
    }

    /// The model on its autodiff device.
    pub fn model(&self) -> &Autoencoder {
        &self.model
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Whether the optimizer has no running averages yet (see the field).
    pub fn optimizer_is_fresh(&self) -> bool {
        self.fresh_optimizer
    }

    /// This trainer with `model` (its own, copied to another autodiff
    /// device) in its place. Only while the optimizer is fresh: its running
    /// averages would stay behind.
    pub fn moved(&self, model: Autoencoder) -> Option<Self> {
        self.fresh_optimizer.then(|| {
            let mut optimizer = self.optimizer.clone();
            Self {
                model: optimizer.adopt(model),
                optimizer,
                ..self.clone()
            }
        })
    }

    /// Cheap: Burn tensors are immutable and shared, so this keeps handles, not copies.
    pub fn snapshot(&self) -> TrainerSnapshot {
        TrainerSnapshot(self.clone())
    }

    pub fn restore(&mut self, snapshot: TrainerSnapshot) {
        *self = snapshot.0;
    }
}
