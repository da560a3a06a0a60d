//! A model's parameters and their gradients as one flat list of floats, in
//! the order Burn visits them: how a model's state crosses to the second
//! worker and back (see [`crate::data_parallel`]).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData, Transaction};

use crate::Autoencoder;

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
/// has), each ready for autodiff where it was before, their ids kept.
pub fn with_parameters(model: Autoencoder, values: &[f32], device: &Device) -> Autoencoder {
    struct Replace<'a> {
        values: &'a [f32],
        device: &'a Device,
    }
    impl ModuleMapper for Replace<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, _) = param.consume();
            let learns = tensor.is_require_grad();
            let shape = tensor.shape();
            let (these, rest) = self
                .values
                .split_at(shape.num_elements().min(self.values.len()));
            self.values = rest;
            let value = Tensor::from_data(TensorData::new(these.to_vec(), shape), self.device);
            Param::initialized(id, if learns { value.require_grad() } else { value })
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
