//! Data-parallel steps: a batch split in two, the gradient of one half
//! computed by a helper (in the browser, a second worker on the other core)
//! while this thread computes the other's, then one optimizer step with
//! their mean weighted by the halves' sizes, which is the whole batch's
//! gradient up to rounding. The same helper makes the later, smaller share
//! of the shown decoders' reconstructions of a drawing
//! ([`SharedReconstruction`]).
//!
//! wasm in the browser runs one thread per worker, and Burn's CPU backend
//! parallelises only large operations; a step of this model at batch 128
//! has none, so the second core helps only by taking half the batch. The
//! helper holds no state: every request carries the model's parameters
//! (4,385 to 10,076 floats, by decoder), so it can never drift from the model
//! it helps.

use std::future::Future;

use burn::module::Module;
use burn::tensor::{Device, Transaction};
use serde::{Deserialize, Serialize};

use crate::evaluation::images_tensor;
use crate::limits;
use crate::parameters::{flatten, parameters, with_parameters};
use crate::reconstruction::{self, Reconstruction};
use crate::train::gradients;
use crate::{Autoencoder, AutoencoderConfig, DecoderKind, IMAGE_LEN};

/// Half a batch to take the gradient of, with the parameters to take it at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HalfBatch {
    pub decoder: DecoderKind,
    /// Every parameter of the model, in [`parameters`]' order.
    pub parameters: Vec<f32>,
    /// The images, 784 intensities each, back to back.
    pub images: Vec<f32>,
}

/// What a helper makes of a [`HalfBatch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HalfGradients {
    /// The half's mean per-pixel BCE.
    pub loss: f32,
    /// The gradient of that loss, in the parameters' order.
    pub gradients: Vec<f32>,
}

/// Computes half a batch's gradient elsewhere. `start` sends the work at
/// once, so that it runs while the caller computes its own half; the reply
/// resolves when it is done, or to why it failed.
pub trait GradientHelper {
    type Reply: Future<Output = Result<HalfGradients, String>>;

    fn start(&mut self, work: HalfBatch) -> Self::Reply;
}

/// Some of the shown decoders' reconstructions of one image, for a helper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedReconstruction {
    /// Each decoder with every parameter of its model, in [`parameters`]' order.
    pub models: Vec<(DecoderKind, Vec<f32>)>,
    /// 784 intensities in `[0, 1]`.
    pub image: Vec<f32>,
}

/// Reconstructs elsewhere, like [`GradientHelper`]: `start` sends the work
/// at once; the reply holds one reconstruction per model sent, in order.
pub trait ReconstructionHelper {
    type Reply: Future<Output = Result<Vec<Reconstruction>, String>>;

    fn start(&mut self, work: SharedReconstruction) -> Self::Reply;
}

/// The helper's side: one model per decoder on Burn's CPU backend, in
/// [`DecoderKind::ALL`]'s order, its parameters replaced by each request's.
pub struct HelperWorker {
    device: Device,
    models: Vec<Autoencoder>,
}

impl Default for HelperWorker {
    fn default() -> Self {
        Self::new()
    }
}

impl HelperWorker {
    pub fn new() -> Self {
        let device = Device::flex().autodiff();
        let models = DecoderKind::ALL
            .into_iter()
            .map(|kind| AutoencoderConfig::new(kind).init(&device))
            .collect();
        Self { device, models }
    }

    /// The mean loss of `work.images` and its gradient at `work.parameters`.
    /// A request of the wrong size is refused and changes nothing.
    pub fn gradients(&self, work: HalfBatch) -> Result<HalfGradients, String> {
        let at = work.decoder.index();
        let count = self.models[at].num_params();
        if work.parameters.len() != count {
            return Err(format!(
                "the {} decoder's model has {count} parameters, not {}",
                work.decoder,
                work.parameters.len()
            ));
        }
        let images = work.images.len() / IMAGE_LEN;
        if !(1..=limits::BATCH_SIZE).contains(&images)
            || !work.images.len().is_multiple_of(IMAGE_LEN)
        {
            return Err(format!(
                "a half batch holds 1 to {} whole images of {IMAGE_LEN} values, not {} values",
                limits::BATCH_SIZE,
                work.images.len()
            ));
        }
        let model = with_parameters(self.models[at].clone(), &work.parameters, &self.device);
        let (loss, grads) = gradients(&model, images_tensor(work.images, &self.device));
        let loss = loss.into_scalar::<f32>();
        let gradients = flatten(&model, &grads);
        Ok(HalfGradients { loss, gradients })
    }

    /// Takes the gradient of `images` made-up digits through `decoder`'s
    /// model and drops it. In the browser a worker's wasm starts in a
    /// baseline tier and is compiled to optimised code only once it has run
    /// a while, which made the first training steps after load take twice
    /// as long; the lab's worker shares this worker's compiled module, so
    /// steps taken here while the page is idle speed up both.
    pub fn warm_up(&self, decoder: DecoderKind, images: usize) -> Result<(), String> {
        // Refused before the images are made, however many were asked for.
        if !(1..=limits::BATCH_SIZE).contains(&images) {
            return Err(format!(
                "a warm-up takes 1 to {} images, not {images}",
                limits::BATCH_SIZE
            ));
        }
        let at = decoder.index();
        let parameters = parameters(&self.models[at]);
        // Any values will do; these are spread over [0, 1] like intensities.
        let images = (0..images * IMAGE_LEN)
            .map(|i| (i * 7919 % 256) as f32 / 255.0)
            .collect();
        self.gradients(HalfBatch {
            decoder,
            parameters,
            images,
        })
        .map(|_| ())
    }

    /// Each of `work.models` reconstructing `work.image` at its parameters,
    /// computed as the session computes its own. A request that names a
    /// decoder twice, or carries the wrong number of values, is refused.
    pub fn reconstruct(&self, work: SharedReconstruction) -> Result<Vec<Reconstruction>, String> {
        if work.image.len() != IMAGE_LEN || work.image.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "an image to reconstruct holds {IMAGE_LEN} finite values, not {} values",
                work.image.len()
            ));
        }
        let mut seen = Vec::new();
        for (decoder, parameters) in &work.models {
            if seen.contains(decoder) {
                return Err(format!("the {decoder} decoder was asked for twice"));
            }
            seen.push(*decoder);
            let count = self.models[decoder.index()].num_params();
            if parameters.len() != count {
                return Err(format!(
                    "the {decoder} decoder's model has {count} parameters, not {}",
                    parameters.len()
                ));
            }
        }
        let image: Vec<f32> = work.image.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        let input = images_tensor(image.clone(), &self.device.clone().without_autodiff()); // [1, 1, 28, 28]
        let mut transaction = Transaction::default();
        for (decoder, parameters) in &work.models {
            let model = self.models[decoder.index()].clone();
            let model = with_parameters(model, parameters, &self.device).valid();
            transaction = reconstruction::register(&model, input.clone(), transaction);
        }
        let mut data = transaction.execute().into_iter();
        work.models
            .iter()
            .map(|(decoder, _)| reconstruction::read(*decoder, &mut data, &image))
            .collect()
    }
}

/// A native helper that computes on the calling thread, for tests.
impl GradientHelper for HelperWorker {
    type Reply = std::future::Ready<Result<HalfGradients, String>>;

    fn start(&mut self, work: HalfBatch) -> Self::Reply {
        std::future::ready(self.gradients(work))
    }
}

/// A native helper that reconstructs on the calling thread, for tests.
impl ReconstructionHelper for HelperWorker {
    type Reply = std::future::Ready<Result<Vec<Reconstruction>, String>>;

    fn start(&mut self, work: SharedReconstruction) -> Self::Reply {
        std::future::ready(self.reconstruct(work))
    }
}
