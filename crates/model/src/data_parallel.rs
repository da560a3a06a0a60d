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
//! (4,385 to 4,961 floats), so it can never drift from the model it helps.

use std::future::Future;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData, Transaction};

use crate::evaluation::images_tensor;
use crate::session::{Reconstruction, limits, read_reconstruction, register_reconstruction};
use crate::train::gradients;
use crate::{Autoencoder, AutoencoderConfig, DecoderKind, IMAGE_LEN};

/// Half a batch to take the gradient of, with the parameters to take it at.
#[derive(Debug, Clone)]
pub struct HalfBatch {
    pub decoder: DecoderKind,
    /// Every parameter of the model, in [`parameters`]' order.
    pub parameters: Vec<f32>,
    /// The images, 784 intensities each, back to back.
    pub images: Vec<f32>,
}

/// What a helper makes of a [`HalfBatch`].
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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

/// The helper's side: one model per decoder on Burn's CPU backend, its
/// parameters replaced by each request's.
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
        let at = model_index(work.decoder);
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
        let at = model_index(decoder);
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
            let count = self.models[model_index(*decoder)].num_params();
            if parameters.len() != count {
                return Err(format!(
                    "the {decoder} decoder's model has {count} parameters, not {}",
                    parameters.len()
                ));
            }
        }
        let image = work.image.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        let input = images_tensor(image, &self.device.clone().without_autodiff()); // [1, 1, 28, 28]
        let mut transaction = Transaction::default();
        for (decoder, parameters) in &work.models {
            let model = self.models[model_index(*decoder)].clone();
            let model = with_parameters(model, parameters, &self.device).valid();
            transaction = register_reconstruction(&model, input.clone(), transaction);
        }
        let mut data = transaction.execute().into_iter();
        work.models
            .iter()
            .map(|(decoder, _)| {
                read_reconstruction(*decoder, &mut data).map_err(|err| err.to_string())
            })
            .collect()
    }
}

/// Where `decoder`'s model is in a [`HelperWorker`]: its models follow
/// [`DecoderKind::ALL`].
fn model_index(decoder: DecoderKind) -> usize {
    DecoderKind::ALL
        .iter()
        .position(|kind| *kind == decoder)
        .unwrap_or_default()
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

/// Every parameter of `model`, flattened in visiting order. Reads
/// synchronously: the CPU backend only.
pub fn parameters(model: &Autoencoder) -> Vec<f32> {
    struct Gather(Option<Transaction>);
    impl ModuleVisitor for Gather {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let transaction = self.0.take().unwrap_or_default();
            self.0 = Some(transaction.register(param.val()));
        }
    }
    let mut gather = Gather(None);
    model.visit(&mut gather);
    gather
        .0
        .unwrap_or_default()
        .execute()
        .into_iter()
        .flat_map(|data| data.try_into_vec::<f32>().unwrap_or_default())
        .collect()
}

/// `model` with its parameters taken in order from `values` (as many as it
/// has), each ready for autodiff on `device`, their ids kept.
fn with_parameters(model: Autoencoder, values: &[f32], device: &Device) -> Autoencoder {
    struct Replace<'a> {
        values: &'a [f32],
        device: &'a Device,
    }
    impl ModuleMapper for Replace<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, _) = param.consume();
            let shape = tensor.shape();
            let (these, rest) = self
                .values
                .split_at(shape.num_elements().min(self.values.len()));
            self.values = rest;
            let value = Tensor::from_data(TensorData::new(these.to_vec(), shape), self.device);
            Param::initialized(id, value.require_grad())
        }
    }
    model.map(&mut Replace { values, device })
}

/// The gradient of every parameter of `model`, flattened like
/// [`parameters`]; zeros for one without a gradient. Reads synchronously.
pub fn flatten(model: &Autoencoder, grads: &GradientsParams) -> Vec<f32> {
    struct Flatten<'a> {
        grads: &'a GradientsParams,
        values: Vec<f32>,
    }
    impl ModuleVisitor for Flatten<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            match self.grads.get::<D>(param.id) {
                Some(grad) => self
                    .values
                    .extend(grad.into_data().try_into_vec::<f32>().unwrap_or_default()),
                None => self
                    .values
                    .extend(std::iter::repeat_n(0.0, param.val().shape().num_elements())),
            }
        }
    }
    let mut flatten = Flatten {
        grads,
        values: Vec::new(),
    };
    model.visit(&mut flatten);
    flatten.values
}

/// `own * own_share + theirs * (1 - own_share)` for every parameter of
/// `model`: two halves' gradients as the whole batch's. `theirs` is
/// flattened like [`parameters`], and must hold as many values.
pub fn combine(
    model: &Autoencoder,
    mut own: GradientsParams,
    theirs: &[f32],
    own_share: f32,
) -> GradientsParams {
    struct Combine<'a> {
        own: &'a mut GradientsParams,
        theirs: &'a [f32],
        own_share: f32,
        combined: GradientsParams,
    }
    impl ModuleVisitor for Combine<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let shape = param.val().shape();
            let (these, rest) = self
                .theirs
                .split_at(shape.num_elements().min(self.theirs.len()));
            self.theirs = rest;
            let Some(own) = self.own.remove::<D>(param.id) else {
                return;
            };
            let theirs =
                Tensor::<D>::from_data(TensorData::new(these.to_vec(), shape), &own.device());
            self.combined.register(
                param.id,
                own.mul_scalar(self.own_share) + theirs.mul_scalar(1.0 - self.own_share),
            );
        }
    }
    let mut combine = Combine {
        own: &mut own,
        theirs,
        own_share,
        combined: GradientsParams::new(),
    };
    model.visit(&mut combine);
    combine.combined
}
