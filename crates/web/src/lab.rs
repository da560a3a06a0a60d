//! The exported class: a session behind one handle, converted for JavaScript.

use std::cell::{Cell, Ref, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use checkerlab_model::DecoderKind;
use checkerlab_model::data_parallel::{
    self, GradientHelper, HalfBatch, HalfGradients, ReconstructionHelper, SharedReconstruction,
};
use checkerlab_model::meters::{self, OverlapLayer};
use checkerlab_model::mnist::Split;
use checkerlab_model::session::{self, LabError, Pending, Reconstruction, Session, TrainSettings};
use js_sys::{Float32Array, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use crate::backend::{self, BackendInfo};

/// Checkerlab's models in the browser. Create with [`Checkerlab::create`].
///
/// Methods that read tensors return promises. One call is in flight at a
/// time (the worker queues them); one arriving meanwhile is refused with a
/// clear error rather than interleaved.
#[wasm_bindgen]
pub struct Checkerlab {
    inner: Rc<RefCell<Session>>,
    backend: BackendInfo,
    busy: Rc<Cell<bool>>,
}

/// Marks the lab busy until dropped, so an overlapping call is refused.
struct Busy(Rc<Cell<bool>>);

impl Busy {
    fn begin(busy: &Rc<Cell<bool>>) -> Result<Self, JsError> {
        if busy.replace(true) {
            return Err(JsError::new(
                "Checkerlab is busy with another call; wait for it to finish",
            ));
        }
        Ok(Self(busy.clone()))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

fn error(err: impl std::fmt::Display) -> JsError {
    JsError::new(&err.to_string())
}

fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|err| error(format!("could not pass a record to JavaScript: {err}")))
}

/// `record` as a JS object with `key` set to a `Float32Array` of `values`.
fn with_array(record: &impl Serialize, key: &str, values: &[f32]) -> Result<JsValue, JsError> {
    let object = to_js(record)?;
    js_sys::Reflect::set(&object, &key.into(), &Float32Array::from(values))
        .map_err(|_| error("could not attach an array to a record"))?;
    Ok(object)
}

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|err| error(format!("bad {what}: {err}")))
}

fn parse<T: std::str::FromStr<Err = String>>(name: &str) -> Result<T, JsError> {
    name.parse().map_err(error)
}

/// Awaits a pending call's reads, then finishes it on the session.
async fn settle<T>(inner: &Rc<RefCell<Session>>, pending: Pending<T>) -> Result<T, JsError> {
    let (transaction, finish) = pending.into_parts();
    let data = transaction
        .execute_async()
        .await
        .map_err(|err| error(LabError::Read(format!("{err:?}"))))?;
    finish.apply(&mut inner.borrow_mut(), data).map_err(error)
}

impl Checkerlab {
    /// Runs `call` on the session and resolves to what `convert` makes of
    /// its settled result, all while marked busy.
    fn pending<T: 'static>(
        &self,
        call: impl FnOnce(&mut Session) -> Result<Pending<T>, LabError>,
        convert: impl FnOnce(T) -> Result<JsValue, JsError> + 'static,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        let busy = Busy::begin(&self.busy);
        let pending =
            busy.and_then(|busy| Ok((busy, call(&mut inner.borrow_mut()).map_err(error)?)));
        future_to_promise(async move {
            let (_busy, pending) = pending?;
            Ok(convert(settle(&inner, pending).await?)?)
        })
    }

    fn session(&self) -> Result<std::cell::RefMut<'_, Session>, JsError> {
        if self.busy.get() {
            return Err(busy_error());
        }
        Ok(self.inner.borrow_mut())
    }

    /// The session to read, unless a call holds it (training with a helper
    /// holds it across the helper's reply): refused then, never a panic.
    fn read(&self) -> Result<Ref<'_, Session>, JsError> {
        self.inner.try_borrow().map_err(|_| busy_error())
    }
}

fn busy_error() -> JsError {
    JsError::new("Checkerlab is busy with another call; wait for it to finish")
}

/// The page's second worker, as the session sees it: a function
/// `(decoder, parameters, images) => Promise<{loss, gradients}>` that posts
/// the half batch to `web/helper-worker.js` at once.
struct JsHelper(js_sys::Function);

impl GradientHelper for JsHelper {
    type Reply = Pin<Box<dyn Future<Output = Result<HalfGradients, String>>>>;

    fn start(&mut self, work: HalfBatch) -> Self::Reply {
        let sent = self.0.call3(
            &JsValue::NULL,
            &work.decoder.name().into(),
            &Float32Array::from(&work.parameters[..]),
            &Float32Array::from(&work.images[..]),
        );
        Box::pin(async move {
            let reply = settled(sent).await?;
            let loss = Reflect::get(&reply, &"loss".into())
                .ok()
                .and_then(|loss| loss.as_f64())
                .ok_or("its reply has no loss")?;
            let gradients = Reflect::get(&reply, &"gradients".into())
                .ok()
                .and_then(|gradients| gradients.dyn_into::<Float32Array>().ok())
                .ok_or("its reply has no Float32Array of gradients")?;
            Ok(HalfGradients {
                loss: loss as f32,
                gradients: gradients.to_vec(),
            })
        })
    }
}

/// The same worker's share of a reconstruction: a function `(decoders,
/// parameters, image) => Promise<[{decoder, bce, meters, image}]>` (one
/// `Float32Array` of parameters per decoder) that posts it at once.
struct JsReconstructionHelper(js_sys::Function);

impl ReconstructionHelper for JsReconstructionHelper {
    type Reply = Pin<Box<dyn Future<Output = Result<Vec<Reconstruction>, String>>>>;

    fn start(&mut self, work: SharedReconstruction) -> Self::Reply {
        let decoders = js_sys::Array::new();
        let parameters = js_sys::Array::new();
        for (decoder, values) in &work.models {
            decoders.push(&decoder.name().into());
            parameters.push(&Float32Array::from(&values[..]));
        }
        let sent = self.0.call3(
            &JsValue::NULL,
            &decoders,
            &parameters,
            &Float32Array::from(&work.image[..]),
        );
        Box::pin(async move {
            let reply = settled(sent).await?;
            let reply: js_sys::Array = reply.dyn_into().map_err(|_| "its reply is no array")?;
            reply.iter().map(reconstruction_from_js).collect()
        })
    }
}

/// A record as `reconstructions` makes it, back as a [`Reconstruction`].
fn reconstruction_from_js(record: JsValue) -> Result<Reconstruction, String> {
    let field = |name: &str| Reflect::get(&record, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let decoder: DecoderKind = field("decoder")
        .as_string()
        .ok_or("a reconstruction without its decoder")?
        .parse()?;
    let meters = serde_wasm_bindgen::from_value(field("meters"))
        .map_err(|err| format!("a reconstruction's meters: {err}"))?;
    let image = field("image")
        .dyn_into::<Float32Array>()
        .map_err(|_| "a reconstruction without a Float32Array image")?;
    Ok(Reconstruction {
        decoder: decoder.name(),
        bce: field("bce").as_f64(),
        meters,
        image: image.to_vec(),
    })
}

/// What the promise a helper function returned settles to, or why not.
async fn settled(sent: Result<JsValue, JsValue>) -> Result<JsValue, String> {
    let promise: js_sys::Promise = sent
        .map_err(describe)?
        .dyn_into()
        .map_err(|_| "it returned no promise".to_string())?;
    JsFuture::from(promise).await.map_err(describe)
}

/// A thrown JS value's message.
fn describe(value: JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|err| String::from(err.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// `err` for JavaScript; a failed helper as a `HelperError`, so the worker
/// knows to repeat the call without it.
fn lab_error(err: LabError) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    if matches!(err, LabError::Helper(_) | LabError::HelperReconstruction(_)) {
        js.set_name("HelperError");
    }
    js.into()
}

#[wasm_bindgen]
impl Checkerlab {
    /// Starts on WebGPU when `adapter` (a description of the adapter chosen)
    /// is given, else on the CPU; `reason` says why, for the page. Every
    /// model starts untrained from seed 0.
    pub async fn create(adapter: Option<String>, reason: String) -> Checkerlab {
        let (device, backend) = backend::start(adapter, reason).await;
        Checkerlab {
            inner: Rc::new(RefCell::new(Session::new(device))),
            backend,
            busy: Rc::new(Cell::new(false)),
        }
    }

    /// Every list the page derives from: decoders, probes, input kinds,
    /// optimizers, code units, training defaults and limits.
    pub fn catalog(&self) -> Result<JsValue, JsError> {
        to_js(&self.read()?.catalog())
    }

    /// `{kind, description, reason}`.
    pub fn backend(&self) -> Result<JsValue, JsError> {
        to_js(&self.backend)
    }

    /// Chooses the decoders that reconstructions, probes, walks and
    /// training cover, by name. At least one.
    #[wasm_bindgen(js_name = showDecoders)]
    pub fn show_decoders(&self, names: Vec<String>) -> Result<(), JsError> {
        let kinds = names
            .iter()
            .map(|name| parse::<DecoderKind>(name))
            .collect::<Result<Vec<_>, _>>()?;
        self.session()?.show(&kinds).map_err(error)
    }

    /// `{allocations, bytes_in_use, bytes_reserved}` on WebGPU, `null` on
    /// the CPU (whose tensors live in the wasm memory). For soak tests.
    #[wasm_bindgen(js_name = deviceMemory)]
    pub fn device_memory(&self) -> Result<JsValue, JsError> {
        to_js(&self.read()?.device_memory())
    }

    /// Every decoder with its layers, parameter count, weights' origin and
    /// whether it is shown.
    pub fn decoders(&self) -> Result<JsValue, JsError> {
        to_js(&self.read()?.decoders())
    }

    /// The meters of the test digits themselves and of white noise.
    #[wasm_bindgen(js_name = meterReferences)]
    pub fn meter_references(&self) -> Result<JsValue, JsError> {
        to_js(&self.read()?.meter_references().map_err(error)?)
    }

    /// Loads a `.ckpt` file into the decoder its header names; returns its
    /// metadata. A bad file changes nothing and says why.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&self, bytes: &[u8], origin: &str) -> Result<JsValue, JsError> {
        let info = self.session()?.load_weights(bytes, origin).map_err(error)?;
        to_js(&info)
    }

    /// Loads `"train"` or `"test"` from its two IDX files; returns the
    /// number of digits.
    #[wasm_bindgen(js_name = loadMnist)]
    pub fn load_mnist(&self, split: &str, images: &[u8], labels: &[u8]) -> Result<usize, JsError> {
        let split: Split = parse(split)?;
        self.session()?
            .load_mnist(split, images, labels)
            .map_err(error)
    }

    /// A test digit's 784 intensities.
    #[wasm_bindgen(js_name = testDigit)]
    pub fn test_digit(&self, index: u32) -> Result<Float32Array, JsError> {
        let digit = self.read()?.test_digit(index).map_err(error)?;
        Ok(Float32Array::from(&digit[..]))
    }

    #[wasm_bindgen(js_name = testLabel)]
    pub fn test_label(&self, index: u32) -> Result<u8, JsError> {
        self.read()?.test_label(index).map_err(error)
    }

    /// The image of an input the lab makes itself (`blank`, `grey`, `noise`);
    /// `seed` picks the noise.
    #[wasm_bindgen(js_name = syntheticInput)]
    pub fn synthetic_input(kind: &str, seed: u32) -> Result<Float32Array, JsError> {
        let kind: session::InputKind = parse(kind)?;
        let image = kind
            .synthetic_image(seed.into())
            .ok_or_else(|| error(format!("the lab does not make '{}' inputs", kind.name())))?;
        Ok(Float32Array::from(&image[..]))
    }

    /// Reconstructs `image` (784 intensities) with every shown decoder.
    /// Resolves to `[{decoder, bce, meters, image: Float32Array}]`.
    ///
    /// With `helper` (the CPU backend only), the later half of the shown
    /// decoders is reconstructed by it: see
    /// `Session::reconstruct_with_helper`. A helper that fails rejects with
    /// a `HelperError`, and the call can be repeated without it.
    // The session stays borrowed while the helper computes its share:
    // `Busy` refuses other calls meanwhile.
    #[allow(clippy::await_holding_refcell_ref)]
    pub fn reconstruct(
        &self,
        image: Vec<f32>,
        helper: Option<js_sys::Function>,
    ) -> js_sys::Promise {
        let Some(helper) = helper else {
            return self.pending(|s| s.reconstruct(&image), reconstructions);
        };
        let inner = self.inner.clone();
        let busy = Busy::begin(&self.busy);
        future_to_promise(async move {
            let _busy = busy?;
            let mut helper = JsReconstructionHelper(helper);
            let results = inner
                .borrow()
                .reconstruct_with_helper(&image, &mut helper)
                .await
                .map_err(lab_error)?;
            Ok(reconstructions(results)?)
        })
    }

    /// Decodes one code assembled unit by unit from test digits' codes
    /// (`seed` picks which) with every shown decoder.
    #[wasm_bindgen(js_name = decodeShuffledCode)]
    pub fn decode_shuffled_code(&self, seed: u32) -> js_sys::Promise {
        self.pending(|s| s.decode_shuffled_code(seed.into()), reconstructions)
    }

    /// Decodes the code with only `unit` switched on: each shown decoder's
    /// impulse response.
    #[wasm_bindgen(js_name = decodeCodeUnit)]
    pub fn decode_code_unit(&self, unit: u32) -> js_sys::Promise {
        self.pending(|s| s.decode_code_unit(unit), reconstructions)
    }

    /// The straight line between two images' codes in `steps` points,
    /// decoded by every shown decoder. Resolves to `[{decoder, steps,
    /// images: Float32Array}]`, the images back to back.
    #[wasm_bindgen(js_name = latentWalk)]
    pub fn latent_walk(&self, from: Vec<f32>, to: Vec<f32>, steps: u32) -> js_sys::Promise {
        self.pending(
            |s| s.latent_walk(&from, &to, steps as usize),
            |walks| {
                let array = js_sys::Array::new();
                for walk in &walks {
                    array.push(&with_array(walk, "images", &walk.images)?);
                }
                Ok(array.into())
            },
        )
    }

    /// The power spectrum `|Y(u, v)|^2` of a 28x28 image, row-major.
    pub fn spectrum(image: Vec<f32>) -> Result<Float32Array, JsError> {
        let power = meters::power_spectrum(&image).map_err(error)?;
        Ok(Float32Array::from(&power[..]))
    }

    /// The checkerboard meters of every shown decoder on the probes.
    /// Resolves to `[{decoder, probes}]`.
    pub fn probes(&self) -> js_sys::Promise {
        self.pending(|s| s.probes(), |probes| to_js(&probes))
    }

    /// Sets `{optimizer, learning_rate, batch_size}`. The optimizers' state
    /// starts afresh; the models keep their weights.
    #[wasm_bindgen(js_name = configureTraining)]
    pub fn configure_training(&self, settings: JsValue) -> Result<(), JsError> {
        let settings: TrainSettings = from_js(settings, "training settings")?;
        self.session()?.configure_training(settings).map_err(error)
    }

    /// Replaces every model with an untrained one drawn from `seed`.
    pub fn reset(&self, seed: u32) -> Result<(), JsError> {
        self.session()?.reset(seed.into()).map_err(error)
    }

    /// Trains `modelSteps` steps of one model each, the shown models in
    /// lock step on the same batches. Resolves to `{step, models_behind,
    /// losses: [{decoder, first_step, losses}]}`; a NaN or infinite loss
    /// rolls those models back and rejects with the reason.
    ///
    /// With `helper`, `(decoder, parameters, images) => Promise<{loss,
    /// gradients}>` (the CPU backend only), every step's batch is split
    /// with it: see `Session::train_with_helper`. A helper that fails rolls
    /// the call back and rejects with a `HelperError`.
    // The session stays borrowed while the helper computes its half: `Busy`
    // refuses other calls meanwhile, and reads go through `try_borrow`.
    #[allow(clippy::await_holding_refcell_ref)]
    pub fn train(
        &self,
        #[wasm_bindgen(js_name = modelSteps)] model_steps: u32,
        helper: Option<js_sys::Function>,
    ) -> js_sys::Promise {
        let Some(helper) = helper else {
            return self.pending(|s| s.train(model_steps), |report| to_js(&report));
        };
        let inner = self.inner.clone();
        let busy = Busy::begin(&self.busy);
        future_to_promise(async move {
            let _busy = busy?;
            let mut helper = JsHelper(helper);
            let pending = inner
                .borrow_mut()
                .train_with_helper(model_steps, &mut helper)
                .await
                .map_err(lab_error)?;
            Ok(to_js(&settle(&inner, pending).await?)?)
        })
    }

    /// The mean per-pixel BCE of `decoder`'s current model over the first
    /// `digits` test digits, computed on this lab's backend: for comparing
    /// backends.
    #[wasm_bindgen(js_name = testBce)]
    pub fn test_bce(&self, decoder: String, digits: u32) -> js_sys::Promise {
        self.pending(
            move |s| s.test_bce(decoder.parse().map_err(LabError::Invalid)?, digits as usize),
            |bce| Ok(bce.into()),
        )
    }

    /// `decoder`'s current model's loss on the first test digits and its
    /// gradient at every layer's output and parameter, computed on this
    /// lab's backend: `{decoder, loss, layers: [{name, values}],
    /// parameters: [{name, values}]}`, for comparing backends layer by layer.
    #[wasm_bindgen(js_name = layerGradients)]
    pub fn layer_gradients(&self, decoder: String) -> js_sys::Promise {
        self.pending(
            move |s| s.layer_gradients(decoder.parse().map_err(LabError::Invalid)?),
            |gradients| to_js(&gradients),
        )
    }

    /// Taps per output pixel of a stack of transposed convolutions
    /// (`layers`: `[{kernel, stride}]`) on an `inputSide`-square map.
    /// Returns `{side, map: Float32Array}`.
    #[wasm_bindgen(js_name = overlapMap)]
    pub fn overlap_map(
        layers: JsValue,
        #[wasm_bindgen(js_name = inputSide)] input_side: u32,
    ) -> Result<JsValue, JsError> {
        let layers: Vec<OverlapLayer> = from_js(layers, "overlap layers")?;
        let map = meters::overlap_explorer_map(&layers, input_side as usize).map_err(error)?;
        with_array(&map, "map", &map.map)
    }

    /// Panics, which traps the wasm instance: for the browser test that the
    /// page restarts a dead lab. The worker only calls it for a page opened
    /// with `?test-hooks`.
    #[wasm_bindgen(js_name = trapForTest)]
    pub fn trap_for_test() {
        panic!("a trap requested by a test");
    }

    /// A decoder's current weights as a `.ckpt` file's bytes.
    #[wasm_bindgen(js_name = saveWeights)]
    pub fn save_weights(&self, decoder: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        let busy = Busy::begin(&self.busy);
        future_to_promise(async move {
            let _busy = busy?;
            let kind: DecoderKind = parse(&decoder)?;
            let save = inner.borrow().weights_to_save(kind);
            let bytes = save.encode().await.map_err(error)?;
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }
}

fn reconstructions(results: Vec<session::Reconstruction>) -> Result<JsValue, JsError> {
    let array = js_sys::Array::new();
    for result in &results {
        array.push(&with_array(result, "image", &result.image)?);
    }
    Ok(array.into())
}

/// The second core's share of the lab's work on the CPU: the gradient of
/// half a training batch, or the later shown decoders' reconstructions, at
/// the parameters each request carries. It runs in its own worker
/// (`web/helper-worker.js`), beside the lab's.
#[wasm_bindgen]
pub struct HelperWorker {
    inner: data_parallel::HelperWorker,
}

#[wasm_bindgen]
impl HelperWorker {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> HelperWorker {
        HelperWorker {
            inner: data_parallel::HelperWorker::new(),
        }
    }

    /// `{loss, gradients: Float32Array}` for `images` (784 intensities
    /// each, back to back) through the `decoder`'s model at `parameters`.
    pub fn gradients(
        &self,
        decoder: &str,
        parameters: Vec<f32>,
        images: Vec<f32>,
    ) -> Result<JsValue, JsError> {
        let work = HalfBatch {
            decoder: parse(decoder)?,
            parameters,
            images,
        };
        let reply = self.inner.gradients(work).map_err(error)?;
        let object = js_sys::Object::new();
        Reflect::set(&object, &"loss".into(), &reply.loss.into())
            .and_then(|_| {
                Reflect::set(
                    &object,
                    &"gradients".into(),
                    &Float32Array::from(&reply.gradients[..]),
                )
            })
            .map_err(|_| error("could not build the gradients' record"))?;
        Ok(object.into())
    }

    /// `[{decoder, bce, meters, image: Float32Array}]`: `image` (784
    /// intensities) reconstructed by each of `decoders` at its
    /// `parameters` (one `Float32Array` per decoder), as the lab's
    /// `reconstruct` makes them.
    pub fn reconstruct(
        &self,
        decoders: Vec<String>,
        parameters: Vec<Float32Array>,
        image: Vec<f32>,
    ) -> Result<JsValue, JsError> {
        if decoders.len() != parameters.len() {
            return Err(error(format!(
                "{} decoders came with {} parameter arrays",
                decoders.len(),
                parameters.len()
            )));
        }
        let models = decoders
            .iter()
            .zip(&parameters)
            .map(|(name, values)| Ok((parse(name)?, values.to_vec())))
            .collect::<Result<_, JsError>>()?;
        let results = self
            .inner
            .reconstruct(SharedReconstruction { models, image })
            .map_err(error)?;
        reconstructions(results)
    }

    /// One made-up half batch of `images` through the `decoder`'s model,
    /// dropped: run while the page is idle, so the browser has compiled the
    /// training code's optimised tier before the first real step.
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&self, decoder: &str, images: u32) -> Result<(), JsError> {
        self.inner
            .warm_up(parse(decoder)?, images as usize)
            .map_err(error)
    }
}
