//! A session call whose results still live on the device.
//!
//! On WebGPU every read must be awaited, natively a read may block. A call
//! therefore builds its tensors, registers them in one [`Transaction`] and
//! returns a [`Pending`]: the browser awaits the transaction and hands the
//! data to [`Finish::apply`]; native code calls [`Pending::wait`].

use burn::tensor::{TensorData, Transaction};

use super::{LabError, Session};

type FinishFn<T> = Box<dyn FnOnce(&mut Session, Vec<TensorData>) -> Result<T, LabError>>;

/// Results on their way from the device; see the module docs.
#[must_use = "a pending call does nothing until it is read"]
pub struct Pending<T> {
    transaction: Transaction,
    finish: Finish<T>,
}

/// What turns a transaction's data into the call's result.
pub struct Finish<T>(FinishFn<T>);

impl<T> Pending<T> {
    pub(super) fn new(
        transaction: Transaction,
        finish: impl FnOnce(&mut Session, Vec<TensorData>) -> Result<T, LabError> + 'static,
    ) -> Self {
        Self {
            transaction,
            finish: Finish(Box::new(finish)),
        }
    }

    /// The transaction to execute and what to do with its data.
    pub fn into_parts(self) -> (Transaction, Finish<T>) {
        (self.transaction, self.finish)
    }

    /// Reads synchronously and finishes: native code only (a synchronous
    /// read panics on WebGPU in the browser).
    pub fn wait(self, session: &mut Session) -> Result<T, LabError> {
        let (transaction, finish) = self.into_parts();
        finish.apply(session, transaction.execute())
    }
}

impl<T> Finish<T> {
    /// `data` is what the transaction returned, in order.
    pub fn apply(self, session: &mut Session, data: Vec<TensorData>) -> Result<T, LabError> {
        (self.0)(session, data)
    }
}
