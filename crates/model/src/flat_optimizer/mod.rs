//! One optimizer step for the whole model at once.
//!
//! Burn's `ModuleOptimizer` steps each parameter tensor on its own, and Adam
//! is 13 element-wise kernels per tensor. On WebGPU a kernel costs what
//! issuing it costs (a bind group, a dispatch, wgpu's and Dawn's checks)
//! far more than its arithmetic on a few thousand floats, so the optimizer
//! of a model of 14 tensors was 182 of a training step's 328 dispatches.
//! Here the gradients are laid end to end in one vector, the same
//! per-tensor rule (Burn's [`Adam`], our [`Adadelta`]) steps that vector
//! once, and every parameter becomes a view of the result: element by
//! element the same arithmetic, in a fifth of the dispatches.
//!
//! Off the CPU, each convolution kernel lies in the vector channels last
//! (`[out, k, k, in]`), and its parameter is that slice seen through a
//! permutation: Burn's GPU convolutions take kernels channels last and
//! otherwise copy every kernel on every call, forward and backward, and the
//! gradients arrive channels last too. The CPU backend keeps the usual order.
//!
//! The running averages are saved as `ModuleOptimizer` saves them (a
//! burnpack with one state per parameter id, channels first), so a saved
//! run loads with either.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{
    Adam, AdamConfig, AdamState, AdaptiveMomentumState, GradientsParams, Optimizer, RecordState,
    StateSink, StateSource,
};
use burn::tensor::{Bytes, DType, Device, Tensor, TensorData};
use burn_pack::Scalar;

use crate::adadelta::{Adadelta, AdadeltaConfig, AdadeltaState};
use crate::autoencoder::Autoencoder;
use crate::backend::is_cpu;
use crate::layout::{TO_CHANNELS_FIRST, TO_CHANNELS_LAST};
use crate::train::OptimizerKind;

mod replayed;
pub use replayed::ReplayedSteps;

/// Every parameter starts at a multiple of this many floats (256 bytes,
/// WebGPU's largest storage-buffer offset alignment). Burn's GPU backend
/// takes a slice as a view of the same buffer, not a copy, where both its
/// ends are aligned: so for every kernel but the first and last layers',
/// whose lengths are multiples of it too.
const ALIGNMENT: usize = 64;

/// The key `ModuleOptimizer` saves each parameter's rank under.
const RANK_KEY: &str = "__rank";

/// Where one parameter lies in the flat vector.
#[derive(Clone, Debug, PartialEq)]
struct Slot {
    id: ParamId,
    /// The parameter's shape.
    dims: Vec<usize>,
    start: usize,
    /// Whether it lies channels last (a rank-4 kernel off the CPU).
    channels_last: bool,
}

impl Slot {
    fn len(&self) -> usize {
        self.dims.iter().product()
    }

    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len()
    }

    /// `axes` where the slot lies channels last, else no permutation.
    fn axes<const D: usize>(&self, axes: [usize; 4]) -> [isize; D] {
        std::array::from_fn(|i| match self.channels_last {
            true => axes[i] as isize,
            false => i as isize,
        })
    }

    /// A parameter's value (or gradient) in the slot's order: a view where
    /// it already lies so, else a copy.
    fn laid<const D: usize>(&self, tensor: Tensor<D>) -> Tensor<1> {
        tensor
            .permute(self.axes::<D>(TO_CHANNELS_LAST))
            .reshape([self.len()])
    }

    /// The parameter's value from its slice of the vector.
    fn value<const D: usize>(&self, flat: &Tensor<1>) -> Tensor<D> {
        let axes = self.axes::<D>(TO_CHANNELS_LAST);
        let laid: [usize; D] = std::array::from_fn(|i| self.dims[axes[i] as usize]);
        flat.clone()
            .slice([self.range()])
            .reshape(laid)
            .permute(self.axes::<D>(TO_CHANNELS_FIRST))
    }

    /// Where each of the parameter's values, in its own order, lies in the
    /// slot: the identity but for a kernel laid channels last.
    fn laid_indices(&self) -> Vec<usize> {
        if !self.channels_last {
            return (0..self.len()).collect();
        }
        let [out, inp, kh, kw] = [self.dims[0], self.dims[1], self.dims[2], self.dims[3]];
        let mut indices = Vec::with_capacity(self.len());
        for o in 0..out {
            for i in 0..inp {
                for y in 0..kh {
                    for x in 0..kw {
                        indices.push(((o * kh + y) * kw + x) * inp + i);
                    }
                }
            }
        }
        indices
    }

    /// The slot's values (in its order) in the parameter's own order.
    fn channels_first(&self, laid: &[f32]) -> Vec<f32> {
        self.laid_indices().into_iter().map(|at| laid[at]).collect()
    }

    /// The parameter's values (in its own order) in the slot's order.
    fn channels_last(&self, values: &[f32]) -> Vec<f32> {
        let mut laid = vec![0f32; values.len()];
        for (value, at) in values.iter().zip(self.laid_indices()) {
            laid[at] = *value;
        }
        laid
    }
}

/// The model's parameters, in the order `Module::visit` and `Module::map`
/// walk them, each at an aligned offset of one vector of `len` floats.
#[derive(Clone, Debug, PartialEq)]
struct Layout {
    slots: Vec<Slot>,
    len: usize,
}

impl Layout {
    fn of(model: &Autoencoder, kernels_channels_last: bool) -> Self {
        struct Collect(Layout, bool);
        impl ModuleVisitor for Collect {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let dims = param.shape().to_vec();
                let len = dims.iter().product::<usize>();
                let start = self.0.len;
                self.0.len = start + len.div_ceil(ALIGNMENT) * ALIGNMENT;
                self.0.slots.push(Slot {
                    id: param.id,
                    dims,
                    start,
                    channels_last: D == 4 && self.1,
                });
            }
        }
        let mut collect = Collect(
            Layout {
                slots: Vec::new(),
                len: 0,
            },
            kernels_channels_last,
        );
        model.visit(&mut collect);
        collect.0
    }

    /// The gradients laid flat, zero in the gaps and where a parameter has
    /// none (so that, as under `ModuleOptimizer`, it does not move on its own).
    fn gather_gradients(
        &self,
        model: &Autoencoder,
        grads: &mut GradientsParams,
        device: &Device,
    ) -> Tensor<1> {
        self.gather(model, Some(grads), device)
    }

    /// The parameters' values (off the autodiff graph) laid flat.
    fn gather_parameters(&self, model: &Autoencoder, device: &Device) -> Tensor<1> {
        self.gather(model, None, device)
    }

    /// Each parameter's gradient from `grads`, or its value where there are
    /// none, in its slot of one vector.
    fn gather(
        &self,
        model: &Autoencoder,
        grads: Option<&mut GradientsParams>,
        device: &Device,
    ) -> Tensor<1> {
        struct Gather<'a> {
            grads: Option<&'a mut GradientsParams>,
            slots: std::slice::Iter<'a, Slot>,
            // An `Option` so that each assignment owns the one handle to the
            // vector and writes in place, where a clone would copy it.
            flat: Option<Tensor<1>>,
        }
        impl ModuleVisitor for Gather<'_> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let slot = self.slots.next().expect("one slot per parameter");
                let part = match &mut self.grads {
                    Some(grads) => grads.remove::<D>(param.id),
                    None => Some(param.val().inner()),
                };
                if let Some(part) = part {
                    let flat = self.flat.take().expect("the vector is always put back");
                    self.flat = Some(flat.slice_assign([slot.range()], slot.laid(part)));
                }
            }
        }
        let mut gather = Gather {
            grads,
            slots: self.slots.iter(),
            flat: Some(Tensor::zeros([self.len], device)),
        };
        model.visit(&mut gather);
        gather.flat.expect("the vector is always put back")
    }

    /// `model` with each parameter replaced by its slice of `flat`, tracked
    /// by autodiff as the parameter it replaces was.
    fn scatter(&self, model: Autoencoder, flat: Tensor<1>) -> Autoencoder {
        struct Scatter<'a> {
            slots: std::slice::Iter<'a, Slot>,
            flat: Tensor<1>,
        }
        impl ModuleMapper for Scatter<'_> {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let slot = self.slots.next().expect("one slot per parameter");
                let (id, old, mapper) = param.consume();
                let mut value = Tensor::from_inner(slot.value::<D>(&self.flat));
                if let Some(strategy) = old.gradient_checkpointing_strategy() {
                    value = value.with_gradient_checkpointing_strategy(strategy);
                }
                if old.is_require_grad() {
                    value = value.require_grad();
                }
                Param::from_mapped_value(id, value, mapper)
            }
        }
        model.map(&mut Scatter {
            slots: self.slots.iter(),
            flat,
        })
    }
}

/// The rule applied to the flat vector, with its running averages over it
/// (`None` until the first step).
#[derive(Clone)]
// One per trainer, so the size of its larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Rule {
    Adam(Adam, Option<AdamState<1>>),
    Adadelta(Adadelta, Option<AdadeltaState<1>>),
}

impl Rule {
    fn kind(&self) -> OptimizerKind {
        match self {
            Rule::Adam(..) => OptimizerKind::Adam,
            Rule::Adadelta(..) => OptimizerKind::Adadelta,
        }
    }

    /// The running averages' two flat tensors and, for Adam, its step count;
    /// `None` before the first step.
    fn state(&self) -> Option<([&Tensor<1>; 2], usize)> {
        match self {
            Rule::Adam(_, state) => state.as_ref().map(|state| {
                let momentum = &state.momentum;
                ([&momentum.moment_1, &momentum.moment_2], momentum.time)
            }),
            Rule::Adadelta(_, state) => state
                .as_ref()
                .map(|state| ([&state.square_grad_avg, &state.square_update_avg], 0)),
        }
    }
}

/// `rule`'s step of `parameters` along `gradient`, its state moved on.
fn step_by<O: Optimizer>(
    rule: &O,
    state: &mut Option<O::State<1>>,
    learning_rate: f64,
    parameters: Tensor<1>,
    gradient: Tensor<1>,
) -> Tensor<1> {
    let (parameters, next) = rule.step(learning_rate, parameters, gradient, state.take());
    *state = next;
    parameters
}

/// Adam's constants as the lab sets them: Burn's betas, and Keras'
/// epsilon (Burn's default, 1e-5, damps early steps noticeably).
#[derive(Clone, Copy, Debug)]
struct AdamConstants {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
}

const ADAM: AdamConstants = AdamConstants {
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
};

fn adam_config() -> AdamConfig {
    AdamConfig::new()
        .with_beta_1(ADAM.beta_1)
        .with_beta_2(ADAM.beta_2)
        .with_epsilon(ADAM.epsilon)
}

/// The device `model`'s parameters live on, without autodiff; `None` for a
/// model without any.
fn inner_device(model: &Autoencoder) -> Option<Device> {
    model.devices().into_iter().next().map(Device::inner)
}

/// An optimizer for a whole [`Autoencoder`], stepping all its parameters as
/// one vector (see the module's documentation).
#[derive(Clone)]
pub struct FlatOptimizer {
    rule: Rule,
    /// The last step's result, flat, and the parameters it was cut into:
    /// while the next step is given the model that step returned, its
    /// parameters need not be gathered again.
    stepped: Option<(Tensor<1>, Vec<ParamId>)>,
    /// Whether kernels lie channels last: `None`, off the CPU only.
    kernels_channels_last: Option<bool>,
}

impl FlatOptimizer {
    pub fn new(kind: OptimizerKind) -> Self {
        let rule = match kind {
            OptimizerKind::Adadelta => Rule::Adadelta(AdadeltaConfig::new().build(), None),
            OptimizerKind::Adam => Rule::Adam(adam_config().build(), None),
        };
        Self {
            rule,
            stepped: None,
            kernels_channels_last: None,
        }
    }

    /// This optimizer with kernels laid channels last, or not, whatever the
    /// device: for the tests, which run on the CPU only.
    #[cfg(test)]
    fn with_kernels_channels_last(mut self, channels_last: bool) -> Self {
        self.kernels_channels_last = Some(channels_last);
        self
    }

    fn layout(&self, model: &Autoencoder) -> Layout {
        let channels_last = self
            .kernels_channels_last
            .unwrap_or_else(|| !model.devices().iter().any(is_cpu));
        Layout::of(model, channels_last)
    }

    /// `model` with its parameters laid in this optimizer's vector: what
    /// every step returns, and where it starts from. Off the CPU, this is
    /// what lays the kernels channels last before the first step, so the
    /// model draws without copying them too.
    pub fn adopt(&mut self, model: Autoencoder) -> Autoencoder {
        let layout = self.layout(&model);
        let Some(device) = inner_device(&model) else {
            return model;
        };
        let parameters = layout.gather_parameters(&model, &device);
        let ids = layout.slots.iter().map(|slot| slot.id).collect();
        self.stepped = Some((parameters.clone(), ids));
        layout.scatter(model, parameters)
    }

    /// The parameters the last step (or [`adopt`](Self::adopt)) returned,
    /// laid flat, off the autodiff graph.
    pub fn flat_parameters(&self) -> Option<&Tensor<1>> {
        self.stepped.as_ref().map(|(flat, _)| flat)
    }

    /// `model` with its parameters views of `flat`, laid as this
    /// optimizer lays them ([`Self::flat_parameters`]).
    pub fn with_flat_parameters(&self, model: Autoencoder, flat: Tensor<1>) -> Autoencoder {
        self.layout(&model).scatter(model, flat)
    }

    /// `model` (on an autodiff device) one step along `grads` (on its inner
    /// device) at `learning_rate`. Where `model` has the parameters the
    /// previous step returned, it must hold the values that step gave them,
    /// as a trainer's own model does.
    pub fn step(
        &mut self,
        learning_rate: f64,
        model: Autoencoder,
        mut grads: GradientsParams,
    ) -> Autoencoder {
        let layout = self.layout(&model);
        let Some(device) = inner_device(&model) else {
            return model;
        };
        let gradient = layout.gather_gradients(&model, &mut grads, &device);
        let ids: Vec<ParamId> = layout.slots.iter().map(|slot| slot.id).collect();
        let parameters = match self.stepped.take() {
            Some((flat, stepped)) if stepped == ids && flat.device() == device => flat,
            _ => layout.gather_parameters(&model, &device),
        };
        let parameters = match &mut self.rule {
            Rule::Adam(adam, state) => step_by(adam, state, learning_rate, parameters, gradient),
            Rule::Adadelta(adadelta, state) => {
                step_by(adadelta, state, learning_rate, parameters, gradient)
            }
        };
        self.stepped = Some((parameters.clone(), ids));
        layout.scatter(model, parameters)
    }

    /// The running averages as the burnpack `ModuleOptimizer::into_bytes`
    /// writes: per parameter id of `model` (the model stepped), its rank and
    /// its state's tensors. Reads the state synchronously from its device.
    pub fn to_bytes(&self, model: &Autoencoder) -> Result<Vec<u8>, String> {
        let layout = self.layout(model);
        let mut tensors = Vec::new();
        let mut scalars = Vec::new();
        if let Some((state, time)) = self.rule.state() {
            // Each flat tensor read once, then cut per parameter on the host.
            let read = |tensor: &Tensor<1>| -> Result<Vec<f32>, String> {
                tensor
                    .clone()
                    .into_data()
                    .try_to_vec::<f32>()
                    .map_err(|err| format!("{err:?}"))
            };
            let flat = [read(state[0])?, read(state[1])?];
            struct Flatten<'a> {
                slots: std::slice::Iter<'a, Slot>,
                kind: OptimizerKind,
                time: usize,
                flat: &'a [Vec<f32>; 2],
                tensors: &'a mut Vec<burn_pack::Tensor>,
                scalars: &'a mut Vec<(String, Scalar)>,
            }
            impl ModuleVisitor for Flatten<'_> {
                fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
                    let slot = self.slots.next().expect("one slot per parameter");
                    let host = Device::flex();
                    let part = |values: &[f32]| {
                        let values = slot.channels_first(&values[slot.range()]);
                        Tensor::<D>::from_data(TensorData::new(values, slot.dims.clone()), &host)
                    };
                    let prefix = slot.id.val().to_string();
                    let mut sink = StateSink::default();
                    match self.kind {
                        OptimizerKind::Adam => AdamState::new(AdaptiveMomentumState::new(
                            self.time,
                            part(&self.flat[0]),
                            part(&self.flat[1]),
                        ))
                        .state_flatten(&prefix, &mut sink),
                        OptimizerKind::Adadelta => AdadeltaState {
                            square_grad_avg: part(&self.flat[0]),
                            square_update_avg: part(&self.flat[1]),
                        }
                        .state_flatten(&prefix, &mut sink),
                    }
                    self.tensors
                        .extend(sink.tensors.into_iter().map(|(name, data)| {
                            let (bytes, shape, dtype) = data.into_parts();
                            burn_pack::Tensor::new(name, dtype, shape, Some(slot.id.val()), bytes)
                        }));
                    self.scalars.extend(sink.scalars);
                    self.scalars
                        .push((format!("{prefix}.{RANK_KEY}"), D.into()));
                }
            }
            model.visit(&mut Flatten {
                slots: layout.slots.iter(),
                kind: self.rule.kind(),
                time,
                flat: &flat,
                tensors: &mut tensors,
                scalars: &mut scalars,
            });
        }
        let mut writer = burn_pack::Writer::new(tensors);
        for (name, value) in scalars {
            writer = writer.with_scalar(&name, value);
        }
        writer
            .into_bytes()
            .map(|bytes| bytes.to_vec())
            .map_err(|err| err.to_string())
    }

    /// This optimizer with the running averages `bytes` hold for `model`'s
    /// parameters (as [`to_bytes`](Self::to_bytes) or Burn's
    /// `ModuleOptimizer` wrote them, for this optimizer's rule), on
    /// `model`'s inner device. A state with no tensors leaves it fresh; one
    /// missing a parameter, or with a tensor of another shape or type, is
    /// refused.
    pub fn load_state(self, model: &Autoencoder, bytes: Vec<u8>) -> Result<Self, String> {
        let mut optimizer = self;
        let kind = optimizer.rule.kind();
        let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| e.to_string())?;
        let mut source = StateSource::new(reader.scalars().clone());
        let tensors = reader.into_tensors().map_err(|err| err.to_string())?;
        if tensors.is_empty() {
            return Ok(optimizer);
        }
        for tensor in tensors {
            let (name, dtype, shape, _, bytes) = tensor.into_parts().map_err(|e| e.to_string())?;
            let floats = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
            if dtype != DType::F32 || floats.and_then(|n| n.checked_mul(4)) != Some(bytes.len()) {
                return Err(format!(
                    "the state tensor '{name}' is not {shape:?} 32-bit floats"
                ));
            }
            source.insert_tensor(name, TensorData::from_bytes(bytes, shape, dtype));
        }

        let layout = optimizer.layout(model);
        let mut flat = [vec![0f32; layout.len], vec![0f32; layout.len]];
        let mut times = Vec::new();
        struct Unflatten<'a> {
            slots: std::slice::Iter<'a, Slot>,
            kind: OptimizerKind,
            source: &'a mut StateSource,
            flat: &'a mut [Vec<f32>; 2],
            times: &'a mut Vec<usize>,
            failure: Option<String>,
        }
        impl ModuleVisitor for Unflatten<'_> {
            fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
                let slot = self.slots.next().expect("one slot per parameter");
                if self.failure.is_some() {
                    return;
                }
                let prefix = slot.id.val().to_string();
                let host = Device::flex();
                let parts: Option<[Tensor<D>; 2]> = match self.kind {
                    OptimizerKind::Adam => {
                        AdamState::<D>::state_unflatten(&prefix, self.source, &host).map(|s| {
                            self.times.push(s.momentum.time);
                            [s.momentum.moment_1, s.momentum.moment_2]
                        })
                    }
                    OptimizerKind::Adadelta => {
                        AdadeltaState::<D>::state_unflatten(&prefix, self.source, &host)
                            .map(|s| [s.square_grad_avg, s.square_update_avg])
                    }
                };
                let Some(parts) = parts else {
                    self.failure = Some(format!("it holds no state for parameter {prefix}"));
                    return;
                };
                for (flat, part) in self.flat.iter_mut().zip(parts) {
                    if part.shape().as_slice() != slot.dims.as_slice() {
                        self.failure = Some(format!(
                            "its state for parameter {prefix} is {:?}, the parameter {:?}",
                            part.shape().as_slice(),
                            slot.dims
                        ));
                        return;
                    }
                    match part.into_data().try_to_vec::<f32>() {
                        Ok(values) => {
                            flat[slot.range()].copy_from_slice(&slot.channels_last(&values))
                        }
                        Err(err) => self.failure = Some(format!("{err:?}")),
                    }
                }
            }
        }
        let mut unflatten = Unflatten {
            slots: layout.slots.iter(),
            kind,
            source: &mut source,
            flat: &mut flat,
            times: &mut times,
            failure: None,
        };
        model.visit(&mut unflatten);
        if let Some(failure) = unflatten.failure {
            return Err(failure);
        }
        let Some(device) = inner_device(model) else {
            return Ok(optimizer);
        };
        let [first, second] = flat
            .map(|values| Tensor::<1>::from_data(TensorData::new(values, [layout.len]), &device));
        match &mut optimizer.rule {
            Rule::Adam(_, state) => {
                let time = times.first().copied().unwrap_or_default();
                if times.iter().any(|&t| t != time) {
                    return Err("its parameters have taken different numbers of steps".into());
                }
                *state = Some(AdamState::new(AdaptiveMomentumState::new(
                    time, first, second,
                )));
            }
            Rule::Adadelta(_, state) => {
                *state = Some(AdadeltaState {
                    square_grad_avg: first,
                    square_update_avg: second,
                });
            }
        }
        Ok(optimizer)
    }
}

#[cfg(test)]
mod tests {
    use burn::optim::ModuleOptimizer;

    use super::*;
    use crate::train::gradients;
    use crate::{AutoencoderConfig, DecoderKind};

    /// Burn's own whole-module optimizer for `kind`, as the lab built it
    /// before it stepped flat.
    fn burns(kind: OptimizerKind) -> ModuleOptimizer {
        match kind {
            OptimizerKind::Adam => AdamConfig::new().with_epsilon(1e-7).init(),
            OptimizerKind::Adadelta => AdadeltaConfig::new().init(),
        }
    }

    /// Either optimizer, stepped the same way.
    enum Stepper<'a> {
        Burn(&'a mut ModuleOptimizer),
        Flat(&'a mut FlatOptimizer),
    }

    /// `model` trained on one random batch per seed in `seeds`.
    fn train(
        kind: OptimizerKind,
        mut model: Autoencoder,
        stepper: Stepper,
        seeds: std::ops::Range<u64>,
    ) -> Autoencoder {
        let device = model.devices()[0].clone();
        let learning_rate = kind.default_learning_rate();
        let mut stepper = stepper;
        for seed in seeds {
            // From a generator of its own: the device's is shared by the
            // tests running beside this one.
            let mut rng = crate::init::SeededRng::new(seed);
            let pixels: Vec<f32> = (0..4 * 28 * 28).map(|_| rng.next_f32()).collect();
            let images = Tensor::from_data(TensorData::new(pixels, [4, 1, 28, 28]), &device);
            let (_, grads) = gradients(&model, images);
            model = match &mut stepper {
                Stepper::Burn(optimizer) => optimizer.step(learning_rate, model, grads),
                Stepper::Flat(optimizer) => optimizer.step(learning_rate, model, grads),
            };
        }
        model
    }

    fn parameters(model: &Autoencoder) -> Vec<f32> {
        struct Read(Vec<f32>);
        impl ModuleVisitor for Read {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let values = param.val().into_data().try_to_vec::<f32>().unwrap();
                self.0.extend(values);
            }
        }
        let mut read = Read(Vec::new());
        model.visit(&mut read);
        read.0
    }

    fn largest_gap(a: &Autoencoder, b: &Autoencoder) -> f32 {
        let (a, b) = (parameters(a), parameters(b));
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(&b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }

    const KINDS: [OptimizerKind; 2] = [OptimizerKind::Adam, OptimizerKind::Adadelta];

    /// How far two trainings of the same steps may differ, in any
    /// parameter: a parameter mislaid in the vector, or a state read into
    /// the wrong one, is off by a whole step (1e-3 and more). Kernels laid
    /// channels last reach the convolutions as permuted views, which flex
    /// may sum in another order.
    const SAME: f32 = 1e-6;

    /// A fresh flat optimizer for `kind`, with kernels channels last or not.
    fn flat(kind: OptimizerKind, channels_last: bool) -> FlatOptimizer {
        FlatOptimizer::new(kind).with_kernels_channels_last(channels_last)
    }

    #[test]
    fn steps_as_burns_module_optimizer_does() {
        let device = Device::flex().autodiff();
        for (kind, channels_last) in cases() {
            for decoder in [DecoderKind::Upsample, DecoderKind::Transposed] {
                let case = format!("{kind}, channels last {channels_last}, {decoder:?}");
                let model = AutoencoderConfig::new(decoder).with_seed(3).init(&device);
                let by_burn = train(kind, model.clone(), Stepper::Burn(&mut burns(kind)), 0..4);
                let mut optimizer = flat(kind, channels_last);
                let adopted = optimizer.adopt(model.clone());
                assert_eq!(
                    largest_gap(&model, &adopted),
                    0.0,
                    "{case}: adopting moved it"
                );
                let by_flat = train(kind, adopted, Stepper::Flat(&mut optimizer), 0..4);
                // The same element-wise arithmetic, in another order where
                // kernels lie channels last.
                let gap = largest_gap(&by_burn, &by_flat);
                assert!(gap <= SAME, "{case}: {gap}");
                assert!(largest_gap(&model, &by_flat) > 0.0, "{case}");
                // Its parameters are still leaves autodiff tracks: one more
                // step moves every one of them.
                let on = train(kind, by_flat.clone(), Stepper::Flat(&mut optimizer), 4..5);
                let moved = |a: &Autoencoder, b: &Autoencoder| {
                    parameters(a)
                        .iter()
                        .zip(parameters(b))
                        .any(|(x, y)| *x != y)
                };
                assert!(moved(&by_flat, &on), "{case}");
            }
        }
    }

    #[test]
    fn a_saved_state_resumes_with_either_optimizer() {
        let device = Device::flex().autodiff();
        for (kind, channels_last) in cases() {
            let case = format!("{kind}, channels last {channels_last}");
            let model = AutoencoderConfig::new(DecoderKind::Upsample)
                .with_seed(5)
                .init(&device);
            let mut burn = burns(kind);
            let halfway = train(kind, model.clone(), Stepper::Burn(&mut burn), 0..2);
            let burn_bytes = burn.into_bytes().unwrap().to_vec();
            let uninterrupted = train(kind, halfway.clone(), Stepper::Burn(&mut burn), 2..4);

            // Burn's saved state, resumed flat.
            let mut optimizer = flat(kind, channels_last)
                .load_state(&halfway, burn_bytes)
                .unwrap();
            let resumed = train(kind, halfway.clone(), Stepper::Flat(&mut optimizer), 2..4);
            let gap = largest_gap(&resumed, &uninterrupted);
            assert!(gap <= SAME, "{case}: {gap}");

            // The flat optimizer's saved state, resumed by Burn's.
            let mut optimizer = flat(kind, channels_last);
            let halfway = train(kind, model, Stepper::Flat(&mut optimizer), 0..2);
            let flat_bytes = optimizer.to_bytes(&halfway).unwrap();
            let mut burn = burns(kind)
                .from_bytes(Bytes::from_bytes_vec(flat_bytes.clone()))
                .unwrap();
            let resumed = train(kind, halfway.clone(), Stepper::Burn(&mut burn), 2..4);
            let gap = largest_gap(&resumed, &uninterrupted);
            assert!(gap <= SAME, "{case}: {gap}");

            // And by itself, laid out either way.
            for laid in [false, true] {
                let mut optimizer = flat(kind, laid)
                    .load_state(&halfway, flat_bytes.clone())
                    .unwrap();
                let resumed = train(kind, halfway.clone(), Stepper::Flat(&mut optimizer), 2..4);
                let gap = largest_gap(&resumed, &uninterrupted);
                assert!(gap <= SAME, "{case}, resumed channels last {laid}: {gap}");
            }
        }
    }

    #[test]
    fn a_state_that_does_not_fit_the_model_is_refused() {
        let device = Device::flex().autodiff();
        let kind = OptimizerKind::Adam;
        let model = AutoencoderConfig::new(DecoderKind::Upsample).init(&device);
        let mut optimizer = FlatOptimizer::new(kind);
        let trained = train(kind, model, Stepper::Flat(&mut optimizer), 0..1);
        let bytes = optimizer.to_bytes(&trained).unwrap();
        let load = |kind, model: &Autoencoder, bytes: Vec<u8>| {
            FlatOptimizer::new(kind).load_state(model, bytes)
        };

        // Another model's parameters have other ids.
        let other = AutoencoderConfig::new(DecoderKind::Upsample).init(&device);
        let refused = load(kind, &other, bytes.clone()).err().unwrap();
        assert!(
            refused.contains("holds no state for parameter"),
            "{refused}"
        );
        // Adadelta's names are not Adam's.
        let refused = load(OptimizerKind::Adadelta, &trained, bytes)
            .err()
            .unwrap();
        assert!(
            refused.contains("holds no state for parameter"),
            "{refused}"
        );
        // Not a burnpack at all.
        assert!(load(kind, &trained, b"not a burnpack".to_vec()).is_err());
        // Nothing saved before the first step: a fresh optimizer.
        let fresh = FlatOptimizer::new(kind).to_bytes(&trained).unwrap();
        assert!(load(kind, &trained, fresh).unwrap().rule.state().is_none());
    }

    #[test]
    fn damaged_states_give_an_optimizer_or_an_error() {
        let device = Device::flex().autodiff();
        let model = AutoencoderConfig::new(DecoderKind::Upsample).init(&device);
        for kind in KINDS {
            let mut optimizer = FlatOptimizer::new(kind);
            let trained = train(kind, model.clone(), Stepper::Flat(&mut optimizer), 0..1);
            let bytes = optimizer.to_bytes(&trained).unwrap();
            let mut rng = crate::init::SeededRng::new(11);
            let (mut loaded, mut refused) = (0, 0);
            for case in 0..600u64 {
                let mut damaged = bytes.clone();
                let at = (rng.next_u64() as usize) % damaged.len();
                match case % 3 {
                    0 => damaged[at] ^= 1 << (rng.next_u64() % 8),
                    1 => damaged[at] = rng.next_u64() as u8,
                    _ => damaged.truncate(at),
                }
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    FlatOptimizer::new(kind).load_state(&trained, damaged)
                }));
                match outcome {
                    Ok(Ok(_)) => loaded += 1,
                    Ok(Err(err)) => {
                        assert!(!err.is_empty());
                        refused += 1
                    }
                    Err(_) => panic!("{kind}, case {case}: a damaged state panicked"),
                }
            }
            assert!(
                loaded > 0 && refused > 0,
                "{kind}: {loaded} loaded, {refused} refused"
            );
        }
    }

    /// Each rule with kernels laid either way.
    fn cases() -> impl Iterator<Item = (OptimizerKind, bool)> {
        KINDS
            .into_iter()
            .flat_map(|kind| [(kind, false), (kind, true)])
    }
}
