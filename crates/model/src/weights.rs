//! The `.ckpt` weights file: a checked header naming the decoder, then Burn's
//! burnpack record of the parameters, in the shared frame ([`framing`]).
//!
//! ```text
//! offset  size  field
//! 0       8     magic "CHKRLAB\n"
//! 8       2     format version, u16 little-endian (this reader: 1)
//! 10      4     metadata length M, u32 LE
//! 14      M     metadata, JSON (`WeightsInfo`: decoder kind, seed, training recipe, test BCE)
//! 14+M    4     payload length P, u32 LE
//! 18+M    P     burnpack bytes (`ModuleRecord`)
//! 18+M+P  4     CRC-32 of every byte before it
//! ```
//!
//! [`framing`]: crate::framing

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::autoencoder::{Autoencoder, AutoencoderConfig};
use crate::decoder::DecoderKind;
use crate::framing::{self, FrameError};
use crate::train::OptimizerKind;

const MAGIC: &[u8; 8] = b"CHKRLAB\n";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// The largest weights file read: the biggest model's is under 50 kB, so
/// anything near this is not a weights file and is refused before parsing.
pub const MAX_FILE_LEN: usize = 16 << 20;

/// What a weights file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    pub decoder: DecoderKind,
    /// Seed of the initial weights the training started from.
    pub seed: u64,
    /// How the weights were trained; `None` for an untrained model.
    pub training: Option<TrainingRecipe>,
    /// Mean BCE on the 10,000 MNIST test digits, measured when saved.
    pub test_bce: Option<f64>,
}

/// The recipe behind a weights file, enough to train it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecipe {
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub steps: u64,
    /// The training these weights started from, when they continued another run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued_from: Option<Box<TrainingRecipe>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("not a Checkerlab weights file (it does not start with the CHKRLAB header)")]
    NotWeights,
    #[error(
        "weights file format version {found} is not supported (this build reads version {FORMAT_VERSION})"
    )]
    UnsupportedVersion { found: u16 },
    #[error("a weights file is at most {MAX_FILE_LEN} bytes; this one is {found}")]
    TooLarge { found: usize },
    #[error("weights file is truncated: {needed} bytes needed, {found} present")]
    Truncated { needed: u64, found: usize },
    #[error("weights file has {extra} bytes after its end (the header declares {declared})")]
    TrailingBytes { declared: u64, extra: u64 },
    #[error("weights file is corrupt: checksum 0x{found:08x} does not match 0x{expected:08x}")]
    Corrupt { expected: u32, found: u32 },
    #[error("weights file has unreadable metadata: {0}")]
    Metadata(String),
    #[error("these weights are for the '{found}' decoder, not '{expected}'")]
    WrongDecoder {
        expected: DecoderKind,
        found: DecoderKind,
    },
    #[error("weights do not fit the '{decoder}' model: {reason}")]
    Mismatch {
        decoder: DecoderKind,
        reason: String,
    },
}

/// Serialises `model` with `info`. The model's parameters are read
/// synchronously, so on WebGPU copy them to a CPU model first.
pub fn encode(model: Autoencoder, info: &WeightsInfo) -> Result<Vec<u8>, WeightsError> {
    let payload = model
        .into_record()
        .into_bytes()
        .map_err(|err| WeightsError::Mismatch {
            decoder: info.decoder,
            reason: err.to_string(),
        })?;
    let metadata =
        serde_json::to_vec(info).map_err(|err| WeightsError::Metadata(err.to_string()))?;
    Ok(framing::write(
        MAGIC,
        FORMAT_VERSION,
        &[&metadata, &payload],
    ))
}

/// Whether `bytes` start as a Checkerlab weights file does (and so are
/// not another framework's).
pub fn is_weights_file(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Reads the metadata without building a model.
pub fn read_info(bytes: &[u8]) -> Result<WeightsInfo, WeightsError> {
    split(bytes).map(|(info, _)| info)
}

/// Builds the model a weights file holds on `device`, checking that it is
/// for `expected` (pass the kind the caller is about to show or train).
pub fn decode(
    bytes: &[u8],
    expected: DecoderKind,
    device: &Device,
) -> Result<(Autoencoder, WeightsInfo), WeightsError> {
    let (info, payload) = split(bytes)?;
    if info.decoder != expected {
        return Err(WeightsError::WrongDecoder {
            expected,
            found: info.decoder,
        });
    }
    let mismatch = |err: burn::store::RecordError| WeightsError::Mismatch {
        decoder: info.decoder,
        reason: err.to_string(),
    };
    let record =
        ModuleRecord::from_bytes(Bytes::from_bytes_vec(payload.to_vec())).map_err(mismatch)?;
    let model = AutoencoderConfig::new(info.decoder)
        .with_seed(info.seed)
        .init(device)
        .try_load_record(record)
        .map_err(mismatch)?;
    Ok((model, info))
}

fn split(bytes: &[u8]) -> Result<(WeightsInfo, &[u8]), WeightsError> {
    let [metadata, payload] = framing::read(bytes, MAGIC, FORMAT_VERSION, MAX_FILE_LEN)?;
    let info: WeightsInfo =
        serde_json::from_slice(metadata).map_err(|err| WeightsError::Metadata(err.to_string()))?;
    Ok((info, payload))
}

impl From<FrameError> for WeightsError {
    fn from(err: FrameError) -> Self {
        match err {
            FrameError::Foreign => WeightsError::NotWeights,
            FrameError::UnsupportedVersion { found } => WeightsError::UnsupportedVersion { found },
            FrameError::TooLarge { found } => WeightsError::TooLarge { found },
            FrameError::Truncated { needed, found } => WeightsError::Truncated { needed, found },
            FrameError::TrailingBytes { declared, extra } => {
                WeightsError::TrailingBytes { declared, extra }
            }
            FrameError::Corrupt { expected, found } => WeightsError::Corrupt { expected, found },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Tensor, TensorData};

    fn info(decoder: DecoderKind) -> WeightsInfo {
        WeightsInfo {
            decoder,
            seed: 11,
            training: Some(TrainingRecipe {
                optimizer: OptimizerKind::Adam,
                learning_rate: 1e-3,
                batch_size: 128,
                epochs: 1,
                steps: 469,
                continued_from: None,
            }),
            test_bce: Some(0.1),
        }
    }

    fn probe(device: &Device) -> Tensor<4> {
        let values: Vec<f32> = (0..2 * 784)
            .map(|i| ((i * 37) % 255) as f32 / 255.0)
            .collect();
        Tensor::from_data(TensorData::new(values, [2, 1, 28, 28]), device)
    }

    fn saved(decoder: DecoderKind, device: &Device) -> (Autoencoder, Vec<u8>) {
        // A seed other than the one in `info`: loading must not just re-seed.
        let model = AutoencoderConfig::new(decoder).with_seed(99).init(device);
        let bytes = encode(model.clone(), &info(decoder)).unwrap();
        (model, bytes)
    }

    #[test]
    fn round_trip_gives_identical_outputs_for_every_decoder() {
        let device = Device::flex();
        for decoder in DecoderKind::ALL {
            let (model, bytes) = saved(decoder, &device);
            // Four bytes a parameter, plus the header and burnpack's tensor index.
            let limit = model.num_params() * 4 + 4_000;
            assert!(bytes.len() < limit, "{decoder}: {} bytes", bytes.len());
            let (loaded, loaded_info) = decode(&bytes, decoder, &device).unwrap();
            assert_eq!(loaded_info, info(decoder));
            let before: Vec<f32> = model
                .forward(probe(&device))
                .into_data()
                .try_to_vec()
                .unwrap();
            let after: Vec<f32> = loaded
                .forward(probe(&device))
                .into_data()
                .try_to_vec()
                .unwrap();
            assert_eq!(before, after);
        }
    }

    #[test]
    fn the_other_decoders_file_is_refused_by_name() {
        let device = Device::flex();
        let (_, bytes) = saved(DecoderKind::Transposed, &device);
        let err = decode(&bytes, DecoderKind::Upsample, &device).unwrap_err();
        assert!(matches!(err, WeightsError::WrongDecoder { .. }));
        assert_eq!(
            err.to_string(),
            "these weights are for the 'transposed' decoder, not 'upsample'"
        );
    }

    #[test]
    fn truncation_corruption_version_and_garbage_give_clear_errors() {
        let device = Device::flex();
        let (_, bytes) = saved(DecoderKind::Upsample, &device);
        let kind = DecoderKind::Upsample;

        for cut in [12, 20, bytes.len() / 2, bytes.len() - 1] {
            let err = decode(&bytes[..cut], kind, &device).unwrap_err();
            assert!(
                matches!(err, WeightsError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
        }

        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        assert!(matches!(
            decode(&flipped, kind, &device).unwrap_err(),
            WeightsError::Corrupt { .. }
        ));

        let mut future = bytes.clone();
        future[8] = 9;
        let err = decode(&future, kind, &device).unwrap_err();
        assert!(matches!(err, WeightsError::UnsupportedVersion { found: 9 }));
        assert!(err.to_string().contains("version 9"));

        assert!(matches!(
            decode(b"PK\x03\x04 a zip, say", kind, &device).unwrap_err(),
            WeightsError::NotWeights
        ));
        assert!(matches!(
            decode(&[], kind, &device).unwrap_err(),
            WeightsError::NotWeights
        ));

        let mut longer = bytes.clone();
        longer.extend(b"!!");
        let err = decode(&longer, kind, &device).unwrap_err();
        assert!(
            matches!(err, WeightsError::TrailingBytes { extra: 2, .. }),
            "{err}"
        );
    }

    /// Lengths near u32::MAX wrapped the offset arithmetic on 32-bit wasm.
    #[test]
    fn huge_declared_lengths_are_truncation_not_arithmetic() {
        let device = Device::flex();
        let (_, bytes) = saved(DecoderKind::Upsample, &device);
        let metadata_len = u32::from_le_bytes(bytes[10..14].try_into().unwrap()) as usize;
        for (at, value) in [
            (10, u32::MAX),
            (10, u32::MAX - 17),
            (14 + metadata_len, u32::MAX),
        ] {
            let mut crafted = bytes.clone();
            crafted[at..at + 4].copy_from_slice(&value.to_le_bytes());
            let err = decode(&crafted, DecoderKind::Upsample, &device).unwrap_err();
            assert!(
                matches!(err, WeightsError::Truncated { needed, .. } if needed > u64::from(u32::MAX)),
                "{value} at {at}: {err}"
            );
        }
    }

    #[test]
    fn read_info_needs_no_model() {
        let device = Device::flex();
        let (_, bytes) = saved(DecoderKind::Transposed, &device);
        assert_eq!(read_info(&bytes).unwrap().decoder, DecoderKind::Transposed);
    }
}
