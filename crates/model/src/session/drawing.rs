//! Views on a second device. Beside a GPU, a reconstruction of one image is
//! faster on the CPU: on WebGPU it costs issuing every layer's work, which
//! for a batch of one outweighs the arithmetic (docs/benchmarks.md). The
//! models then train where they are, and the views run on copies of them on
//! the CPU, copied again after every change, so a view never shows weights
//! older than the models'.

use burn::tensor::Device;

use super::drawing_replay::Drawing;
use super::{LabError, Session};
use crate::backend::is_cpu;
use crate::host::copy_to_host;
use crate::{Autoencoder, DecoderKind};

/// Copies of the models on the device the views run on.
pub(super) struct DrawingCopies {
    device: Device,
    /// One per [`DecoderKind::ALL`]: `None` since its model changed, until
    /// it is copied again.
    models: Vec<Option<Autoencoder>>,
}

/// Models to copy to the drawing device: see [`Session::stale_copies`].
pub struct StaleCopies {
    device: Device,
    models: Vec<(DecoderKind, Autoencoder)>,
}

impl StaleCopies {
    /// The decoders to copy, in the lab's order.
    pub fn kinds(&self) -> Vec<DecoderKind> {
        self.models.iter().map(|(kind, _)| *kind).collect()
    }

    /// The copies, read from the training device in one awaited read each.
    pub async fn copy(self) -> Result<Vec<(DecoderKind, Autoencoder)>, LabError> {
        let mut copies = Vec::with_capacity(self.models.len());
        for (kind, model) in self.models {
            let copy = copy_to_host(&model, &self.device)
                .await
                .map_err(|err| LabError::Read(format!("{err:?}")))?;
            copies.push((kind, copy));
        }
        Ok(copies)
    }
}

/// The device the views run on and, for each shown decoder, its model there.
pub(super) struct ViewModels {
    pub device: Device,
    pub models: Vec<(DecoderKind, Autoencoder)>,
}

impl Session {
    /// Runs the views on the CPU (`true`) or on the device the lab started
    /// on (`false`), on copies of the models where they train on the other
    /// one; see [`Self::draw_on`].
    pub fn draw_on_cpu(&mut self, on: bool) {
        let device = if on {
            Device::flex()
        } else {
            self.home.clone()
        };
        self.draw_on((is_cpu(&device) != self.on_cpu()).then_some(device));
    }

    /// Runs the views on copies of the models on `device`, or on the models
    /// themselves (`None`). The copies are made from [`Self::stale_copies`];
    /// until a shown model has its copy, the views run on the training device.
    pub fn draw_on(&mut self, device: Option<Device>) {
        // Recorded on the device the views ran on.
        self.drawing_replay = Drawing::NotYet;
        self.drawing = device.map(|device| DrawingCopies {
            device,
            models: vec![None; DecoderKind::ALL.len()],
        });
    }

    /// `"cpu"` or `"webgpu"`: where the views run when their copies are made.
    pub fn drawing_backend(&self) -> &'static str {
        let device = self.drawing.as_ref().map_or(&self.device, |d| &d.device);
        if is_cpu(device) { "cpu" } else { "webgpu" }
    }

    /// The shown models whose copy on the drawing device is missing, if the
    /// views run on a second device.
    pub fn stale_copies(&self) -> Option<StaleCopies> {
        let drawing = self.drawing.as_ref()?;
        let models: Vec<_> = self
            .shown_slots()
            .filter(|slot| drawing.models[slot.kind.index()].is_none())
            .map(|slot| (slot.kind, slot.trainer.inference_model()))
            .collect();
        (!models.is_empty()).then(|| StaleCopies {
            device: drawing.device.clone(),
            models,
        })
    }

    /// Keeps copies made from [`Self::stale_copies`]. The session must not
    /// have changed the models since.
    pub fn install_copies(&mut self, copies: Vec<(DecoderKind, Autoencoder)>) {
        if let Some(drawing) = &mut self.drawing {
            for (kind, model) in copies {
                drawing.models[kind.index()] = Some(model);
            }
        }
    }

    /// Drops `kind`'s copy: its model is about to change.
    pub(super) fn weights_changed(&mut self, kind: DecoderKind) {
        self.drawing_replay.weights_changed(kind);
        if let Some(drawing) = &mut self.drawing {
            drawing.models[kind.index()] = None;
        }
    }

    /// The shown models on the drawing device where every one has a fresh
    /// copy there, else on the training device: a view is never stale.
    pub(super) fn view_models(&self) -> ViewModels {
        let copies = self.copies_for_views();
        copies.unwrap_or_else(|| ViewModels {
            device: self.device.clone(),
            models: self
                .shown_slots()
                .map(|slot| (slot.kind, slot.trainer.inference_model()))
                .collect(),
        })
    }

    /// Whether the views run on copies on a second device, not on the
    /// trainers' own models.
    pub(super) fn views_on_copies(&self) -> bool {
        self.copies_for_views().is_some()
    }

    /// The shown models' copies on the drawing device, where each has one.
    fn copies_for_views(&self) -> Option<ViewModels> {
        self.drawing.as_ref().and_then(|drawing| {
            let models = self
                .shown_slots()
                .map(|slot| Some((slot.kind, drawing.models[slot.kind.index()].clone()?)))
                .collect::<Option<Vec<_>>>()?;
            Some(ViewModels {
                device: drawing.device.clone(),
                models,
            })
        })
    }
}
