//! Adadelta (Zeiler 2012) as Keras had it in 2016, the blog's optimizer.
//!
//! Burn has no Adadelta, so it is written here against Burn's per-tensor
//! [`Optimizer`] trait, which the lab applies to all of a model's
//! parameters at once ([`crate::flat_optimizer`]).

use burn::config::Config;
use burn::optim::{LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor};

/// Keras 1's defaults: learning rate 1.0 is passed at each step; `rho` and
/// `epsilon` live here.
#[derive(Config, Debug)]
pub struct AdadeltaConfig {
    #[config(default = 0.95)]
    pub rho: f32,
    #[config(default = 1e-7)]
    pub epsilon: f32,
}

impl AdadeltaConfig {
    pub fn build(&self) -> Adadelta {
        Adadelta {
            rho: self.rho,
            epsilon: self.epsilon,
        }
    }

    /// The optimizer for a whole module, a tensor at a time, as Burn's own
    /// optimizers go.
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(self.build())
    }
}

/// For each parameter `p` with gradient `g`:
///
/// ```text
/// a  <- rho a + (1 - rho) g^2
/// u   = g sqrt(d + eps) / sqrt(a + eps)
/// p  <- p - lr u
/// d  <- rho d + (1 - rho) u^2
/// ```
#[derive(Clone, Debug)]
pub struct Adadelta {
    rho: f32,
    epsilon: f32,
}

/// Running averages of squared gradients and squared updates.
#[derive(Clone)]
pub struct AdadeltaState<const D: usize> {
    pub square_grad_avg: Tensor<D>,
    pub square_update_avg: Tensor<D>,
}

// Burn's `#[derive(RecordState)]` only works inside burn-optim, hence by hand.
impl<const D: usize> RecordState for AdadeltaState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(
            prefix,
            "square_grad_avg",
            self.square_grad_avg.clone().into_data(),
        );
        out.push_tensor(
            prefix,
            "square_update_avg",
            self.square_update_avg.clone().into_data(),
        );
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        Some(Self {
            square_grad_avg: Tensor::from_data(src.take_tensor(prefix, "square_grad_avg")?, device),
            square_update_avg: Tensor::from_data(
                src.take_tensor(prefix, "square_update_avg")?,
                device,
            ),
        })
    }
}

impl Optimizer for Adadelta {
    type State<const D: usize> = AdadeltaState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (square_grad_avg, square_update_avg) = match state {
            Some(state) => (state.square_grad_avg, state.square_update_avg),
            None => (grad.zeros_like(), grad.zeros_like()),
        };
        let square_grad_avg =
            square_grad_avg.mul_scalar(self.rho) + grad.clone().square().mul_scalar(1.0 - self.rho);
        let update = grad * square_update_avg.clone().add_scalar(self.epsilon).sqrt()
            / square_grad_avg.clone().add_scalar(self.epsilon).sqrt();
        let square_update_avg = square_update_avg.mul_scalar(self.rho)
            + update.clone().square().mul_scalar(1.0 - self.rho);
        let tensor = tensor - update.mul_scalar(lr);
        (
            tensor,
            Some(AdadeltaState {
                square_grad_avg,
                square_update_avg,
            }),
        )
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdadeltaState {
            square_grad_avg: state.square_grad_avg.to_device(device),
            square_update_avg: state.square_update_avg.to_device(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    fn step_by_hand(p: f64, g: f64, a: f64, d: f64, lr: f64) -> (f64, f64, f64) {
        let (rho, eps) = (0.95, 1e-7);
        let a = rho * a + (1.0 - rho) * g * g;
        let u = g * (d + eps).sqrt() / (a + eps).sqrt();
        let d = rho * d + (1.0 - rho) * u * u;
        (p - lr * u, a, d)
    }

    #[test]
    fn two_steps_match_hand_computation() {
        let device = Device::flex();
        let optim = AdadeltaConfig::new().build();
        let params = [0.5f64, -1.25, 2.0];
        let grads1 = [0.2f64, -0.7, 0.0];
        let grads2 = [-0.1f64, 0.4, 3.0];
        let to_tensor =
            |xs: [f64; 3]| Tensor::<1>::from_data(TensorData::from(xs.map(|x| x as f32)), &device);

        let (p1, state) = optim.step(1.0, to_tensor(params), to_tensor(grads1), None);
        let (p2, _) = optim.step(1.0, p1, to_tensor(grads2), state);
        let got: Vec<f32> = p2.into_data().try_to_vec().unwrap();

        for i in 0..3 {
            let (p, a, d) = step_by_hand(params[i], grads1[i], 0.0, 0.0, 1.0);
            let (p, _, _) = step_by_hand(p, grads2[i], a, d, 1.0);
            assert!(
                (got[i] as f64 - p).abs() < 1e-6,
                "param {i}: {} vs {p}",
                got[i]
            );
        }
    }

    #[test]
    fn first_step_is_tiny_as_adadelta_warms_up() {
        // With d = 0 the first update is about sqrt(eps / (1 - rho)): Adadelta
        // starts slowly whatever the gradient's scale.
        let device = Device::flex();
        let optim = AdadeltaConfig::new().build();
        let (p, _) = optim.step(
            1.0,
            Tensor::<1>::from_floats([0.0], &device),
            Tensor::<1>::from_floats([100.0], &device),
            None,
        );
        let moved = p.into_scalar::<f32>().abs() as f64;
        let expected = (1e-7f64 / 0.05).sqrt();
        assert!((moved - expected).abs() < 1e-6, "{moved} vs {expected}");
    }
}
