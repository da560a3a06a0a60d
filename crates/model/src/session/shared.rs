//! One session for calls that may overlap. In the browser a call that
//! awaits (a read from the GPU, the helper's reply) yields, and the next
//! request may arrive before it ends: a [`SharedSession`] refuses that one
//! with [`LabError::Busy`] rather than interleave two calls on the models,
//! and never panics on a borrow.

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::future::Future;
use std::rc::Rc;

use super::{LabError, Pending, Session, TrainReport};
use crate::DecoderKind;
use crate::data_parallel::{GradientHelper, ReconstructionHelper};
use crate::reconstruction::Reconstruction;

/// A [`Session`] behind one handle; see the module docs.
pub struct SharedSession {
    session: Rc<RefCell<Session>>,
    busy: Rc<Cell<bool>>,
    helper_failure: Rc<RefCell<Option<String>>>,
}

/// Marks the session busy until dropped.
struct Claim(Rc<Cell<bool>>);

impl Claim {
    fn new(busy: &Rc<Cell<bool>>) -> Result<Self, LabError> {
        if busy.replace(true) {
            return Err(LabError::Busy);
        }
        Ok(Self(busy.clone()))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl SharedSession {
    pub fn new(session: Session) -> Self {
        Self {
            session: Rc::new(RefCell::new(session)),
            busy: Rc::new(Cell::new(false)),
            helper_failure: Rc::new(RefCell::new(None)),
        }
    }

    /// The session to read, unless a call holds it (training with a helper
    /// holds it across the helper's reply).
    pub fn read(&self) -> Result<Ref<'_, Session>, LabError> {
        self.session.try_borrow().map_err(|_| LabError::Busy)
    }

    /// The session to change, unless a call is under way.
    pub fn write(&self) -> Result<RefMut<'_, Session>, LabError> {
        if self.busy.get() {
            return Err(LabError::Busy);
        }
        self.session.try_borrow_mut().map_err(|_| LabError::Busy)
    }

    /// Makes `call` now (its work is issued before this returns) and
    /// resolves to its result once its reads are done, the session busy
    /// until then.
    pub fn call<T: 'static>(
        &self,
        call: impl FnOnce(&mut Session) -> Result<Pending<T>, LabError>,
    ) -> impl Future<Output = Result<T, LabError>> + 'static {
        let session = self.session.clone();
        let started = Claim::new(&self.busy).and_then(|claim| {
            let mut borrowed = session.try_borrow_mut().map_err(|_| LabError::Busy)?;
            Ok((claim, call(&mut borrowed)?))
        });
        async move {
            let (_claim, pending) = started?;
            settle(&session, pending).await
        }
    }

    /// Trains `model_steps` model steps ([`Session::train`]), each batch
    /// split with `helper` where one is given
    /// ([`Session::train_with_helper`]). If the helper fails the call is
    /// repeated alone: the models never miss a call, and
    /// [`Self::take_helper_failure`] then says why the helper should go.
    // The session stays borrowed while the helper computes its half: the
    // claim refuses other calls meanwhile, and reads are refused, not a panic.
    #[allow(clippy::await_holding_refcell_ref)]
    pub fn train(
        &self,
        model_steps: u32,
        helper: Option<impl GradientHelper + 'static>,
    ) -> impl Future<Output = Result<TrainReport, LabError>> + 'static {
        let claim = Claim::new(&self.busy);
        let session = self.session.clone();
        let failure = self.helper_failure.clone();
        async move {
            let _claim = claim?;
            let mut borrowed = session.try_borrow_mut().map_err(|_| LabError::Busy)?;
            let pending = match helper {
                None => borrowed.train(model_steps)?,
                Some(mut helper) => {
                    match borrowed.train_with_helper(model_steps, &mut helper).await {
                        Err(err @ LabError::Helper(_)) => {
                            failure.replace(Some(err.to_string()));
                            borrowed.train(model_steps)?
                        }
                        other => other?,
                    }
                }
            };
            drop(borrowed);
            let report = settle(&session, pending).await;
            // A copy that fails costs the views their speed, not their
            // truth: they run on the training device until the next copy.
            let _ = refresh_copies(&session).await;
            report
        }
    }

    /// Runs the views on the CPU beside WebGPU training, or on the training
    /// device ([`Session::draw_on_cpu`]), copying the models there now.
    pub fn draw_on_cpu(&self, on: bool) -> impl Future<Output = Result<(), LabError>> + 'static {
        let claim = Claim::new(&self.busy);
        let session = self.session.clone();
        async move {
            let _claim = claim?;
            session
                .try_borrow_mut()
                .map_err(|_| LabError::Busy)?
                .draw_on_cpu(on);
            refresh_copies(&session).await
        }
    }

    /// Trains from now on on the CPU (`true`) or on the lab's own device
    /// ([`Session::training_move`]), copying every model there now.
    pub fn train_on_cpu(&self, on: bool) -> impl Future<Output = Result<(), LabError>> + 'static {
        let claim = Claim::new(&self.busy);
        let session = self.session.clone();
        async move {
            let _claim = claim?;
            let pending = session
                .try_borrow()
                .map_err(|_| LabError::Busy)?
                .training_move(on)?;
            if let Some(pending) = pending {
                let moved = pending.copy().await?;
                session
                    .try_borrow_mut()
                    .map_err(|_| LabError::Busy)?
                    .install_training(moved)?;
            }
            refresh_copies(&session).await
        }
    }

    /// Reconstructs `image` with every shown decoder
    /// ([`Session::reconstruct`]), the later share made by `helper` where
    /// one is given ([`Session::reconstruct_with_helper`]); all made here
    /// if it fails, as [`Self::train`] does.
    #[allow(clippy::await_holding_refcell_ref)]
    pub fn reconstruct(
        &self,
        image: Vec<f32>,
        helper: Option<impl ReconstructionHelper + 'static>,
    ) -> impl Future<Output = Result<Vec<Reconstruction>, LabError>> + 'static {
        let claim = Claim::new(&self.busy);
        let session = self.session.clone();
        let failure = self.helper_failure.clone();
        async move {
            let _claim = claim?;
            refresh_copies(&session).await?;
            let borrowed = session.try_borrow().map_err(|_| LabError::Busy)?;
            // The helper computes on the CPU: it shares the views only there
            // (the CPU may train beside views on WebGPU).
            let helper = helper.filter(|_| borrowed.drawing_backend() == "cpu");
            if let Some(mut helper) = helper {
                match borrowed.reconstruct_with_helper(&image, &mut helper).await {
                    Err(err @ LabError::HelperReconstruction(_)) => {
                        failure.replace(Some(err.to_string()));
                    }
                    other => return other,
                }
            }
            drop(borrowed);
            let pending = session
                .try_borrow_mut()
                .map_err(|_| LabError::Busy)?
                .reconstruct(&image)?;
            settle(&session, pending).await
        }
    }

    /// Why the helper failed in a call since this was last asked, if it
    /// did: that call's work was done alone, and the helper is not to be
    /// trusted with the next.
    pub fn take_helper_failure(&self) -> Option<String> {
        self.helper_failure.take()
    }

    /// `kind`'s current weights as a `.ckpt` file's bytes.
    pub fn save_weights(
        &self,
        kind: DecoderKind,
    ) -> impl Future<Output = Result<Vec<u8>, LabError>> + 'static {
        let started = Claim::new(&self.busy)
            .and_then(|claim| Ok((claim, self.read()?.weights_to_save(kind))));
        async move {
            let (_claim, save) = started?;
            save.encode().await
        }
    }
}

/// Copies the shown models changed since their last copy to the device
/// the views run on, where that is not the training device.
async fn refresh_copies(session: &RefCell<Session>) -> Result<(), LabError> {
    let stale = session
        .try_borrow()
        .map_err(|_| LabError::Busy)?
        .stale_copies();
    if let Some(stale) = stale {
        let copies = stale.copy().await?;
        let mut borrowed = session.try_borrow_mut().map_err(|_| LabError::Busy)?;
        borrowed.install_copies(copies);
    }
    Ok(())
}

/// Awaits a pending call's reads, then finishes it on the session.
async fn settle<T>(session: &RefCell<Session>, pending: Pending<T>) -> Result<T, LabError> {
    let (transaction, finish) = pending.into_parts();
    let data = transaction
        .execute_async()
        .await
        .map_err(|err| LabError::Read(format!("{err:?}")))?;
    let mut borrowed = session.try_borrow_mut().map_err(|_| LabError::Busy)?;
    finish.apply(&mut borrowed, data)
}
