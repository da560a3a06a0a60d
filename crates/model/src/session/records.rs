//! The records a session hands out: plain data, serialisable with serde in
//! the field names Rust gives them (snake_case), the one casing used
//! across the browser boundary too. Images ride beside the records, not in
//! them (`#[serde(skip)]`), so the boundary can pass them as typed arrays.

use serde::{Deserialize, Serialize};

use crate::evaluation::Probes;
use crate::weights::WeightsInfo;
use crate::{CheckerboardMeters, OptimizerKind};

pub use crate::reconstruction::Reconstruction;

/// A decoder as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DecoderDescription {
    pub name: &'static str,
    pub label: &'static str,
    pub parameters: usize,
    /// Where its current weights came from: "seed 0, untrained", "shipped weights", a file.
    pub origin: String,
    pub steps: u64,
    pub shown: bool,
    pub layers: Vec<LayerDescription>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerDescription {
    pub name: &'static str,
    pub shape: [usize; 4],
}

/// Where the meters of two reference inputs sit: the test digits themselves
/// (a faithful reconstruction reads about here) and white noise (no
/// preferred frequency: a third of a percent of its power at the three
/// stride-2 bins).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MeterReferences {
    pub digits: CheckerboardMeters,
    pub noise: CheckerboardMeters,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecoderProbes {
    pub decoder: &'static str,
    pub probes: Probes,
}

/// What the page may set before training.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TrainSettings {
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            optimizer: OptimizerKind::Adam,
            learning_rate: 1e-3,
            batch_size: 32,
        }
    }
}

/// The result of a chunk of training steps.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Steps taken since it was created or loaded by the model trained
    /// least (the others are at most one step ahead, part-way through a lock
    /// step).
    pub step: u64,
    /// Shown models still to take the lock step under way: 0 when the call
    /// ended on a whole step.
    pub models_behind: usize,
    pub losses: Vec<DecoderLosses>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecoderLosses {
    pub decoder: &'static str,
    /// The step the first loss belongs to, counted from 1.
    pub first_step: u64,
    /// One loss per step, before that step's update.
    pub losses: Vec<f32>,
}

/// A test digit and its label.
#[derive(Debug, Clone, Serialize)]
pub struct TestDigit {
    pub label: u8,
    /// Its 784 intensities.
    #[serde(skip)]
    pub image: Vec<f32>,
}

/// One decoder's latent walk.
#[derive(Debug, Clone, Serialize)]
pub struct Walk {
    pub decoder: &'static str,
    pub steps: usize,
    /// `steps` images back to back.
    #[serde(skip)]
    pub images: Vec<f32>,
}

/// What a device's allocator holds (WebGPU only).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceMemory {
    pub allocations: u64,
    pub bytes_in_use: u64,
    pub bytes_reserved: u64,
}

/// Settings as a weights file records them.
pub(super) fn recipe(settings: &TrainSettings, steps: u64) -> crate::weights::TrainingRecipe {
    crate::weights::TrainingRecipe {
        optimizer: settings.optimizer,
        learning_rate: settings.learning_rate,
        batch_size: settings.batch_size,
        epochs: 0,
        steps,
        continued_from: None,
    }
}

/// A tensor's values by name, for comparing two backends.
#[derive(Debug, Clone, Serialize)]
pub struct NamedValues {
    pub name: String,
    pub values: Vec<f32>,
}

/// One model's loss and gradients on fixed digits, layer by layer: see
/// [`crate::gradient_check`].
#[derive(Debug, Clone, Serialize)]
pub struct LayerGradients {
    pub decoder: &'static str,
    pub loss: f32,
    /// At each layer's output, encoder first.
    pub layers: Vec<NamedValues>,
    /// At each parameter.
    pub parameters: Vec<NamedValues>,
}

/// What a loaded weights file held: our header's metadata (for another
/// framework's file, only the decoder it went into), and for a Keras or
/// PyTorch file, which decoder it was found to be and why.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedWeights {
    #[serde(flatten)]
    pub info: WeightsInfo,
    pub foreign: Option<String>,
}
