//! Checkerlab's model core: the convolutional autoencoder of "Building
//! Autoencoders in Keras" (2016) with its decoders side by side, everything
//! needed to train and judge them, and nothing that knows about JavaScript.
//!
//! - [`AutoencoderConfig`] builds the model for a [`DecoderKind`] and a seed;
//! - [`Trainer`] runs one gradient step and hands back the loss as a tensor;
//!   [`data_parallel`] splits one between two workers, which talk through
//!   [`helper_protocol`];
//! - [`meters`] measures checkerboard artifacts;
//! - [`mnist`] reads the IDX files; [`weights`] the `.ckpt` files; [`progress`]
//!   a training run stopped after an epoch, to resume; [`foreign`] models
//!   trained in Keras or PyTorch;
//! - [`session`] holds a lab's models and runs its experiments, for the browser;
//!   [`backend`] starts the device it runs on (WebGPU with the `webgpu` feature).
//!
//! Everything runs on any Burn [`Device`](burn::tensor::Device): the tests use
//! the CPU (`Device::flex()`), the browser WebGPU.

pub mod activation;
pub mod adadelta;
pub mod autoencoder;
pub mod backend;
pub mod conv;
pub mod data_parallel;
pub mod decoder;
pub mod encoder;
pub mod evaluation;
pub mod flat_optimizer;
pub mod foreign;
pub mod framing;
pub mod gradient_check;
pub mod helper_protocol;
pub mod host;
pub mod init;
pub mod layout;
pub mod limits;
pub mod loss;
pub mod meters;
pub mod mnist;
pub mod parameters;
pub mod pool;
pub mod progress;
pub mod reconstruction;
pub mod replay;
pub mod resample;
pub mod session;
pub mod train;
pub mod weights;

pub use autoencoder::{Autoencoder, AutoencoderConfig, IMAGE_LEN, IMAGE_SIDE};
pub use decoder::DecoderKind;
pub use encoder::{CODE_CHANNELS, CODE_LEN, CODE_SIDE};
pub use loss::bce_with_logits;
pub use meters::CheckerboardMeters;
pub use train::{OptimizerKind, Trainer};
