//! Binary cross-entropy against soft targets.

use burn::tensor::Tensor;

/// Mean binary cross-entropy between `sigmoid(logits)` and `targets` in `[0, 1]`.
///
/// Uses the stable form `max(x, 0) - x z + ln(1 + e^{-|x|})`, which equals
/// `-(z ln s + (1 - z) ln(1 - s))` with `s = sigmoid(x)` but never takes the
/// log of a number that rounded to 0. Burn's `BinaryCrossEntropyLoss` wants
/// integer targets; MNIST pixels are intensities, so this is written here.
///
/// # Shapes
/// - `logits`, `targets`: `[batch, 1, 28, 28]` (any equal shapes)
/// - output: `[1]`
pub fn bce_with_logits<const D: usize>(logits: Tensor<D>, targets: Tensor<D>) -> Tensor<1> {
    // Every op reads `logits` through a clone, and this handle lives until
    // all of them are recorded: Burn's kernel fusion (0.22.1) computes a
    // fused chain wrongly when the chain takes the last handle of a tensor
    // whose strides are not contiguous, as a GPU convolution's output is,
    // which made the native GPU path's test BCE 0.31 where the CPU's was
    // 0.14 (docs/gpu-correctness.md; `crates/cli/examples/fusion_in_place.rs`).
    let positive_part = logits.clone().clamp_min(0.0);
    let log_term = logits.clone().abs().neg().exp().log1p();
    let loss = (positive_part - logits.clone() * targets + log_term).mean();
    drop(logits);
    loss
}

/// [`bce_with_logits`] (detached) and an objective with its gradient, to
/// train by: `mean(logits * c)` with `c = sigmoid(logits) - targets` held
/// constant, whose gradient `c / n` is the BCE's, exactly in real numbers.
/// Backpropagating the BCE's stable form goes through each of its eight
/// element-wise ops; the objective's backward is two kernels. The loss is
/// computed apart, without a gradient, in one kernel per op. On WebGPU,
/// where a kernel costs what issuing it costs, a training step issues 8
/// fewer dispatches in all (`benchmarks/results/2026-12-05-dawn-null-layout.md`).
///
/// # Shapes
/// - `logits`, `targets`: any equal shapes, on an autodiff device
/// - output: `[1]` and `[1]`
pub fn bce_with_logits_and_objective<const D: usize>(
    logits: Tensor<D>,
    targets: Tensor<D>,
) -> (Tensor<1>, Tensor<1>) {
    // Flat, each mean is one reduction, not one per axis.
    let logits = logits.flatten::<1>(0, D - 1);
    let (values, targets) = (
        logits.clone().inner(),
        targets.flatten::<1>(0, D - 1).inner(),
    );
    let loss = Tensor::from_inner(bce_with_logits(values.clone(), targets.clone()));
    // `1 / (1 + e^-x)`: Burn's `sigmoid` takes five kernels, this four.
    let sigmoid = values.neg().exp().add_scalar(1.0).recip();
    let slope = Tensor::from_inner(sigmoid - targets);
    (loss, (logits * slope).mean())
}

/// [`bce_with_logits`] of values already on the host, in `f64`: a
/// drawing's reconstruction is read back as logits, and its BCE costs no
/// GPU kernels this way (`crate::reconstruction`). `None` if the lengths
/// differ or are zero.
pub fn bce_with_logits_of(logits: &[f32], targets: &[f32]) -> Option<f64> {
    if logits.len() != targets.len() || logits.is_empty() {
        return None;
    }
    let total: f64 = logits
        .iter()
        .zip(targets)
        .map(|(&x, &z)| {
            let (x, z) = (f64::from(x), f64::from(z));
            x.max(0.0) - x * z + (-x.abs()).exp().ln_1p()
        })
        .sum();
    Some(total / logits.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn reference(logits: &[f64], targets: &[f64]) -> f64 {
        let total: f64 = logits
            .iter()
            .zip(targets)
            .map(|(&x, &z)| {
                // Direct float64 definition, with ln(sigmoid) written via ln(1 + e^-x)
                // only where e^-x would overflow.
                let (log_s, log_1ms) = if x.abs() < 30.0 {
                    let s = 1.0 / (1.0 + (-x).exp());
                    (s.ln(), (1.0 - s).ln())
                } else if x > 0.0 {
                    (-(-x).exp(), -x)
                } else {
                    (x, -(x).exp())
                };
                -(z * log_s + (1.0 - z) * log_1ms)
            })
            .sum();
        total / logits.len() as f64
    }

    #[test]
    fn matches_float64_reference_including_saturated_logits() {
        let logits = [
            -120.0, -40.0, -12.0, -3.5, -0.7, 0.0, 0.3, 2.0, 9.0, 35.0, 90.0, 0.01,
        ];
        let targets = [0.0, 0.2, 1.0, 0.5, 0.0, 0.5, 1.0, 0.9, 0.0, 1.0, 0.3, 0.77];
        let device = Device::flex();
        let loss = bce_with_logits(
            Tensor::<1>::from_data(TensorData::from(logits.map(|x| x as f32)), &device),
            Tensor::<1>::from_data(TensorData::from(targets.map(|x| x as f32)), &device),
        )
        .into_scalar::<f32>() as f64;
        let expected = reference(&logits, &targets);
        assert!(loss.is_finite());
        assert!(
            (loss - expected).abs() < 1e-5 * expected.max(1.0),
            "stable {loss} vs float64 {expected}"
        );
        let on_host = bce_with_logits_of(&logits.map(|x| x as f32), &targets.map(|x| x as f32));
        let on_host = on_host.expect("equal lengths");
        // The inputs rounded to f32 are all that stands between them.
        assert!(
            (on_host - expected).abs() < 1e-6 * expected.max(1.0),
            "on the host {on_host} vs float64 {expected}"
        );
        assert_eq!(bce_with_logits_of(&[0.0], &[]), None);
        assert_eq!(bce_with_logits_of(&[], &[]), None);
    }

    #[test]
    fn the_objective_has_the_gradient_of_the_loss() {
        let device = Device::flex().autodiff();
        // Not 0, where the stable form's kinks (`max(x, 0)`, `|x|`) give Burn's
        // one-sided gradients, 1 - z in all, where the derivative is 1/2 - z.
        let logits = [-40.0, -3.5, -0.7, 1e-3, 0.3, 2.0, 9.0, 35.0];
        let targets = [0.0, 0.5, 0.0, 0.5, 1.0, 0.9, 0.0, 1.0];
        let tensor = |values: [f32; 8]| Tensor::<1>::from_floats(values, &device);
        let (x, z) = (tensor(logits).require_grad(), tensor(targets));
        let loss = bce_with_logits(x.clone(), z.clone());
        let through_loss = x.grad(&loss.backward()).unwrap();
        let (detached, objective) = bce_with_logits_and_objective(x.clone(), z);
        let through_objective = x.grad(&objective.backward()).unwrap();
        assert_eq!(detached.into_scalar::<f32>(), loss.into_scalar::<f32>());
        let (a, b): (Vec<f32>, Vec<f32>) = (
            through_loss.into_data().try_into_vec().unwrap(),
            through_objective.into_data().try_into_vec().unwrap(),
        );
        for ((a, b), x) in a.iter().zip(&b).zip(logits) {
            assert!(
                (a - b).abs() <= 1e-7,
                "at {x}: {a} through the loss, {b} through the objective"
            );
        }
    }

    #[test]
    fn is_minimal_at_the_target_for_soft_targets() {
        let device = Device::flex();
        let target = 0.3f32;
        let logit_at_target = (target / (1.0 - target)).ln();
        let loss_at = |x: f32| {
            bce_with_logits(
                Tensor::<1>::from_floats([x], &device),
                Tensor::<1>::from_floats([target], &device),
            )
            .into_scalar::<f32>()
        };
        let best = loss_at(logit_at_target);
        assert!(best < loss_at(logit_at_target - 0.5));
        assert!(best < loss_at(logit_at_target + 0.5));
        // The minimum of BCE is the target's entropy, not zero.
        let entropy = -(target * target.ln() + (1.0 - target) * (1.0 - target).ln());
        assert!((best - entropy).abs() < 1e-5);
    }
}
