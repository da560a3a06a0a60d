//! Every list the page, its tests, the scripts and the documentation derive from:
//! the decoders, the probes, the input kinds, the optimizers, the code size
//! and the training defaults and limits. One source, here.

use burn::module::Module;
use burn::tensor::Device;
use serde::Serialize;

use super::errors::LabError;
use super::records::TrainSettings;
use crate::evaluation::PROBE_KINDS;
use crate::foreign::{SaveFormat, SaveFormatEntry};
use crate::init::SeededRng;
use crate::limits;
use crate::{AutoencoderConfig, CODE_LEN, DecoderKind, IMAGE_LEN, OptimizerKind};

/// The decoders a first visit shows: the two the question is about.
pub const FIRST_SHOWN: [DecoderKind; 2] = [DecoderKind::Upsample, DecoderKind::Transposed];

/// What the page can feed the decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Digit,
    Drawing,
    Blank,
    Grey,
    Noise,
    /// A code assembled unit by unit from different digits' codes.
    Code,
    /// One code unit on: the decoder's impulse response.
    Unit,
}

impl InputKind {
    pub const ALL: [InputKind; 7] = [
        InputKind::Digit,
        InputKind::Drawing,
        InputKind::Blank,
        InputKind::Grey,
        InputKind::Noise,
        InputKind::Code,
        InputKind::Unit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputKind::Digit => "digit",
            InputKind::Drawing => "drawing",
            InputKind::Blank => "blank",
            InputKind::Grey => "grey",
            InputKind::Noise => "noise",
            InputKind::Code => "code",
            InputKind::Unit => "unit",
        }
    }

    /// Whether the decoders get a code rather than an image through the encoder.
    pub fn is_code(self) -> bool {
        matches!(self, InputKind::Code | InputKind::Unit)
    }

    /// The image for an input the lab makes itself (blank, grey, noise);
    /// `None` for the others. `seed` picks the noise.
    pub fn synthetic_image(self, seed: u64) -> Option<Vec<f32>> {
        match self {
            InputKind::Blank => Some(vec![0.0; IMAGE_LEN]),
            InputKind::Grey => Some(vec![0.5; IMAGE_LEN]),
            InputKind::Noise => {
                let mut rng = SeededRng::new(seed);
                Some((0..IMAGE_LEN).map(|_| rng.next_f32()).collect())
            }
            _ => None,
        }
    }

    /// [`Self::synthetic_image`], or why the lab makes no such input.
    pub fn synthetic(self, seed: u64) -> Result<Vec<f32>, LabError> {
        let refusal = || format!("the lab does not make '{}' inputs", self.name());
        self.synthetic_image(seed)
            .ok_or_else(|| LabError::Invalid(refusal()))
    }

    fn entry(self) -> InputEntry {
        let (button, title, caption, note) = match self {
            InputKind::Digit => (
                "",
                "A digit from the MNIST test set",
                "MNIST test digit",
                "Training with a per-pixel loss on digits like these teaches the transposed decoder to hide much of its checkerboard here, so trained models look clean on them and untrained ones do not. Compare the stride-2 components beside the panels, or feed it something it never saw.",
            ),
            InputKind::Drawing => (
                "",
                "Your drawing",
                "your drawing, as MNIST sees it",
                "Your drawing goes through the same MNIST preprocessing (20x20 box, centred by mass). The further it is from MNIST digits, the less training has taught the transposed decoder to cancel its pattern.",
            ),
            InputKind::Blank => (
                "Blank",
                "An all-black image",
                "blank input",
                "A blank input: what each decoder paints when there is nothing to paint.",
            ),
            InputKind::Grey => (
                "Grey",
                "A constant mid-grey image: uneven overlap shows at its plainest",
                "constant grey input",
                "A constant input is the plainest test. Upsampling then convolving gives every output pixel the same number of kernel taps; the transposed convolution does not, and the 2x2-phase pattern shows.",
            ),
            InputKind::Noise => (
                "Noise",
                "Uniform noise, unlike any training digit",
                "noise input",
                "Noise is nothing like the training digits, so nothing taught the transposed decoder to cancel its uneven overlap here.",
            ),
            InputKind::Code => (
                "Random code",
                "Skip the encoder: a code assembled from different digits' codes",
                "random code",
                "This skips the encoder: each of the 128 code units comes from a different digit. The decoder's own structure shows through.",
            ),
            InputKind::Unit => (
                "Code unit",
                "Skip the encoder: one of the 128 code units switched on, the rest off (the decoder's impulse response); click again for the next unit",
                "code unit on",
                "One code unit on, the rest off: the decoder's impulse response for that unit. A pixel-wise loss on digits never asked for these to be smooth.",
            ),
        };
        InputEntry {
            name: self.name(),
            button,
            title,
            caption,
            note,
            is_code: self.is_code(),
            synthetic: self.synthetic_image(0).is_some(),
        }
    }
}

impl std::str::FromStr for InputKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        InputKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| format!("unknown input kind '{name}'"))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub decoders: Vec<DecoderEntry>,
    pub first_shown: Vec<&'static str>,
    pub probes: Vec<ProbeEntry>,
    pub inputs: Vec<InputEntry>,
    pub optimizers: Vec<OptimizerEntry>,
    /// The formats a decoder's model can be saved in.
    pub save_formats: Vec<SaveFormatEntry>,
    pub code_units: usize,
    pub training: TrainSettings,
    pub limits: Limits,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecoderEntry {
    pub name: &'static str,
    pub label: &'static str,
    /// The whole autoencoder's, encoder included.
    pub parameters: usize,
    pub explanation: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeEntry {
    /// The field of [`Probes`](crate::evaluation::Probes) it fills.
    pub key: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    pub name: &'static str,
    /// The button's text, empty for inputs without a button of their own.
    pub button: &'static str,
    pub title: &'static str,
    pub caption: &'static str,
    /// What to look for with this input, beside the main view.
    pub note: &'static str,
    pub is_code: bool,
    /// The lab makes this image itself ([`InputKind::synthetic_image`]).
    pub synthetic: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptimizerEntry {
    pub name: &'static str,
    pub label: &'static str,
    pub default_learning_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    pub model_steps_per_call: u32,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub walk_steps: [usize; 2],
    pub seed: u64,
    /// The largest weights file the lab reads.
    pub weights_file_bytes: usize,
}

/// The whole catalog, building each model once to count its parameters
/// (a session counts the models it holds instead: [`Session::catalog`]).
///
/// [`Session::catalog`]: super::Session::catalog
pub fn catalog() -> Catalog {
    catalog_counting(|kind| {
        AutoencoderConfig::new(kind)
            .init(&Device::flex())
            .num_params()
    })
}

/// The catalog with `parameters` counting each decoder's model.
pub(super) fn catalog_counting(parameters: impl Fn(DecoderKind) -> usize) -> Catalog {
    Catalog {
        decoders: DecoderKind::ALL
            .into_iter()
            .map(|kind| DecoderEntry {
                name: kind.name(),
                label: kind.label(),
                parameters: parameters(kind),
                explanation: kind.explanation(),
            })
            .collect(),
        first_shown: FIRST_SHOWN.iter().map(|kind| kind.name()).collect(),
        probes: PROBE_KINDS
            .iter()
            .map(|&(key, label)| ProbeEntry { key, label })
            .collect(),
        inputs: InputKind::ALL.into_iter().map(InputKind::entry).collect(),
        save_formats: SaveFormat::ALL.into_iter().map(SaveFormat::entry).collect(),
        optimizers: [OptimizerKind::Adam, OptimizerKind::Adadelta]
            .into_iter()
            .map(|kind| OptimizerEntry {
                name: kind.name(),
                label: match kind {
                    OptimizerKind::Adam => "Adam",
                    OptimizerKind::Adadelta => "Adadelta (Keras 2016)",
                },
                default_learning_rate: kind.default_learning_rate(),
            })
            .collect(),
        code_units: CODE_LEN,
        training: TrainSettings::default(),
        limits: Limits {
            model_steps_per_call: limits::MODEL_STEPS_PER_CALL,
            batch_size: limits::BATCH_SIZE,
            learning_rate: limits::LEARNING_RATE,
            walk_steps: [*limits::WALK_STEPS.start(), *limits::WALK_STEPS.end()],
            seed: limits::SEED,
            weights_file_bytes: crate::weights::MAX_FILE_LEN,
        },
    }
}
