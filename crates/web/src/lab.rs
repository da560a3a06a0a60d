//! The exported class: a shared session, converted for JavaScript. What
//! each call does is documented on the [`Session`] method of the same name.

use std::future::Future;

use checkerlab_model::backend::{self, BackendInfo};
use checkerlab_model::helper_protocol::RemoteHelper;
use checkerlab_model::meters::{self, OverlapLayer};
use checkerlab_model::session::{InputKind, LabError, Reconstruction, Session, SharedSession};
use js_sys::{Float32Array, Function, Promise, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::helper::JsLink;

/// Checkerlab's models in the browser. Calls that read tensors return
/// promises; one arriving while another is in flight is refused.
#[wasm_bindgen]
pub struct Checkerlab {
    lab: SharedSession,
    backend: BackendInfo,
}

type JsResult<T> = Result<T, JsError>;

/// A name the page sent (a decoder, a split, an input kind), or why not.
fn parse<T: std::str::FromStr<Err = String>>(name: &str) -> Result<T, LabError> {
    name.parse().map_err(LabError::Invalid)
}

fn to_js(value: &impl Serialize) -> JsResult<JsValue> {
    Ok(value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
}

/// `record` as a JS object with `key` set to a `Float32Array` of `values`.
fn with_array(record: &impl Serialize, key: &str, values: &[f32]) -> JsResult<JsValue> {
    let object = to_js(record)?;
    js_sys::Reflect::set(&object, &key.into(), &Float32Array::from(values))
        .map_err(|_| JsError::new("could not attach an array to a record"))?;
    Ok(object)
}

/// A promise of what `convert` makes of the call's result.
fn promise<T: 'static>(
    call: impl Future<Output = Result<T, LabError>> + 'static,
    convert: impl FnOnce(T) -> JsResult<JsValue> + 'static,
) -> Promise {
    future_to_promise(async move { Ok(convert(call.await.map_err(JsError::from)?)?) })
}

/// Each record as a JS object with `key` set to a `Float32Array` of its values.
fn records<R: Serialize>(items: &[R], key: &str, values: fn(&R) -> &[f32]) -> JsResult<JsValue> {
    let array = js_sys::Array::new();
    for item in items {
        array.push(&with_array(item, key, values(item))?);
    }
    Ok(array.into())
}

fn reconstructions(results: Vec<Reconstruction>) -> JsResult<JsValue> {
    records(&results, "image", |result| &result.image)
}

impl Checkerlab {
    fn view<T: Serialize>(
        &self,
        view: impl FnOnce(&Session) -> Result<T, LabError>,
    ) -> JsResult<JsValue> {
        to_js(&view(&*self.lab.read()?)?)
    }

    fn change<T>(&self, change: impl FnOnce(&mut Session) -> Result<T, LabError>) -> JsResult<T> {
        Ok(change(&mut *self.lab.write()?)?)
    }
}

#[wasm_bindgen]
impl Checkerlab {
    /// Starts on WebGPU when `adapter` (the chosen adapter's description)
    /// is given, else on the CPU; `reason` says why, for the page.
    pub async fn create(adapter: Option<String>, reason: String) -> Checkerlab {
        if adapter.is_some() {
            crate::run_static_constructors();
        }
        let (device, backend) = backend::start(adapter, reason).await;
        let lab = SharedSession::new(Session::new(device));
        Checkerlab { lab, backend }
    }

    /// Every list the page derives from.
    pub fn catalog(&self) -> JsResult<JsValue> {
        self.view(|s| Ok(s.catalog()))
    }

    /// `{kind, description, reason, drawing, training}`: the lab's own
    /// backend, and where the views run and the models train.
    pub fn backend(&self) -> JsResult<JsValue> {
        let mut info = self.backend.clone();
        let session = self.lab.read()?;
        info.drawing = session.drawing_backend();
        info.training = session.training_backend();
        to_js(&info)
    }

    /// Trains on the CPU beside WebGPU, or on the lab's own backend.
    #[wasm_bindgen(js_name = trainOnCpu)]
    pub fn train_on_cpu(&self, on: bool) -> Promise {
        promise(self.lab.train_on_cpu(on), |()| Ok(JsValue::UNDEFINED))
    }

    /// Throwaway training rounds on the CPU or the lab's own backend, for
    /// the page to time.
    #[wasm_bindgen(js_name = trialRound)]
    pub fn trial_round(&self, cpu: bool, rounds: u32) -> Promise {
        promise(self.lab.call(|s| s.trial_round(cpu, rounds)), |()| {
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Runs the views on the CPU while the models train on WebGPU, or not.
    #[wasm_bindgen(js_name = drawOnCpu)]
    pub fn draw_on_cpu(&self, on: bool) -> Promise {
        promise(self.lab.draw_on_cpu(on), |()| Ok(JsValue::UNDEFINED))
    }

    #[wasm_bindgen(js_name = showDecoders)]
    pub fn show_decoders(&self, names: Vec<String>) -> JsResult<()> {
        let kinds: Vec<_> = names.iter().map(|n| parse(n)).collect::<Result<_, _>>()?;
        self.change(|s| s.show(&kinds))
    }

    /// `null` on the CPU, whose tensors live in the wasm memory.
    #[wasm_bindgen(js_name = deviceMemory)]
    pub fn device_memory(&self) -> JsResult<JsValue> {
        self.view(|s| Ok(s.device_memory()))
    }

    pub fn decoders(&self) -> JsResult<JsValue> {
        self.view(|s| Ok(s.decoders()))
    }

    #[wasm_bindgen(js_name = meterReferences)]
    pub fn meter_references(&self) -> JsResult<JsValue> {
        self.view(|s| s.meter_references())
    }

    /// A bad file changes nothing and says why.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&self, bytes: &[u8], origin: &str) -> JsResult<JsValue> {
        to_js(&self.change(|s| s.load_weights(bytes, origin))?)
    }

    /// `split`: `"train"` or `"test"`; returns the number of digits.
    #[wasm_bindgen(js_name = loadMnist)]
    pub fn load_mnist(&self, split: &str, images: &[u8], labels: &[u8]) -> JsResult<usize> {
        let split = parse(split)?;
        self.change(|s| s.load_mnist(split, images, labels))
    }

    /// `{label, image: Float32Array}`.
    #[wasm_bindgen(js_name = testDigit)]
    pub fn test_digit(&self, index: u32) -> JsResult<JsValue> {
        let digit = self.lab.read()?.labelled_test_digit(index)?;
        with_array(&digit, "image", &digit.image)
    }

    /// An input the lab makes itself (`blank`, `grey`, `noise`).
    #[wasm_bindgen(js_name = syntheticInput)]
    pub fn synthetic_input(kind: &str, seed: u32) -> JsResult<Float32Array> {
        let kind: InputKind = parse(kind)?;
        Ok(Float32Array::from(&kind.synthetic(seed.into())?[..]))
    }

    /// Resolves to `[{decoder, bce, meters, image: Float32Array}]`. With
    /// `helper` (see `JsLink`), the second worker makes the later share, or
    /// this one all if it fails (`takeHelperFailure` then says why).
    pub fn reconstruct(&self, image: Vec<f32>, helper: Option<Function>) -> Promise {
        let helper = helper.map(|link| RemoteHelper(JsLink(link)));
        promise(self.lab.reconstruct(image, helper), reconstructions)
    }

    #[wasm_bindgen(js_name = decodeShuffledCode)]
    pub fn decode_shuffled_code(&self, seed: u32) -> Promise {
        let decoded = self.lab.call(|s| s.decode_shuffled_code(seed.into()));
        promise(decoded, reconstructions)
    }

    #[wasm_bindgen(js_name = decodeCodeUnit)]
    pub fn decode_code_unit(&self, unit: u32) -> Promise {
        promise(self.lab.call(|s| s.decode_code_unit(unit)), reconstructions)
    }

    /// Resolves to `[{decoder, steps, images: Float32Array}]`, the images
    /// back to back.
    #[wasm_bindgen(js_name = latentWalk)]
    pub fn latent_walk(&self, from: Vec<f32>, to: Vec<f32>, steps: u32) -> Promise {
        let walk = self.lab.call(|s| s.latent_walk(&from, &to, steps as usize));
        promise(walk, |walks| records(&walks, "images", |walk| &walk.images))
    }

    /// The power spectrum `|Y(u, v)|^2` of a 28x28 image, row-major.
    pub fn spectrum(image: Vec<f32>) -> JsResult<Float32Array> {
        let power = meters::power_spectrum(&image).map_err(|err| JsError::new(&err))?;
        Ok(Float32Array::from(&power[..]))
    }

    pub fn probes(&self) -> Promise {
        promise(self.lab.call(|s| s.probes()), |probes| to_js(&probes))
    }

    /// `settings`: `{optimizer, learning_rate, batch_size}`.
    #[wasm_bindgen(js_name = configureTraining)]
    pub fn configure_training(&self, settings: JsValue) -> JsResult<()> {
        let settings = serde_wasm_bindgen::from_value(settings)
            .map_err(|err| JsError::new(&format!("bad training settings: {err}")))?;
        self.change(|s| s.configure_training(settings))
    }

    pub fn reset(&self, seed: u32) -> JsResult<()> {
        self.change(|s| s.reset(seed.into()))
    }

    /// Resolves to `{step, models_behind, losses: [{decoder, first_step,
    /// losses}]}`. With `helper` (see `JsLink`) each batch is split with the
    /// second worker, or trained here if it fails (`takeHelperFailure`).
    pub fn train(
        &self,
        #[wasm_bindgen(js_name = modelSteps)] model_steps: u32,
        helper: Option<Function>,
    ) -> Promise {
        let helper = helper.map(|link| RemoteHelper(JsLink(link)));
        promise(self.lab.train(model_steps, helper), |report| to_js(&report))
    }

    /// Why the second worker failed since last asked, if it did.
    #[wasm_bindgen(js_name = takeHelperFailure)]
    pub fn take_helper_failure(&self) -> Option<String> {
        self.lab.take_helper_failure()
    }

    #[wasm_bindgen(js_name = testBce)]
    pub fn test_bce(&self, decoder: &str, digits: usize) -> Promise {
        let bce = self.lab.call(|s| s.test_bce(parse(decoder)?, digits));
        promise(bce, |bce| Ok(bce.into()))
    }

    /// Resolves to `{decoder, loss, layers: [{name, values}], parameters:
    /// [{name, values}]}`.
    #[wasm_bindgen(js_name = layerGradients)]
    pub fn layer_gradients(&self, decoder: &str) -> Promise {
        let gradients = self.lab.call(|s| s.layer_gradients(parse(decoder)?));
        promise(gradients, |gradients| to_js(&gradients))
    }

    /// `layers`: `[{kernel, stride}]`; returns `{side, map: Float32Array}`.
    #[wasm_bindgen(js_name = overlapMap)]
    pub fn overlap_map(
        layers: JsValue,
        #[wasm_bindgen(js_name = inputSide)] input_side: u32,
    ) -> JsResult<JsValue> {
        let layers: Vec<OverlapLayer> = serde_wasm_bindgen::from_value(layers)
            .map_err(|err| JsError::new(&format!("bad overlap layers: {err}")))?;
        let map = meters::overlap_explorer_map(&layers, input_side as usize)
            .map_err(|err| JsError::new(&err))?;
        with_array(&map, "map", &map.map)
    }

    /// Traps the wasm instance, for the test that the page restarts the lab.
    #[wasm_bindgen(js_name = trapForTest)]
    pub fn trap_for_test() {
        panic!("a trap requested by a test");
    }

    /// A `.ckpt` file's bytes.
    #[wasm_bindgen(js_name = saveWeights)]
    pub fn save_weights(&self, decoder: &str) -> Promise {
        let save = parse(decoder).map(|kind| self.lab.save_weights(kind));
        promise(async move { save?.await }, |bytes| {
            Ok(Uint8Array::from(&bytes[..]).into())
        })
    }
}
