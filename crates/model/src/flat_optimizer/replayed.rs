//! Training steps recorded once and replayed ([`crate::replay`]) off the
//! CPU: on WebGPU the step's 150-odd kernels then cost a pipeline, a bind
//! group and a dispatch each, not Burn's, cubecl's and the browser's whole
//! launch path.
//!
//! A recording reads and writes fixed buffers, so the step is written here
//! over buffers of its own: the batch, the parameters laid flat and the
//! rule's two running averages, which it writes back in place, and Adam's
//! two bias-correction factors, which change with the step count and so
//! cannot be constants of the recording. Each step refills the batch and
//! the factors, replays, and hands the trainer copies of what it wrote, so
//! the tensors a trainer gives out never change under their holders.

use burn::optim::{AdamState, AdaptiveMomentumState, Optimizer};
use burn::tensor::{Device, Tensor, TensorData};

use super::{ADAM, AdamConstants, FlatOptimizer, Layout, Rule, inner_device};
use crate::adadelta::AdadeltaState;
use crate::autoencoder::Autoencoder;
use crate::layout::{TO_CHANNELS_FIRST, TO_CHANNELS_LAST};
use crate::replay::{Replay, Run, own_copy, refill, room_for_recording, with_warm_ups};
use crate::train::gradients;

/// What a replayed step reads and writes, each in memory of its own.
struct StepBuffers {
    /// `[batch, 1, 28, 28]`, laid as [`crate::evaluation::images_tensor`]
    /// lays them; the targets too.
    images: Tensor<4>,
    /// `[len]`, in the optimizer's layout.
    parameters: Tensor<1>,
    /// The rule's two running averages, `[len]` each.
    averages: [Tensor<1>; 2],
    /// `[2]`: Adam's factors at this step (see [`adam_factors`]); unread
    /// by Adadelta.
    factors: Tensor<1>,
}

/// A trainer's steps, recorded: see the module's documentation.
pub struct ReplayedSteps {
    buffers: StepBuffers,
    replay: Replay<Tensor<1>>,
    /// Adam's step count, as its state keeps it.
    time: usize,
    config: AdamConstants,
}

/// Adam's step `time` scales the first average by the first factor and
/// adds the second to the square root of the second average, as Burn's
/// Adam computes them on the host (`AdaptiveMomentum::transform`).
fn adam_factors(config: &AdamConstants, time: usize) -> [f32; 2] {
    let time = time as i32;
    let correction_sqrt = (1.0 - config.beta_2.powi(time)).sqrt();
    [
        correction_sqrt / (1.0 - config.beta_1.powi(time)),
        config.epsilon * correction_sqrt,
    ]
}

/// Burn's Adam step (without weight decay or AMSGrad, as the lab builds
/// it), the same arithmetic in the same order, with the factors read from
/// the device.
///
/// # Shapes
/// - `parameters`, `gradient`, `averages`: `[len]`
/// - `factors`: `[2]`
fn adam_step(
    config: &AdamConstants,
    learning_rate: f64,
    parameters: Tensor<1>,
    gradient: Tensor<1>,
    [first, second]: [Tensor<1>; 2],
    factors: &Tensor<1>,
) -> (Tensor<1>, [Tensor<1>; 2]) {
    let first = first
        .mul_scalar(config.beta_1)
        .add(gradient.clone().mul_scalar(1.0 - config.beta_1));
    let second = second
        .mul_scalar(config.beta_2)
        .add(gradient.square().mul_scalar(1.0 - config.beta_2));
    let scale = factors.clone().narrow(0, 0, 1);
    let epsilon = factors.clone().narrow(0, 1, 1);
    let update = first
        .clone()
        .mul(scale)
        .div(second.clone().sqrt().add(epsilon));
    (
        parameters - update.mul_scalar(learning_rate),
        [first, second],
    )
}

/// One step of `template`'s model (its structure; the values come from
/// `buffers`) written back into `buffers`, but for a warm-up, which leaves
/// them as they were; returns the batch's loss.
fn step_in_place(
    run: Run,
    optimizer: &FlatOptimizer,
    config: &AdamConstants,
    layout: &Layout,
    template: &Autoencoder,
    learning_rate: f64,
    buffers: &mut StepBuffers,
) -> Result<Tensor<1>, String> {
    let device = buffers.parameters.device();
    let model = layout.scatter(template.clone(), buffers.parameters.clone());
    let (loss, mut grads) = gradients(&model, Tensor::from_inner(buffers.images.clone()));
    let gradient = layout.gather_gradients(&model, &mut grads, &device);
    // The model's parameters are views of the buffer written back below.
    drop(model);
    let averages = buffers.averages.clone();
    let parameters = buffers.parameters.clone();
    let (parameters, [first, second]) = match &optimizer.rule {
        Rule::Adam(..) => adam_step(
            config,
            learning_rate,
            parameters,
            gradient,
            averages,
            &buffers.factors,
        ),
        Rule::Adadelta(adadelta, _) => {
            let [square_grad_avg, square_update_avg] = averages;
            let state = AdadeltaState {
                square_grad_avg,
                square_update_avg,
            };
            let (parameters, state) =
                adadelta.step(learning_rate, parameters, gradient, Some(state));
            let state = state.expect("Adadelta always returns its state");
            (parameters, [state.square_grad_avg, state.square_update_avg])
        }
    };
    if run == Run::WarmUp {
        return Ok(loss);
    }
    let [own_first, own_second] = &mut buffers.averages;
    // Checked before any is written, so that a refusal leaves them all.
    if ![&buffers.parameters, &*own_first, &*own_second]
        .iter()
        .all(|buffer| buffer.can_mut())
    {
        return Err("a replayed step's state is shared, so it cannot be written in place".into());
    }
    refill(&mut buffers.parameters, parameters)?;
    refill(own_first, first)?;
    refill(own_second, second)?;
    Ok(loss)
}

impl FlatOptimizer {
    /// Records the step of `model` (on an autodiff device, off the CPU)
    /// that [`step`](Self::step) would take on `images` with gradients of
    /// the BCE, and takes it by a first replay. Only once the rule has running averages, from
    /// the second step on. Returns the batch's loss and the recording,
    /// whose buffers hold the state after the step; this optimizer and
    /// `model` are left as they were ([`Self::take_from`] moves them on).
    pub(crate) fn record_steps(
        &self,
        model: &Autoencoder,
        images: Tensor<4>,
        learning_rate: f64,
    ) -> Result<(Tensor<1>, ReplayedSteps), String> {
        let device = inner_device(model).ok_or("a model without parameters")?;
        let ((parameters, _), Some((averages, time))) = (
            self.stepped.as_ref().ok_or("no step taken yet")?,
            self.rule.state(),
        ) else {
            return Err("no running averages yet".into());
        };
        let config = ADAM;
        let time = time + 1;
        let layout = self.layout(model);
        // A failed recording may leave its buffers marked unwritten: each
        // try takes its own.
        let (buffers, replay) = with_warm_ups(|warm_ups| {
            room_for_recording(&device)?;
            let mut buffers = StepBuffers {
                // Copied as laid (channels last), then seen as given.
                images: own_copy(&images.clone().inner().permute(TO_CHANNELS_LAST))
                    .permute(TO_CHANNELS_FIRST),
                parameters: own_copy(parameters),
                averages: averages.map(own_copy),
                factors: factors_tensor(&config, time, &device),
            };
            let replay = Replay::record(&device, warm_ups, |run| {
                step_in_place(
                    run,
                    self,
                    &config,
                    &layout,
                    model,
                    learning_rate,
                    &mut buffers,
                )
            })?;
            Ok((buffers, replay))
        })?;
        let loss = own_copy(replay.replay()?);
        Ok((
            loss,
            ReplayedSteps {
                buffers,
                replay,
                time,
                config,
            },
        ))
    }

    /// `model` (this optimizer's, on an autodiff device) with the
    /// parameters `steps` holds, and this optimizer with its running
    /// averages: copies, which later replays leave alone.
    pub(crate) fn take_from(&mut self, steps: &ReplayedSteps, model: Autoencoder) -> Autoencoder {
        let buffers = &steps.buffers;
        let [first, second] = [&buffers.averages[0], &buffers.averages[1]].map(own_copy);
        match &mut self.rule {
            Rule::Adam(_, state) => {
                *state = Some(AdamState::new(AdaptiveMomentumState::new(
                    steps.time, first, second,
                )))
            }
            Rule::Adadelta(_, state) => {
                *state = Some(AdadeltaState {
                    square_grad_avg: first,
                    square_update_avg: second,
                })
            }
        }
        let layout = self.layout(&model);
        let parameters = own_copy(&buffers.parameters);
        let ids = layout.slots.iter().map(|slot| slot.id).collect();
        self.stepped = Some((parameters.clone(), ids));
        layout.scatter(model, parameters)
    }
}

fn factors_tensor(config: &AdamConstants, time: usize, device: &Device) -> Tensor<1> {
    Tensor::from_data(
        TensorData::new(adam_factors(config, time).to_vec(), [2]),
        device,
    )
}

impl ReplayedSteps {
    /// Whether a step on `images` can replay this recording: a batch of
    /// another size needs one of its own.
    pub fn takes(&self, images: &Tensor<4>) -> bool {
        self.buffers.images.dims() == images.dims()
    }

    /// The next step on `images`: returns the batch's loss, in memory of
    /// its own.
    ///
    /// # Shapes
    /// - `images`: `[batch, 1, 28, 28]`, as recorded
    pub fn step(&mut self, images: &Tensor<4>) -> Result<Tensor<1>, String> {
        let time = self.time + 1;
        let device = self.buffers.factors.device();
        refill(&mut self.buffers.images, images.clone().inner())?;
        refill(
            &mut self.buffers.factors,
            factors_tensor(&self.config, time, &device),
        )?;
        let loss = own_copy(self.replay.replay()?);
        self.time = time;
        Ok(loss)
    }
}

#[cfg(test)]
mod tests {
    use burn::optim::Optimizer;

    use super::super::adam_config;
    use super::*;

    fn vector(seed: f32, len: usize) -> Tensor<1> {
        let values: Vec<f32> = (0..len)
            .map(|i| (i as f32 * 0.37 + seed).sin() * 0.1)
            .collect();
        Tensor::from_data(TensorData::new(values, [len]), &Device::flex())
    }

    /// The step a recording replays is Burn's Adam, to the bit: the same
    /// operations in the same order, with the bias corrections read from a
    /// tensor instead of written into the kernels.
    #[test]
    fn the_replayed_adam_step_is_burns() {
        let device = Device::flex();
        let adam = adam_config().build();
        let learning_rate = 1e-3;
        let (mut burns, state) = adam.step(learning_rate, vector(0.0, 300), vector(1.0, 300), None);
        let mut state = state.expect("Adam keeps a state");
        let mut ours = burns.clone();
        let mut averages = [
            state.momentum.moment_1.clone(),
            state.momentum.moment_2.clone(),
        ];
        for time in 2..=6 {
            let gradient = vector(time as f32, 300);
            let factors = factors_tensor(&ADAM, time, &device);
            (ours, averages) = adam_step(
                &ADAM,
                learning_rate,
                ours,
                gradient.clone(),
                averages,
                &factors,
            );
            let (stepped, next) = adam.step(learning_rate, burns, gradient, Some(state));
            (burns, state) = (stepped, next.expect("Adam keeps a state"));
            assert_eq!(state.momentum.time, time);
            for (a, b) in [
                (&ours, &burns),
                (&averages[0], &state.momentum.moment_1),
                (&averages[1], &state.momentum.moment_2),
            ] {
                assert_eq!(
                    a.clone().into_data().try_to_vec::<f32>().unwrap(),
                    b.clone().into_data().try_to_vec::<f32>().unwrap(),
                    "step {time}"
                );
            }
        }
    }
}
