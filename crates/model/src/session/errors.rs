//! Why a session call did nothing.

use crate::foreign::ForeignError;
use crate::mnist::MnistError;
use crate::weights::WeightsError;

/// Why a session call did nothing. Every variant leaves the session as it was.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("the MNIST {0} digits are not loaded yet")]
    NotLoaded(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("the lab is busy with another call; wait for it to finish")]
    Busy,
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Mnist(#[from] MnistError),
    #[error(transparent)]
    Foreign(#[from] ForeignError),
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
        "the second worker failed ({0}); every model in training was rolled back to \
         before this chunk"
    )]
    Helper(String),
    #[error("the second worker failed ({0}) on its share of the reconstructions")]
    HelperReconstruction(String),
    #[error(
        "reading results from the device failed ({0}); the GPU may have been lost: reload the \
         page, or add ?backend=cpu to its address to run on the CPU"
    )]
    Read(String),
}

pub(super) fn invalid(message: impl Into<String>) -> LabError {
    LabError::Invalid(message.into())
}
