//! Every layer's backward pass, laid out so two devices can be compared
//! layer by layer: the loss's gradient at each layer's output, from the
//! first encoder layer to the logits, then at each parameter.
//!
//! A wrong backward kernel shows where it sits: the gradients at the
//! outputs after it agree, the ones before it do not. Comparing only the
//! losses of a training run (as the Dawn harness and the browser tests also
//! do) finds that something differs, and Adam hides how much: it scales
//! every step to about the learning rate whatever the gradient's size.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, Transaction};

use crate::autoencoder::Autoencoder;
use crate::loss::bce_with_logits;

/// What [`register`] reads, in order: the loss, then one gradient per layer
/// output, then one per parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradientLayout {
    /// `"3 max-pool 2x2"`: the layer's place in the model (from 1, encoder
    /// first) and its name, one per layer output.
    pub layers: Vec<String>,
    /// `"decoder.conv3.weight"`: each parameter's path in the model.
    pub parameters: Vec<String>,
}

/// Which gradients [`register`] reads besides the parameters'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taps {
    /// Also the gradient at every layer's output.
    EveryLayer,
    /// The parameters' alone, from the model's forward pass as training
    /// runs it. For Burn's fused GPU backend, which computes the forward
    /// pass with a zero added at every layer wrongly
    /// (docs/gpu-correctness.md): there the taps would test themselves.
    None,
}

/// Registers the mean BCE of `model` reconstructing `images`, the loss's
/// gradient at every layer's output (with [`Taps::EveryLayer`]) and at
/// every parameter; see [`GradientLayout`] for the order. `model` and
/// `images` are on an autodiff device; what is registered is not.
///
/// A layer's output gradient is read as the gradient of a zero added to
/// that output: the sum is the output itself, so the forward and backward
/// passes compute what training computes.
///
/// # Shapes
/// - `images`: `[batch, 1, 28, 28]`
pub fn register(
    model: &Autoencoder,
    images: Tensor<4>,
    taps: Taps,
    transaction: Transaction,
) -> (GradientLayout, Transaction) {
    let mut zeros: Vec<(String, Tensor<4>)> = Vec::new();
    let mut tap = |name: &'static str, x: Tensor<4>| {
        if taps == Taps::None {
            return x;
        }
        let zero = Tensor::<4>::zeros(x.shape(), &x.device()).require_grad();
        zeros.push((format!("{} {name}", zeros.len() + 1), zero.clone()));
        x + zero
    };
    let code = model.encoder.forward_tapped(images.clone(), &mut tap);
    let logits = model.decoder.forward_tapped(code, &mut tap);
    let loss = bce_with_logits(logits, images);
    let grads = loss.backward();

    let mut transaction = transaction.register(loss.inner());
    let mut layers = Vec::new();
    for (name, zero) in zeros {
        let grad = zero
            .grad(&grads)
            .unwrap_or_else(|| zero.inner().zeros_like());
        transaction = transaction.register(grad);
        layers.push(name);
    }
    let grads = GradientsParams::from_grads(grads, model);
    let mut gather = GatherParameterGradients {
        grads: &grads,
        transaction: Some(transaction),
        path: Vec::new(),
        parameters: Vec::new(),
    };
    model.visit(&mut gather);
    let layout = GradientLayout {
        layers,
        parameters: gather.parameters,
    };
    (layout, gather.transaction.unwrap_or_default())
}

struct GatherParameterGradients<'a> {
    grads: &'a GradientsParams,
    transaction: Option<Transaction>,
    /// The fields entered on the way to the next parameter.
    path: Vec<String>,
    parameters: Vec<String>,
}

impl ModuleVisitor for GatherParameterGradients<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let grad = self
            .grads
            .get::<D>(param.id)
            .unwrap_or_else(|| param.val().inner().zeros_like());
        let transaction = self.transaction.take().unwrap_or_default();
        self.transaction = Some(transaction.register(grad));
        self.parameters.push(self.path.join("."));
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::evaluation::images_tensor;
    use crate::{AutoencoderConfig, DecoderKind, IMAGE_LEN};

    fn made_up_images(count: usize) -> Vec<f32> {
        (0..count * IMAGE_LEN)
            .map(|i| (i * 7919 % 256) as f32 / 255.0)
            .collect()
    }

    #[test]
    fn every_layer_and_parameter_has_a_gradient_and_the_loss_is_training_s() {
        let device = Device::flex().autodiff();
        for kind in DecoderKind::ALL {
            let model = AutoencoderConfig::new(kind).init(&device);
            let images = images_tensor(made_up_images(4), &device);
            let (layout, transaction) = register(
                &model,
                images.clone(),
                Taps::EveryLayer,
                Transaction::default(),
            );
            let data = transaction.execute();
            assert_eq!(
                data.len(),
                1 + layout.layers.len() + layout.parameters.len(),
                "{kind}"
            );
            assert_eq!(layout.layers.len(), model.architecture().len(), "{kind}");
            let counted: usize = data[1 + layout.layers.len()..]
                .iter()
                .map(|values| values.num_elements())
                .sum();
            assert_eq!(counted, model.num_params(), "{kind}");
            assert!(
                layout
                    .parameters
                    .contains(&"encoder.conv1.weight".to_string()),
                "{kind}"
            );

            let (expected, _) = crate::train::gradients(&model, images);
            let loss: f32 = data[0].try_to_vec::<f32>().unwrap()[0];
            assert_eq!(loss, expected.into_scalar::<f32>(), "{kind}");
            // The logits' gradient of a mean BCE is (sigmoid - target) / n:
            // never all zero.
            let logits: Vec<f32> = data[layout.layers.len()].try_to_vec().unwrap();
            assert!(logits.iter().any(|g| *g != 0.0), "{kind}");
            for (name, values) in layout
                .parameters
                .iter()
                .zip(&data[1 + layout.layers.len()..])
            {
                let values: Vec<f32> = values.try_to_vec().unwrap();
                assert!(values.iter().all(|g| g.is_finite()), "{kind} {name}");
            }
        }
    }
}
