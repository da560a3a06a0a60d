//! What the page may ask for at most in one call, so no argument can make
//! a call run for minutes or allocate without bound. The session, the
//! second worker's requests and the CLI's arguments check against them; the
//! page reads them from the catalog.

use crate::DecoderKind;

/// Training steps per call, one model's step each: 200 of every
/// decoder's model at once. The page trains in chunks of a few.
pub const MODEL_STEPS_PER_CALL: u32 = 200 * DecoderKind::ALL.len() as u32;
pub const BATCH_SIZE: usize = 512;
/// Above this Adam and Adadelta only diverge.
pub const LEARNING_RATE: f64 = 100.0;
pub const WALK_STEPS: std::ops::RangeInclusive<usize> = 2..=16;
/// A seed travels through JavaScript numbers: keep it exact there.
pub const SEED: u64 = (1 << 53) - 1;
