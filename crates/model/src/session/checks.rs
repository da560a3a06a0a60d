//! The numbers themselves, for comparing one backend with another: a
//! model's BCE over every test digit, and its gradient at every layer on
//! fixed digits (the Dawn harness and the browser tests compare them
//! between WebGPU and the CPU).

use burn::tensor::Transaction;

use super::{LabError, Pending, Session, floats, invalid};
use crate::DecoderKind;
use crate::evaluation::{images_tensor, mean_of_chunks, register_mean_bce};
use crate::gradient_check;
use crate::session::records::{LayerGradients, NamedValues};

/// Test digits a gradient check runs on.
const GRADIENT_CHECK_DIGITS: usize = 16;

impl Session {
    /// The mean per-pixel BCE of `kind`'s current model over the first
    /// `digits` test digits (every one, if there are fewer), computed on this
    /// session's device.
    pub fn test_bce(&self, kind: DecoderKind, digits: usize) -> Result<Pending<f64>, LabError> {
        if digits == 0 {
            return Err(invalid("a test BCE needs at least one digit"));
        }
        let test = self.test_set()?.take(digits);
        let model = self.slot(kind).trainer.inference_model();
        let (sizes, transaction) =
            register_mean_bce(&model, &test, &self.device, Transaction::default());
        Ok(Pending::new(transaction, move |_, data| {
            Ok(mean_of_chunks(&sizes, data))
        }))
    }

    /// `kind`'s current model's loss on the first test digits, and its
    /// gradient at every layer's output and every parameter, computed on
    /// this session's device. Nothing changes.
    pub fn layer_gradients(&self, kind: DecoderKind) -> Result<Pending<LayerGradients>, LabError> {
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..GRADIENT_CHECK_DIGITS.min(test.len())).collect();
        let digits = images_tensor(test.batch(&indices), &self.device.clone().autodiff());
        let model = self.slot(kind).trainer.model().clone();
        let (layout, transaction) = gradient_check::register(
            &model,
            digits,
            gradient_check::Taps::EveryLayer,
            Transaction::default(),
        );
        Ok(Pending::new(transaction, move |_, data| {
            let mut data = data.into_iter();
            let loss = floats(data.next())?.first().copied().unwrap_or(f32::NAN);
            let mut named = |names: Vec<String>| {
                names
                    .into_iter()
                    .map(|name| {
                        Ok(NamedValues {
                            name,
                            values: floats(data.next())?,
                        })
                    })
                    .collect::<Result<Vec<_>, LabError>>()
            };
            let layers = named(layout.layers)?;
            let parameters = named(layout.parameters)?;
            Ok(LayerGradients {
                decoder: kind.name(),
                loss,
                layers,
                parameters,
            })
        }))
    }
}
