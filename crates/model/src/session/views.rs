//! What the page looks at, for every shown decoder: reconstructions of an
//! input (shared with the second worker on the CPU), decoded codes, latent
//! walks and the probes' meters.

use burn::tensor::{Tensor, TensorData, Transaction};

use super::drawing::ViewModels;
use super::{LabError, Pending, Session, floats, input_image, invalid};
use crate::backend::is_cpu;
use crate::data_parallel::{ReconstructionHelper, SharedReconstruction};
use crate::evaluation::{
    ProbeOutputs, Probes, code_maps, images_tensor, shuffled_codes, unit_codes,
};
use crate::init::SeededRng;
use crate::reconstruction::{self, Reconstruction};
use crate::session::InputKind;
use crate::session::records::{DecoderProbes, MeterReferences, Walk};
use crate::{
    Autoencoder, CODE_LEN, CheckerboardMeters, DecoderKind, IMAGE_LEN, limits, parameters,
};

/// Test digits whose codes feed the random-code views.
const CODE_SOURCE_DIGITS: usize = 256;
/// Test digits the probes are measured on.
const PROBE_DIGITS: usize = 64;
/// Fixes the probes' noise and shuffled codes, so two measurements compare.
const PROBE_SEED: u64 = 0x5EED;

impl Session {
    /// The meters of the probes' test digits themselves and of as many white
    /// noise images: the marks the page sets on its meter scales.
    pub fn meter_references(&self) -> Result<MeterReferences, LabError> {
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..PROBE_DIGITS.min(test.len())).collect();
        let noise: Vec<f32> = (0..PROBE_DIGITS as u64)
            .flat_map(|seed| InputKind::Noise.synthetic_image(seed).unwrap_or_default())
            .collect();
        Ok(MeterReferences {
            digits: CheckerboardMeters::of_batch(&test.batch(&indices)),
            noise: CheckerboardMeters::of_batch(&noise),
        })
    }

    /// Registers, for each shown decoder, what `outputs` makes of its
    /// model in `views`; returns the decoders in the order registered.
    fn per_decoder(
        views: &ViewModels,
        mut outputs: impl FnMut(&Autoencoder, Transaction) -> Transaction,
    ) -> (Vec<DecoderKind>, Transaction) {
        let mut transaction = Transaction::default();
        let mut kinds = Vec::new();
        for (kind, model) in &views.models {
            transaction = outputs(model, transaction);
            kinds.push(*kind);
        }
        (kinds, transaction)
    }

    /// Reconstructs `image` (784 intensities in `[0, 1]`) with every shown
    /// decoder, with its BCE and meters.
    pub fn reconstruct(&mut self, image: &[f32]) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        let image = input_image(image)?;
        if let Some(replayed) = self.replayed_logits(&images_tensor(image.clone(), &self.device)) {
            let kinds = self.shown.clone();
            let transaction = replayed
                .into_iter()
                .fold(Transaction::default(), Transaction::register);
            return Ok(Self::read_reconstructions(kinds, transaction, image));
        }
        let views = self.view_models();
        let input = images_tensor(image.clone(), &views.device);
        let (kinds, transaction) = Self::per_decoder(&views, |model, transaction| {
            reconstruction::register(model, input.clone(), transaction)
        });
        Ok(Self::read_reconstructions(kinds, transaction, image))
    }

    /// What [`reconstruct`](Self::reconstruct) returns, once `transaction`
    /// has read each of `kinds`' logits of `image`.
    fn read_reconstructions(
        kinds: Vec<DecoderKind>,
        transaction: Transaction,
        image: Vec<f32>,
    ) -> Pending<Vec<Reconstruction>> {
        Pending::new(transaction, move |_, data| {
            let mut data = data.into_iter();
            kinds
                .into_iter()
                .map(|kind| reconstruction::read(kind, &mut data, &image).map_err(LabError::Read))
                .collect()
        })
    }

    /// [`reconstruct`](Self::reconstruct) with the shown decoders shared:
    /// `helper` (in the browser, the second worker, idle while
    /// the lab answers a call) reconstructs the later ones at their
    /// current parameters while this thread reconstructs the rest. Its
    /// share is the smaller, `(shown - 1) / 2`: a message each way costs
    /// about one decoder's reconstruction in the browser, so with two
    /// shown this thread makes both, and with seven it makes four while
    /// the helper makes three. The same results, in the same order. The
    /// CPU backend only (parameters are read synchronously); a helper that
    /// fails or answers wrongly fails the call with
    /// [`LabError::HelperReconstruction`], and nothing changes, so it can
    /// be repeated without the helper.
    pub async fn reconstruct_with_helper<H: ReconstructionHelper>(
        &self,
        image: &[f32],
        helper: &mut H,
    ) -> Result<Vec<Reconstruction>, LabError> {
        let views = self.view_models();
        if !is_cpu(&views.device) {
            return Err(invalid(
                "a reconstruction helper runs on the CPU backend only",
            ));
        }
        let clamped = input_image(image)?;
        let input = images_tensor(clamped.clone(), &views.device);
        let shown = &views.models;
        // Its share is the later one: its results go after this thread's.
        let (own, theirs) = shown.split_at(shown.len() - helper_share(shown.len()));
        let reply = (!theirs.is_empty()).then(|| {
            helper.start(SharedReconstruction {
                models: theirs
                    .iter()
                    .map(|(kind, model)| (*kind, parameters::parameters(model)))
                    .collect(),
                // The worker clamps it as `image_tensor` does.
                image: image.to_vec(),
            })
        });
        let mut transaction = Transaction::default();
        for (_, model) in own {
            transaction = reconstruction::register(model, input.clone(), transaction);
        }
        let mut data = transaction.execute().into_iter();
        let mut results = own
            .iter()
            .map(|(kind, _)| {
                reconstruction::read(*kind, &mut data, &clamped).map_err(LabError::Read)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(reply) = reply {
            let expected: Vec<DecoderKind> = theirs.iter().map(|(kind, _)| *kind).collect();
            let answered = reply.await.map_err(LabError::HelperReconstruction)?;
            let names: Vec<DecoderKind> = answered.iter().map(|r| r.decoder).collect();
            if names != expected || answered.iter().any(|r| r.image.len() != IMAGE_LEN) {
                return Err(LabError::HelperReconstruction(format!(
                    "it answered for {names:?}, asked for {expected:?}"
                )));
            }
            results.extend(answered);
        }
        Ok(results)
    }

    /// Decodes one code assembled unit by unit from test digits' codes
    /// (`seed` picks which) with every shown decoder: the view where
    /// training on digits has not taught the decoder to hide its pattern.
    pub fn decode_shuffled_code(
        &self,
        seed: u64,
    ) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        self.decode_from_digit_codes(move |codes| {
            shuffled_codes(codes, 1, &mut SeededRng::new(seed))
        })
    }

    /// Decodes the code with only `unit` switched on, at its largest value
    /// over the test digits: one impulse response per shown decoder.
    pub fn decode_code_unit(&self, unit: u32) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        let unit = unit as usize;
        if unit >= CODE_LEN {
            return Err(invalid(format!(
                "the code has {CODE_LEN} units, numbered 0 to {}; {unit} is not one",
                CODE_LEN - 1
            )));
        }
        self.decode_from_digit_codes(move |codes| {
            unit_codes(codes).slice([unit..unit + 1, 0..CODE_LEN])
        })
    }

    /// Decodes, with every shown decoder, the code `pick` makes from the
    /// codes of the first test digits (`[n, 128]` in, `[1, 128]` out).
    fn decode_from_digit_codes(
        &self,
        pick: impl Fn(Tensor<2>) -> Tensor<2>,
    ) -> Result<Pending<Vec<Reconstruction>>, LabError> {
        let views = self.view_models();
        let digits = self.test_digits(CODE_SOURCE_DIGITS, &views.device)?;
        let count = digits.dims()[0];
        let (kinds, transaction) = Self::per_decoder(&views, |model, transaction| {
            let codes = model.encode(digits.clone()).reshape([count, CODE_LEN]); // [n, 128]
            transaction.register(model.decode(code_maps(pick(codes))))
        });
        Ok(Pending::new(transaction, move |_, data| {
            kinds
                .into_iter()
                .zip(data)
                .map(|(kind, data)| {
                    let image = floats(Some(data))?;
                    Ok(Reconstruction {
                        decoder: kind,
                        bce: None,
                        meters: CheckerboardMeters::of_batch(&image),
                        image,
                    })
                })
                .collect()
        }))
    }

    /// Walks the code in a straight line from the code of image `from` to
    /// that of image `to` in `steps` points, ends included, and decodes
    /// every point with every shown decoder (each with its own encoder).
    pub fn latent_walk(
        &self,
        from: &[f32],
        to: &[f32],
        steps: usize,
    ) -> Result<Pending<Vec<Walk>>, LabError> {
        if !limits::WALK_STEPS.contains(&steps) {
            return Err(invalid(format!(
                "a walk has {} to {} steps, not {steps}",
                limits::WALK_STEPS.start(),
                limits::WALK_STEPS.end()
            )));
        }
        let views = self.view_models();
        let device = &views.device;
        let ends = Tensor::cat(
            vec![
                self.image_tensor(from, device)?,
                self.image_tensor(to, device)?,
            ],
            0,
        ); // [2, 1, 28, 28]
        let fractions: Vec<f32> = (0..steps).map(|i| i as f32 / (steps - 1) as f32).collect();
        let t = Tensor::<2>::from_data(TensorData::new(fractions, [steps, 1]), device);
        let (kinds, transaction) = Self::per_decoder(&views, |model, transaction| {
            let codes = model.encode(ends.clone()).reshape([2, CODE_LEN]);
            let start = codes.clone().slice([0..1, 0..CODE_LEN]); // [1, 128]
            let end = codes.slice([1..2, 0..CODE_LEN]);
            let path = start.clone() + (end - start) * t.clone(); // [steps, 128]
            transaction.register(model.decode(code_maps(path)))
        });
        Ok(Pending::new(transaction, move |_, data| {
            kinds
                .into_iter()
                .zip(data)
                .map(|(kind, data)| {
                    Ok(Walk {
                        decoder: kind.name(),
                        steps,
                        images: floats(Some(data))?,
                    })
                })
                .collect()
        }))
    }

    /// The checkerboard meters of every shown decoder on the probes (test
    /// digits, grey, noise, shuffled codes, single code units).
    pub fn probes(&self) -> Result<Pending<Vec<DecoderProbes>>, LabError> {
        let views = self.view_models();
        let digits = self.test_digits(PROBE_DIGITS, &views.device)?;
        let (kinds, transaction) = Self::per_decoder(&views, |model, transaction| {
            ProbeOutputs::new(model, digits.clone(), PROBE_SEED).register(transaction)
        });
        Ok(Pending::new(transaction, move |_, data| {
            let mut data = data.into_iter();
            kinds
                .into_iter()
                .map(|kind| {
                    Ok(DecoderProbes {
                        decoder: kind.name(),
                        probes: Probes::from_data(data.by_ref().take(5)),
                    })
                })
                .collect()
        }))
    }
}

/// How many of `shown` decoders a helper reconstructs; see
/// [`Session::reconstruct_with_helper`].
pub fn helper_share(shown: usize) -> usize {
    shown.saturating_sub(1) / 2
}
