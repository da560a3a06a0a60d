//! The exported class: models, data and training state behind one handle.

use std::cell::RefCell;
use std::rc::Rc;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData, Transaction};
use checkerlab_model::evaluation::{
    ProbeOutputs, Probes, code_maps, images_tensor, shuffled_codes, unit_codes,
};
use checkerlab_model::host::copy_to_host;
use checkerlab_model::init::SeededRng;
use checkerlab_model::metrics::{self, OverlapLayer};
use checkerlab_model::mnist::MnistSet;
use checkerlab_model::weights::{self, TrainingRecipe, WeightsInfo};
use checkerlab_model::{
    Autoencoder, AutoencoderConfig, CODE_LEN, CheckerboardMetrics, DecoderKind, IMAGE_LEN, Trainer,
    bce_with_logits,
};
use js_sys::{Float32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backend::{self, BackendInfo};
use crate::records::*;

/// Test digits whose codes feed the random-code views.
const CODE_SOURCE_DIGITS: usize = 256;
/// Test digits the training meters are measured on.
const PROBE_DIGITS: usize = 64;

/// Checkerlab's models in the browser. Create with [`Checkerlab::create`].
///
/// Methods that read tensors return promises. The page keeps one call in
/// flight; a second arriving meanwhile is refused with a clear error rather
/// than interleaved.
#[wasm_bindgen]
pub struct Checkerlab {
    lab: Rc<RefCell<Lab>>,
}

struct Lab {
    device: Device,
    backend: BackendInfo,
    slots: Vec<Slot>,
    /// The decoders the page shows: the ones reconstructions, probes, walks
    /// and training cover. The others keep their weights untouched.
    shown: Vec<DecoderKind>,
    train: Option<MnistSet>,
    test: Option<MnistSet>,
    settings: TrainSettings,
    batches: BatchOrder,
    busy: bool,
}

struct Slot {
    kind: DecoderKind,
    trainer: Trainer,
    /// Seed of the initial weights this model's training started from.
    seed: u64,
    origin: String,
}

/// Shuffled passes over the training set, so every model trained sees the same batches.
struct BatchOrder {
    rng: SeededRng,
    order: Vec<usize>,
    cursor: usize,
}

impl BatchOrder {
    fn new(seed: u64) -> Self {
        Self {
            rng: SeededRng::new(seed),
            order: Vec::new(),
            cursor: 0,
        }
    }

    fn next(&mut self, size: usize, available: usize) -> Vec<usize> {
        (0..size)
            .map(|_| {
                if self.cursor >= self.order.len() {
                    self.order = self.rng.permutation(available);
                    self.cursor = 0;
                }
                self.cursor += 1;
                self.order[self.cursor - 1]
            })
            .collect()
    }
}

fn error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

fn read_error(err: impl std::fmt::Debug) -> JsError {
    error(format!(
        "reading results from the device failed ({err:?}); the GPU may have been lost: reload the page, or add ?backend=cpu to its address to run on the CPU"
    ))
}

/// Marks the lab busy until dropped, so an overlapping call is refused.
struct Busy(Rc<RefCell<Lab>>);

impl Busy {
    fn begin(lab: &Rc<RefCell<Lab>>) -> Result<Self, JsError> {
        let mut state = lab
            .try_borrow_mut()
            .map_err(|_| error("Checkerlab is busy with another call"))?;
        if state.busy {
            return Err(error(
                "Checkerlab is busy with another call; wait for it to finish",
            ));
        }
        state.busy = true;
        Ok(Self(lab.clone()))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.borrow_mut().busy = false;
    }
}

impl Lab {
    fn autodiff(&self) -> Device {
        self.device.clone().autodiff()
    }

    fn fresh_slot(&self, kind: DecoderKind, seed: u64) -> Slot {
        let model = AutoencoderConfig::new(kind)
            .with_seed(seed)
            .init(&self.autodiff());
        Slot {
            kind,
            trainer: Trainer::new(model, self.settings.optimizer, self.settings.learning_rate),
            seed,
            origin: format!("seed {seed}, untrained"),
        }
    }

    fn slot_mut(&mut self, kind: DecoderKind) -> &mut Slot {
        self.slots
            .iter_mut()
            .find(|slot| slot.kind == kind)
            .expect("a slot for every decoder kind")
    }

    fn test_set(&self) -> Result<&MnistSet, JsError> {
        self.test
            .as_ref()
            .ok_or_else(|| error("the MNIST test digits are not loaded yet"))
    }

    /// The first `count` test digits (or all, if fewer) on the lab's device.
    fn test_digits(&self, count: usize) -> Result<Tensor<4>, JsError> {
        let test = self.test_set()?;
        let indices: Vec<usize> = (0..count.min(test.len())).collect();
        Ok(images_tensor(test.batch(&indices), &self.device))
    }

    fn shown_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|slot| self.shown.contains(&slot.kind))
    }

    /// Registers what `outputs` makes of each shown decoder's inference model
    /// in one transaction; returns the decoders in the order they were
    /// registered.
    fn per_decoder(
        &self,
        mut outputs: impl FnMut(&Autoencoder, Transaction) -> Transaction,
    ) -> (Vec<DecoderKind>, Transaction) {
        let mut transaction = Transaction::default();
        for slot in self.shown_slots() {
            transaction = outputs(&slot.trainer.inference_model(), transaction);
        }
        (
            self.shown_slots().map(|slot| slot.kind).collect(),
            transaction,
        )
    }

    fn load_weights(&mut self, bytes: &[u8], origin: String) -> Result<WeightsInfo, JsError> {
        let info = weights::read_info(bytes).map_err(error)?;
        let (model, info) =
            weights::decode(bytes, info.decoder, &self.autodiff()).map_err(error)?;
        let (optimizer, learning_rate) = (self.settings.optimizer, self.settings.learning_rate);
        let slot = self.slot_mut(info.decoder);
        slot.trainer = Trainer::new(model, optimizer, learning_rate);
        slot.seed = info.seed;
        slot.origin = origin;
        Ok(info)
    }
}

fn parse_decoder(name: &str) -> Result<DecoderKind, JsError> {
    name.parse().map_err(error)
}

fn image_tensor(image: &Float32Array, device: &Device) -> Result<Tensor<4>, JsError> {
    if image.length() as usize != IMAGE_LEN {
        return Err(error(format!(
            "an input image has {IMAGE_LEN} values (28x28), this one has {}",
            image.length()
        )));
    }
    let values = image.to_vec();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(error("an input image holds a NaN or infinite value"));
    }
    Ok(images_tensor(
        values.iter().map(|v| v.clamp(0.0, 1.0)).collect(),
        device,
    ))
}

fn to_images(data: TensorData) -> Result<Vec<f32>, JsError> {
    data.try_to_vec::<f32>()
        .map_err(|err| error(format!("unexpected output type: {err:?}")))
}

#[wasm_bindgen]
impl Checkerlab {
    /// Starts on WebGPU when `adapter` (a description of the adapter the page
    /// obtained) is given, else on the CPU with `reasonWithout` as the reason
    /// shown. Every model starts untrained from seed 0.
    pub async fn create(
        adapter: Option<String>,
        #[wasm_bindgen(js_name = reasonWithout)] reason_without: String,
    ) -> Result<Checkerlab, JsError> {
        let (device, backend) = backend::choose(adapter, reason_without).await;
        let mut lab = Lab {
            device,
            backend,
            slots: Vec::new(),
            shown: vec![DecoderKind::Upsample, DecoderKind::Transposed],
            train: None,
            test: None,
            settings: TrainSettings::default(),
            batches: BatchOrder::new(0),
            busy: false,
        };
        lab.slots = DecoderKind::ALL
            .into_iter()
            .map(|kind| lab.fresh_slot(kind, 0))
            .collect();
        Ok(Checkerlab {
            lab: Rc::new(RefCell::new(lab)),
        })
    }

    /// `{kind, description, fallbackReason}`.
    pub fn backend(&self) -> Result<JsValue, JsError> {
        to_js(&self.lab.borrow().backend)
    }

    /// Chooses the decoders that reconstructions, probes, walks and training
    /// cover, by name; the page shows these. At least one.
    #[wasm_bindgen(js_name = showDecoders)]
    pub fn show_decoders(&self, names: Vec<String>) -> Result<(), JsError> {
        let kinds = names
            .iter()
            .map(|name| parse_decoder(name))
            .collect::<Result<Vec<_>, _>>()?;
        if kinds.is_empty() {
            return Err(error("show at least one decoder"));
        }
        let _busy = Busy::begin(&self.lab)?;
        let mut lab = self.lab.borrow_mut();
        lab.shown = DecoderKind::ALL
            .into_iter()
            .filter(|kind| kinds.contains(kind))
            .collect();
        Ok(())
    }

    /// What the device's allocator holds now: `{allocations, bytesInUse,
    /// bytesReserved}` on WebGPU, `null` on the CPU (whose tensors live in
    /// the wasm memory the page can measure itself). For soak tests.
    #[wasm_bindgen(js_name = memoryUsage)]
    pub fn memory_usage(&self) -> Result<JsValue, JsError> {
        let usage = self
            .lab
            .borrow()
            .device
            .memory_pool_usage()
            .map(|usage| DeviceMemory {
                allocations: usage.number_allocs,
                bytes_in_use: usage.bytes_in_use,
                bytes_reserved: usage.bytes_reserved,
            });
        to_js(&usage)
    }

    /// Every decoder with its layers, parameter count, weights' origin and
    /// whether it is shown.
    pub fn decoders(&self) -> Result<JsValue, JsError> {
        let lab = self.lab.borrow();
        let list: Vec<DecoderDescription> = lab
            .slots
            .iter()
            .map(|slot| {
                let model = slot.trainer.inference_model();
                DecoderDescription {
                    name: slot.kind.name(),
                    label: slot.kind.label(),
                    parameters: model.num_params(),
                    origin: slot.origin.clone(),
                    steps: slot.trainer.steps(),
                    shown: lab.shown.contains(&slot.kind),
                    layers: model
                        .architecture()
                        .into_iter()
                        .map(|(name, shape)| LayerDescription { name, shape })
                        .collect(),
                }
            })
            .collect();
        to_js(&list)
    }

    /// Loads a `.ckpt` file into the decoder it names; returns its metadata.
    /// A bad file changes nothing and says why.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&self, bytes: Vec<u8>, origin: String) -> Result<JsValue, JsError> {
        let _busy = Busy::begin(&self.lab)?;
        let info = self.lab.borrow_mut().load_weights(&bytes, origin)?;
        to_js(&info)
    }

    /// Loads a split (`"train"` or `"test"`) from its two IDX files (gzipped
    /// or raw); returns the number of digits.
    #[wasm_bindgen(js_name = loadMnist)]
    pub fn load_mnist(&self, split: &str, images: &[u8], labels: &[u8]) -> Result<usize, JsError> {
        let set = MnistSet::from_named_idx(
            (&format!("{split} images"), images),
            (&format!("{split} labels"), labels),
        )
        .map_err(error)?;
        let count = set.len();
        let mut lab = self.lab.borrow_mut();
        match split {
            "train" => lab.train = Some(set),
            "test" => lab.test = Some(set),
            other => {
                return Err(error(format!(
                    "unknown MNIST split '{other}' (train or test)"
                )));
            }
        }
        Ok(count)
    }

    /// A test digit's intensities, 784 values.
    #[wasm_bindgen(js_name = testDigit)]
    pub fn test_digit(&self, index: usize) -> Result<Float32Array, JsError> {
        let lab = self.lab.borrow();
        let test = lab.test_set()?;
        if index >= test.len() {
            return Err(error(format!(
                "there are {} test digits, not {}",
                test.len(),
                index + 1
            )));
        }
        Ok(Float32Array::from(&test.batch(&[index])[..]))
    }

    #[wasm_bindgen(js_name = testLabel)]
    pub fn test_label(&self, index: usize) -> Result<u8, JsError> {
        let lab = self.lab.borrow();
        let test = lab.test_set()?;
        (index < test.len())
            .then(|| test.label(index))
            .ok_or_else(|| error(format!("no test digit {index}")))
    }

    /// Reconstructs `image` (784 intensities) with every decoder. Resolves to
    /// `[{decoder, bce, meters, image: Float32Array}]`.
    pub fn reconstruct(&self, image: Float32Array) -> js_sys::Promise {
        let lab = self.lab.clone();
        future_to_promise(async move {
            let _busy = Busy::begin(&lab)?;
            let (kinds, transaction) = {
                let lab = lab.borrow();
                let input = image_tensor(&image, &lab.device)?;
                lab.per_decoder(|model, transaction| {
                    let logits = model.forward(input.clone());
                    let bce = bce_with_logits(logits.clone(), input.clone());
                    transaction
                        .register(burn::tensor::activation::sigmoid(logits))
                        .register(bce)
                })
            };
            let mut data = transaction
                .execute_async()
                .await
                .map_err(read_error)?
                .into_iter();
            let results = js_sys::Array::new();
            for kind in kinds {
                let output = to_images(data.next().expect("an output per decoder"))?;
                let bce = to_images(data.next().expect("a loss per decoder"))?[0] as f64;
                let record = Reconstruction {
                    decoder: kind.name(),
                    bce,
                    meters: CheckerboardMetrics::of_batch(&output),
                };
                results.push(&with_image(&record, &output)?);
            }
            Ok(results.into())
        })
    }

    /// Decodes one code assembled unit by unit from test digits' codes
    /// (`seed` picks which), with every decoder: the view where training on
    /// digits has not taught the decoder to hide its pattern. Resolves to
    /// `[{decoder, meters, image}]`.
    #[wasm_bindgen(js_name = decodeShuffledCode)]
    pub fn decode_shuffled_code(&self, seed: u32) -> js_sys::Promise {
        decode_from_digit_codes(self.lab.clone(), move |codes| {
            shuffled_codes(codes, 1, &mut SeededRng::new(seed as u64))
        })
    }

    /// Decodes the code with only unit `unit` (0-127) switched on, at its
    /// largest value over the test digits: one impulse response per decoder.
    /// Resolves to `[{decoder, meters, image}]`.
    #[wasm_bindgen(js_name = decodeCodeUnit)]
    pub fn decode_code_unit(&self, unit: usize) -> Result<js_sys::Promise, JsError> {
        if unit >= CODE_LEN {
            return Err(error(format!(
                "the code has {CODE_LEN} units, not {}",
                unit + 1
            )));
        }
        Ok(decode_from_digit_codes(self.lab.clone(), move |codes| {
            unit_codes(codes).slice([unit..unit + 1, 0..CODE_LEN])
        }))
    }

    /// Walks the 4x4x8 code in a straight line from the code of image `from`
    /// to that of image `to` (784 intensities each) in `steps` steps, and
    /// decodes every point with every decoder (each with its own encoder).
    /// Resolves to `[{decoder, steps, images: Float32Array}]`, the images
    /// back to back.
    #[wasm_bindgen(js_name = latentWalk)]
    pub fn latent_walk(
        &self,
        from: Float32Array,
        to: Float32Array,
        steps: usize,
    ) -> Result<js_sys::Promise, JsError> {
        if !(2..=16).contains(&steps) {
            return Err(error("a walk has 2 to 16 steps"));
        }
        let lab = self.lab.clone();
        let (from, to) = {
            let device = &lab.borrow().device;
            (image_tensor(&from, device)?, image_tensor(&to, device)?)
        };
        Ok(future_to_promise(async move {
            let _busy = Busy::begin(&lab)?;
            let (kinds, transaction) = {
                let lab = lab.borrow();
                let device = lab.device.clone();
                // [steps, 1]: 0, 1/(steps-1), ..., 1
                let weights: Vec<f32> = (0..steps).map(|i| i as f32 / (steps - 1) as f32).collect();
                let t = Tensor::<2>::from_data(TensorData::new(weights, [steps, 1]), &device);
                let ends = Tensor::cat(vec![from, to], 0); // [2, 1, 28, 28]
                lab.per_decoder(|model, transaction| {
                    let codes = model.encode(ends.clone()).reshape([2, CODE_LEN]);
                    let start = codes.clone().slice([0..1, 0..CODE_LEN]); // [1, 128]
                    let end = codes.slice([1..2, 0..CODE_LEN]);
                    let path = start.clone() + (end - start) * t.clone(); // [steps, 128]
                    transaction.register(model.decode(code_maps(path)))
                })
            };
            let data = transaction.execute_async().await.map_err(read_error)?;
            let results = js_sys::Array::new();
            for (kind, data) in kinds.into_iter().zip(data) {
                let record = WalkRecord {
                    decoder: kind.name(),
                    steps,
                };
                results.push(&to_js_with(&record, "images", &to_images(data)?)?);
            }
            Ok(results.into())
        }))
    }

    /// The power spectrum `|Y(u, v)|^2` of a 28x28 image (784 values,
    /// row-major in `(u, v)`), the same DFT the stride-energy meter uses.
    pub fn spectrum(&self, image: Float32Array) -> Result<Float32Array, JsError> {
        if image.length() as usize != IMAGE_LEN {
            return Err(error(format!("a spectrum needs {IMAGE_LEN} values")));
        }
        let power: Vec<f32> = metrics::dft_power(&image.to_vec())
            .into_iter()
            .map(|p| p as f32)
            .collect();
        Ok(Float32Array::from(&power[..]))
    }

    /// The checkerboard meters of every decoder on the probes (test digits,
    /// grey, noise, shuffled codes, single code units).
    pub fn probes(&self) -> js_sys::Promise {
        let lab = self.lab.clone();
        future_to_promise(async move {
            let _busy = Busy::begin(&lab)?;
            let (kinds, transaction) = {
                let lab = lab.borrow();
                let digits = lab.test_digits(PROBE_DIGITS)?;
                lab.per_decoder(|model, transaction| {
                    ProbeOutputs::new(model, digits.clone(), 0x5EED).register(transaction)
                })
            };
            let mut data = transaction
                .execute_async()
                .await
                .map_err(read_error)?
                .into_iter();
            let mut results = Vec::new();
            for kind in kinds {
                let probes = Probes::from_data(data.by_ref().take(5));
                results.push(DecoderProbes {
                    decoder: kind.name(),
                    probes,
                });
            }
            Ok(to_js(&results)?)
        })
    }

    /// Sets the optimizer, learning rate and batch size. The optimizers'
    /// state starts afresh; the models keep their weights.
    #[wasm_bindgen(js_name = configureTraining)]
    pub fn configure_training(&self, settings: JsValue) -> Result<(), JsError> {
        let settings: TrainSettings = serde_wasm_bindgen::from_value(settings)
            .map_err(|err| error(format!("bad training settings: {err}")))?;
        if !(settings.learning_rate.is_finite() && settings.learning_rate > 0.0) {
            return Err(error("the learning rate must be a positive number"));
        }
        if !(1..=512).contains(&settings.batch_size) {
            return Err(error("the batch size must be between 1 and 512"));
        }
        let _busy = Busy::begin(&self.lab)?;
        let mut lab = self.lab.borrow_mut();
        for slot in &mut lab.slots {
            slot.trainer = slot
                .trainer
                .clone()
                .with_optimizer(settings.optimizer, settings.learning_rate);
        }
        lab.settings = settings;
        Ok(())
    }

    /// Replaces every model with an untrained one drawn from `seed`; the
    /// batch order restarts from the same seed.
    pub fn reset(&self, seed: u32) -> Result<(), JsError> {
        let _busy = Busy::begin(&self.lab)?;
        let mut lab = self.lab.borrow_mut();
        let kinds: Vec<DecoderKind> = lab.slots.iter().map(|slot| slot.kind).collect();
        for kind in kinds {
            *lab.slot_mut(kind) = lab.fresh_slot(kind, seed as u64);
        }
        lab.batches = BatchOrder::new(seed as u64);
        Ok(())
    }

    /// Runs `steps` training steps on every shown model, on the same batches
    /// of MNIST training digits. Resolves to `{step, losses: [{decoder,
    /// losses}], milliseconds}`. A NaN or infinite loss rolls those models
    /// back to where the call began and rejects with the reason.
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&self, steps: u32) -> js_sys::Promise {
        let lab = self.lab.clone();
        future_to_promise(async move {
            let _busy = Busy::begin(&lab)?;
            let started = now();
            let (snapshots, transaction, kinds) = {
                let mut lab = lab.borrow_mut();
                let lab = &mut *lab;
                let train = lab
                    .train
                    .as_ref()
                    .ok_or_else(|| error("the MNIST training digits are not loaded yet"))?;
                let autodiff = lab.device.clone().autodiff();
                let shown = &lab.shown;
                let mut training: Vec<&mut Slot> = lab
                    .slots
                    .iter_mut()
                    .filter(|slot| shown.contains(&slot.kind))
                    .collect();
                let snapshots: Vec<_> = training
                    .iter()
                    .map(|slot| slot.trainer.snapshot())
                    .collect();
                let mut losses: Vec<Vec<Tensor<1>>> = vec![Vec::new(); training.len()];
                for _ in 0..steps {
                    let indices = lab.batches.next(lab.settings.batch_size, train.len());
                    let images = images_tensor(train.batch(&indices), &autodiff);
                    for (slot, losses) in training.iter_mut().zip(&mut losses) {
                        losses.push(slot.trainer.step(images.clone()));
                    }
                }
                let mut transaction = Transaction::default();
                for loss in losses.into_iter().flatten() {
                    transaction = transaction.register(loss);
                }
                let kinds: Vec<DecoderKind> = training.iter().map(|slot| slot.kind).collect();
                (snapshots, transaction, kinds)
            };
            let data = transaction.execute_async().await.map_err(read_error)?;
            let mut values = data.into_iter().map(|d| to_images(d).map(|v| v[0]));
            let mut report = Vec::new();
            for kind in &kinds {
                let losses = values
                    .by_ref()
                    .take(steps as usize)
                    .collect::<Result<Vec<f32>, _>>()?;
                report.push(DecoderLosses {
                    decoder: kind.name(),
                    losses,
                });
            }
            let mut lab = lab.borrow_mut();
            if let Some((bad, at)) = report.iter().find_map(|entry| {
                entry
                    .losses
                    .iter()
                    .position(|l| !l.is_finite())
                    .map(|at| (entry, at))
            }) {
                for (kind, snapshot) in kinds.iter().zip(snapshots) {
                    lab.slot_mut(*kind).trainer.restore(snapshot);
                }
                return Err(error(format!(
                    "the {} decoder's loss became {} at step {} of this chunk; every model in \
                     training was rolled back to before it. Lower the learning rate and try again.",
                    bad.decoder,
                    bad.losses[at],
                    at + 1
                ))
                .into());
            }
            let step = kinds
                .first()
                .map_or(0, |kind| lab.slot_mut(*kind).trainer.steps());
            Ok(to_js(&TrainReport {
                step,
                losses: report,
                milliseconds: now() - started,
            })?)
        })
    }

    /// How many kernel taps reach each output pixel of a stack of transposed
    /// convolutions (`layers`: `[{kernel, stride}]`, one to three) on an
    /// `inputSide` x `inputSide` map, computed by Burn's own layer with unit
    /// weights. Resolves to `{side, map: Float32Array}`. Runs on the CPU: the
    /// map is tiny and a synchronous read is fine there.
    #[wasm_bindgen(js_name = overlapMap)]
    pub fn overlap_map(
        &self,
        layers: JsValue,
        #[wasm_bindgen(js_name = inputSide)] input_side: usize,
    ) -> Result<JsValue, JsError> {
        let layers: Vec<OverlapLayer> = serde_wasm_bindgen::from_value(layers)
            .map_err(|err| error(format!("bad overlap layers: {err}")))?;
        if !(1..=3).contains(&layers.len()) {
            return Err(error("choose one to three layers"));
        }
        if let Some(bad) = layers
            .iter()
            .find(|l| !(1..=7).contains(&l.kernel) || !(1..=4).contains(&l.stride))
        {
            return Err(error(format!(
                "kernel {} / stride {}: kernels run 1-7 and strides 1-4",
                bad.kernel, bad.stride
            )));
        }
        if !(1..=8).contains(&input_side) {
            return Err(error("the input side runs from 1 to 8"));
        }
        let (side, map) = metrics::overlap_map(&layers, input_side, &Device::flex());
        to_js_with(&OverlapResult { side }, "map", &map)
    }

    /// A decoder's current weights as a `.ckpt` file.
    #[wasm_bindgen(js_name = saveWeights)]
    pub fn save_weights(&self, decoder: String) -> js_sys::Promise {
        let lab = self.lab.clone();
        future_to_promise(async move {
            let _busy = Busy::begin(&lab)?;
            let kind = parse_decoder(&decoder)?;
            let (model, info) = {
                let mut lab = lab.borrow_mut();
                let settings = lab.settings.clone();
                let slot = lab.slot_mut(kind);
                let info = WeightsInfo {
                    decoder: kind,
                    seed: slot.seed,
                    training: Some(TrainingRecipe {
                        optimizer: settings.optimizer,
                        learning_rate: settings.learning_rate,
                        batch_size: settings.batch_size,
                        epochs: 0,
                        steps: slot.trainer.steps(),
                        continued_from: None,
                    }),
                    test_bce: None,
                };
                (slot.trainer.model().clone(), info)
            };
            let host = copy_to_host(&model, &Device::flex())
                .await
                .map_err(read_error)?;
            let bytes = weights::encode(host, &info).map_err(error)?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }
}

/// Decodes, with every decoder, the code `pick` makes from the codes of the
/// first test digits (`[n, 128]` in, `[1, 128]` out).
fn decode_from_digit_codes(
    lab: Rc<RefCell<Lab>>,
    pick: impl Fn(Tensor<2>) -> Tensor<2> + 'static,
) -> js_sys::Promise {
    future_to_promise(async move {
        let _busy = Busy::begin(&lab)?;
        let (kinds, transaction) = {
            let lab = lab.borrow();
            let digits = lab.test_digits(CODE_SOURCE_DIGITS)?;
            let count = digits.dims()[0];
            lab.per_decoder(|model, transaction| {
                let codes = model.encode(digits.clone()).reshape([count, CODE_LEN]);
                transaction.register(model.decode(code_maps(pick(codes))))
            })
        };
        let data = transaction.execute_async().await.map_err(read_error)?;
        let results = js_sys::Array::new();
        for (kind, data) in kinds.into_iter().zip(data) {
            let image = to_images(data)?;
            let record = Decoded {
                decoder: kind.name(),
                meters: CheckerboardMetrics::of_batch(&image),
            };
            results.push(&with_image(&record, &image)?);
        }
        Ok(results.into())
    })
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |performance| performance.now())
}
