//! Copying a model's parameters to the host without a synchronous read.
//!
//! On WebGPU every read must be awaited; `Module::into_record` and
//! `Module::fork` read synchronously and panic there. This gathers every
//! parameter into one asynchronous transaction and rebuilds the model on a
//! host device, where saving is an ordinary synchronous affair.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, ExecutionError, Tensor, TensorData, Transaction};

use crate::autoencoder::Autoencoder;

/// The same model with its parameters on `host` (normally `Device::flex()`),
/// read from wherever they live with one awaited transaction.
pub async fn copy_to_host(
    model: &Autoencoder,
    host: &Device,
) -> Result<Autoencoder, ExecutionError> {
    let model = model.valid();
    let mut gather = Gather(Some(Transaction::default()));
    model.visit(&mut gather);
    let data = gather
        .0
        .take()
        .expect("the transaction is always put back")
        .execute_async()
        .await?;
    let mut replace = Replace {
        data: data.into_iter(),
        device: host,
    };
    Ok(model.map(&mut replace))
}

struct Gather(Option<Transaction>);

impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let transaction = self.0.take().expect("the transaction is always put back");
        self.0 = Some(transaction.register(param.val()));
    }
}

struct Replace<'a> {
    data: std::vec::IntoIter<TensorData>,
    device: &'a Device,
}

impl ModuleMapper for Replace<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, _, _) = param.consume();
        // Visiting and mapping walk the parameters in the same order.
        let data = self.data.next().expect("one read per parameter");
        Param::initialized(id, Tensor::from_data(data, self.device))
    }
}

/// Runs a future to completion on this thread: on the CPU backend, reads
/// are ready at once, so the tests need no executor.
#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AutoencoderConfig, DecoderKind};

    #[test]
    fn host_copy_of_a_training_model_computes_the_same_outputs() {
        let autodiff = Device::flex().autodiff();
        let host = Device::flex();
        for kind in DecoderKind::ALL {
            let model = AutoencoderConfig::new(kind).with_seed(4).init(&autodiff);
            let copy = block_on(copy_to_host(&model, &host)).unwrap();
            assert!(!copy.devices()[0].is_autodiff());
            let input = || Tensor::<4>::ones([1, 1, 28, 28], &host).mul_scalar(0.3);
            let expected: Vec<f32> = model
                .valid()
                .forward(input())
                .into_data()
                .try_to_vec()
                .unwrap();
            let got: Vec<f32> = copy.forward(input()).into_data().try_to_vec().unwrap();
            assert_eq!(expected, got, "{kind}");
            assert_eq!(copy.num_params(), model.num_params());
        }
    }
}
