//! The `.progress` file: a training run as it stood after an epoch, so that a
//! run stopped part way (a machine handed back, a scheduler's preemption)
//! goes on from its last epoch and ends bit for bit where it would have ended
//! without the stop.
//!
//! ```text
//! offset    size  field
//! 0         8     magic "CHKRLABP"
//! 8         2     format version, u16 little-endian (this reader: 1)
//! 10        4     state length S, u32 LE
//! 14        S     state, JSON (`Progress`: the run's settings, epochs done, steps, log lines)
//! 14+S      4     weights length W, u32 LE
//! 18+S      W     a weights file (see `weights`), parameter ids included
//! 18+S+W    4     optimizer length O, u32 LE
//! 22+S+W    O     the optimizer's running averages, burnpack bytes
//! 22+S+W+O  4     CRC-32 of every byte before it
//! ```
//!
//! The frame is the weights file's ([`framing`]).
//!
//! [`framing`]: crate::framing

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::decoder::DecoderKind;
use crate::framing::{self, FrameError};
use crate::train::{OptimizerKind, Trainer};
use crate::weights::{self, WeightsError, WeightsInfo};

const MAGIC: &[u8; 8] = b"CHKRLABP";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Far above any model's weights and optimizer state (under 200 kB).
pub const MAX_FILE_LEN: usize = weights::MAX_FILE_LEN;

/// What must match for a saved run to be continued: the same model, data,
/// optimizer and batches. The epoch count may grow (train further).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub decoder: DecoderKind,
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    /// Seeds the batch order (and the initial weights of a fresh run).
    pub seed: u64,
    /// Training images used (a `--train-limit` changes the batches).
    pub train_len: usize,
    /// Whether the run continued other weights (`--init`).
    pub continued: bool,
}

/// How far a run got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub settings: RunSettings,
    pub epochs_done: usize,
    pub steps: u64,
    /// Seconds spent in training steps so far (evaluation excluded).
    pub train_seconds: f64,
    /// Lines of the run's log written by then; later ones are dropped on resume.
    pub log_lines: usize,
    /// Test BCE after the last epoch done.
    pub test_bce: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    #[error("not a Checkerlab progress file (it does not start with the CHKRLABP header)")]
    NotProgress,
    #[error(
        "progress file format version {found} is not supported (this build reads version {FORMAT_VERSION})"
    )]
    UnsupportedVersion { found: u16 },
    #[error("a progress file is at most {MAX_FILE_LEN} bytes; this one is {found}")]
    TooLarge { found: usize },
    #[error("progress file is truncated: {needed} bytes needed, {found} present")]
    Truncated { needed: u64, found: usize },
    #[error("progress file has {extra} bytes after its end (the header declares {declared})")]
    TrailingBytes { declared: u64, extra: u64 },
    #[error("progress file is corrupt: checksum 0x{found:08x} does not match 0x{expected:08x}")]
    Corrupt { expected: u32, found: u32 },
    #[error("progress file has unreadable state: {0}")]
    State(String),
    #[error("progress file's weights: {0}")]
    Weights(#[from] WeightsError),
    #[error("progress file's optimizer state: {0}")]
    Optimizer(String),
    #[error("the progress file is for another run ({found:?}), not this one ({expected:?})")]
    OtherRun {
        expected: Box<RunSettings>,
        found: Box<RunSettings>,
    },
}

/// Serialises `trainer` (its model with `info`, its optimizer) with `progress`.
pub fn encode(
    progress: &Progress,
    trainer: &Trainer,
    info: &WeightsInfo,
) -> Result<Vec<u8>, ProgressError> {
    let state =
        serde_json::to_vec(progress).map_err(|err| ProgressError::State(err.to_string()))?;
    let weights = weights::encode(trainer.inference_model(), info)?;
    let optimizer = trainer
        .optimizer_state()
        .map_err(ProgressError::Optimizer)?;
    Ok(framing::write(
        MAGIC,
        FORMAT_VERSION,
        &[&state, &weights, &optimizer],
    ))
}

/// The saved run, as a trainer on `autodiff` (an autodiff device), if it was
/// saved with `expected` settings.
pub fn decode(
    bytes: &[u8],
    expected: &RunSettings,
    autodiff: &Device,
) -> Result<(Progress, Trainer), ProgressError> {
    let [state, weights_bytes, optimizer] =
        framing::read(bytes, MAGIC, FORMAT_VERSION, MAX_FILE_LEN)?;
    let progress: Progress =
        serde_json::from_slice(state).map_err(|err| ProgressError::State(err.to_string()))?;
    if progress.settings != *expected {
        return Err(ProgressError::OtherRun {
            expected: Box::new(expected.clone()),
            found: Box::new(progress.settings),
        });
    }
    let (model, _) = weights::decode(weights_bytes, expected.decoder, autodiff)?;
    let trainer = Trainer::resume(
        model,
        expected.optimizer,
        expected.learning_rate,
        progress.steps,
        optimizer.to_vec(),
    )
    .map_err(ProgressError::Optimizer)?;
    Ok((progress, trainer))
}

impl From<FrameError> for ProgressError {
    fn from(err: FrameError) -> Self {
        match err {
            FrameError::Foreign => ProgressError::NotProgress,
            FrameError::UnsupportedVersion { found } => ProgressError::UnsupportedVersion { found },
            FrameError::TooLarge { found } => ProgressError::TooLarge { found },
            FrameError::Truncated { needed, found } => ProgressError::Truncated { needed, found },
            FrameError::TrailingBytes { declared, extra } => {
                ProgressError::TrailingBytes { declared, extra }
            }
            FrameError::Corrupt { expected, found } => ProgressError::Corrupt { expected, found },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AutoencoderConfig;
    use burn::tensor::{Tensor, TensorData};

    fn settings(decoder: DecoderKind, optimizer: OptimizerKind) -> RunSettings {
        RunSettings {
            decoder,
            optimizer,
            learning_rate: optimizer.default_learning_rate(),
            batch_size: 4,
            seed: 3,
            train_len: 4,
            continued: false,
        }
    }

    fn batch(shift: usize, device: &Device) -> Tensor<4> {
        let values: Vec<f32> = (0..4 * 784)
            .map(|i| (((i + shift) * 37) % 255) as f32 / 255.0)
            .collect();
        Tensor::from_data(TensorData::new(values, [4, 1, 28, 28]), device)
    }

    fn refused(bytes: &[u8], settings: &RunSettings, autodiff: &Device) -> ProgressError {
        match decode(bytes, settings, autodiff) {
            Ok(_) => panic!("{} bytes were accepted", bytes.len()),
            Err(err) => err,
        }
    }

    fn parameters(trainer: &Trainer) -> Vec<u8> {
        let info = WeightsInfo {
            decoder: DecoderKind::Upsample,
            seed: 0,
            training: None,
            test_bce: None,
        };
        weights::encode(trainer.inference_model(), &info).unwrap()
    }

    fn saved(settings: &RunSettings, trainer: &Trainer) -> Vec<u8> {
        let progress = Progress {
            settings: settings.clone(),
            epochs_done: 2,
            steps: trainer.steps(),
            train_seconds: 1.5,
            log_lines: 5,
            test_bce: 0.2,
        };
        let info = WeightsInfo {
            decoder: settings.decoder,
            seed: settings.seed,
            training: None,
            test_bce: None,
        };
        encode(&progress, trainer, &info).unwrap()
    }

    /// Two steps, save, two more, against four straight: the same bits, for
    /// both optimizers (their running averages must survive the file).
    #[test]
    fn a_resumed_run_ends_where_an_uninterrupted_one_does() {
        let autodiff = Device::flex().autodiff();
        for optimizer in [OptimizerKind::Adam, OptimizerKind::Adadelta] {
            let settings = settings(DecoderKind::Transposed, optimizer);
            let model = AutoencoderConfig::new(settings.decoder)
                .with_seed(settings.seed)
                .init(&autodiff);
            let mut straight = Trainer::new(model, optimizer, settings.learning_rate);
            for shift in 0..2 {
                straight.step(batch(shift, &autodiff));
            }
            let bytes = saved(&settings, &straight);
            for shift in 2..4 {
                straight.step(batch(shift, &autodiff));
            }

            let (progress, mut resumed) = decode(&bytes, &settings, &autodiff).unwrap();
            assert_eq!((progress.epochs_done, progress.steps), (2, 2));
            for shift in 2..4 {
                resumed.step(batch(shift, &autodiff));
            }
            assert_eq!(resumed.steps(), 4);
            assert!(
                parameters(&resumed) == parameters(&straight),
                "{optimizer}: resumed weights differ"
            );

            // A fresh optimizer on the saved weights drifts: the check above
            // would catch running averages lost in the file.
            let (_, from_weights) = decode(&bytes, &settings, &autodiff).unwrap();
            let mut restarted = from_weights.with_optimizer(optimizer, settings.learning_rate);
            for shift in 2..4 {
                restarted.step(batch(shift, &autodiff));
            }
            assert!(
                parameters(&restarted) != parameters(&straight),
                "{optimizer}"
            );
        }
    }

    #[test]
    fn another_runs_file_and_bad_bytes_are_refused_clearly() {
        let autodiff = Device::flex().autodiff();
        let settings = settings(DecoderKind::Upsample, OptimizerKind::Adam);
        let model = AutoencoderConfig::new(settings.decoder).init(&autodiff);
        let mut trainer = Trainer::new(model, settings.optimizer, settings.learning_rate);
        trainer.step(batch(0, &autodiff));
        let bytes = saved(&settings, &trainer);

        let other = RunSettings {
            batch_size: 8,
            ..settings.clone()
        };
        let err = refused(&bytes, &other, &autodiff);
        assert!(matches!(err, ProgressError::OtherRun { .. }), "{err}");
        assert!(err.to_string().contains("batch_size: 4"), "{err}");

        for cut in [9, 12, 40, bytes.len() / 2, bytes.len() - 1] {
            let err = refused(&bytes[..cut], &settings, &autodiff);
            assert!(
                matches!(err, ProgressError::Truncated { .. }),
                "{cut}: {err}"
            );
        }
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x10;
        assert!(matches!(
            refused(&flipped, &settings, &autodiff),
            ProgressError::Corrupt { .. }
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            refused(&longer, &settings, &autodiff),
            ProgressError::TrailingBytes { extra: 1, .. }
        ));
        let mut future = bytes.clone();
        future[8] = 7;
        assert!(matches!(
            refused(&future, &settings, &autodiff),
            ProgressError::UnsupportedVersion { found: 7 }
        ));
        for garbage in [&b""[..], b"CHKRLAB\n a weights file", b"\x7fELF"] {
            assert!(matches!(
                refused(garbage, &settings, &autodiff),
                ProgressError::NotProgress
            ));
        }
        let mut huge = bytes.clone();
        huge[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            refused(&huge, &settings, &autodiff),
            ProgressError::Truncated { needed, .. } if needed > u64::from(u32::MAX)
        ));
    }

    /// A well-framed file whose optimizer section is not burnpack: an error,
    /// not a panic inside Burn's loader.
    #[test]
    fn a_crafted_optimizer_section_is_an_error() {
        let autodiff = Device::flex().autodiff();
        let settings = settings(DecoderKind::Upsample, OptimizerKind::Adam);
        let model = AutoencoderConfig::new(settings.decoder).init(&autodiff);
        let trainer = Trainer::new(model, settings.optimizer, settings.learning_rate);
        let bytes = saved(&settings, &trainer);
        let [state, weights_bytes, _]: [&[u8]; 3] =
            framing::read(&bytes, MAGIC, FORMAT_VERSION, MAX_FILE_LEN).unwrap();
        let crafted = framing::write(
            MAGIC,
            FORMAT_VERSION,
            &[state, weights_bytes, b"not burnpack at all"],
        );
        let err = refused(&crafted, &settings, &autodiff);
        assert!(matches!(err, ProgressError::Optimizer(_)), "{err}");
    }
}
