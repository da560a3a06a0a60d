//! Reconstructions of a drawing recorded once and replayed off the CPU
//! ([`crate::replay`]): on WebGPU each pointer move then costs a pipeline,
//! a bind group and a dispatch per kernel of the shown decoders, not
//! Burn's, cubecl's and the browser's whole launch path.
//!
//! The recording reads the drawing and each shown decoder's parameters
//! from buffers of its own. A reconstruction refills the drawing, and the
//! parameters of a decoder whose weights changed since, then replays.

use burn::tensor::Tensor;

use super::Session;
use crate::DecoderKind;
use crate::layout::{TO_CHANNELS_FIRST, TO_CHANNELS_LAST};
use crate::reconstruction::logits;
use crate::replay::{Replay, own_copy, refill, replays_on, with_warm_ups};

/// The shown decoders' reconstructions, recorded.
pub(super) struct DrawingReplay {
    /// The decoders recorded, in the lab's order.
    kinds: Vec<DecoderKind>,
    /// `[1, 1, 28, 28]`, laid as [`crate::evaluation::images_tensor`] lays it.
    input: Tensor<4>,
    /// Each decoder's parameters, laid flat as its trainer lays them.
    parameters: Vec<Tensor<1>>,
    /// Whether each decoder's parameters are its weights now.
    current: Vec<bool>,
    /// Each decoder's logits, `[784]`.
    replay: Replay<Vec<Tensor<1>>>,
}

/// Whether the views replay a recording.
pub(super) enum Drawing {
    NotYet,
    /// These decoders reconstructed once without a recording: the next
    /// reconstruction records, in the room that one left in cubecl's pools
    /// ([`Replay::record`]).
    Warm(Vec<DecoderKind>),
    Recorded(Box<DrawingReplay>),
    /// Recording these decoders failed: they run as they are.
    Refused(Vec<DecoderKind>),
}

impl Drawing {
    /// `kind`'s weights are about to change.
    pub(super) fn weights_changed(&mut self, kind: DecoderKind) {
        if let Drawing::Recorded(replay) = self
            && let Some(at) = replay.kinds.iter().position(|k| *k == kind)
        {
            replay.current[at] = false;
        }
    }
}

impl Session {
    /// The shown decoders' logits for `input` (`[1, 1, 28, 28]`, as
    /// [`crate::evaluation::images_tensor`] makes it), in the lab's order,
    /// by a replay; `None` where the views do not run on the trainers' own
    /// models off the CPU, or a recording failed: the caller then issues
    /// the work itself. The logits are the recording's own buffers, which
    /// the next replay overwrites: read them before.
    pub(super) fn replayed_logits(&mut self, input: &Tensor<4>) -> Option<Vec<Tensor<1>>> {
        if !replays_on(&self.device) || self.views_on_copies() {
            return None;
        }
        let kinds = self.shown.clone();
        let outcome = match &mut self.drawing_replay {
            Drawing::Refused(refused) if *refused == kinds => return None,
            Drawing::Recorded(replay) if replay.kinds == kinds => {
                let trainers: Vec<_> = kinds
                    .iter()
                    .map(|kind| &self.slots[kind.index()].trainer)
                    .collect();
                replay.refresh(&trainers, input)
            }
            Drawing::Warm(warm) if *warm == kinds => self.record_drawing(input),
            _ => {
                self.drawing_replay = Drawing::Warm(kinds);
                return None;
            }
        };
        match outcome {
            Ok(logits) => Some(logits),
            Err(err) => {
                log::warn!("the views run without a recording: {err}");
                self.drawing_replay = Drawing::Refused(kinds);
                None
            }
        }
    }

    /// Records the shown decoders' reconstructions of `input`, and returns
    /// them, replayed.
    fn record_drawing(&mut self, input: &Tensor<4>) -> Result<Vec<Tensor<1>>, String> {
        let kinds = self.shown.clone();
        let trainers: Vec<_> = kinds.iter().map(|kind| &self.slot(*kind).trainer).collect();
        let parameters = trainers
            .iter()
            .map(|trainer| {
                trainer
                    .flat_parameters()
                    .map(own_copy)
                    .ok_or("a model without parameters")
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Copied as laid (channels last), then seen as given.
        let input = own_copy(&input.clone().permute(TO_CHANNELS_LAST)).permute(TO_CHANNELS_FIRST);
        let replay = with_warm_ups(|warm_ups| {
            Replay::<Vec<Tensor<1>>>::record(&self.device, warm_ups, |_| {
                Ok(trainers
                    .iter()
                    .zip(&parameters)
                    .map(|(trainer, flat)| {
                        logits(&trainer.inference_model_with(flat.clone()), input.clone())
                    })
                    .collect())
            })
        })?;
        let logits = replay.replay()?.clone();
        self.drawing_replay = Drawing::Recorded(Box::new(DrawingReplay {
            current: vec![true; kinds.len()],
            kinds,
            input,
            parameters,
            replay,
        }));
        Ok(logits)
    }
}

impl DrawingReplay {
    /// Refills the drawing and any changed parameters from `trainers` (one
    /// per recorded decoder, in order), and replays.
    fn refresh(
        &mut self,
        trainers: &[&crate::Trainer],
        input: &Tensor<4>,
    ) -> Result<Vec<Tensor<1>>, String> {
        for ((trainer, buffer), current) in trainers
            .iter()
            .zip(&mut self.parameters)
            .zip(&mut self.current)
        {
            if !*current {
                let flat = trainer
                    .flat_parameters()
                    .ok_or("a model without parameters")?;
                refill(buffer, flat.clone())?;
                *current = true;
            }
        }
        refill(&mut self.input, input.clone())?;
        self.replay.replay().cloned()
    }
}
