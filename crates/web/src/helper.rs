//! The second worker on the CPU, both ends: the lab reaches it through a
//! [`JsLink`]; it runs a [`HelperWorker`]. Between them travel bytes that
//! only the model crate's `helper_protocol` reads.

use std::future::Future;
use std::pin::Pin;

use checkerlab_model::{data_parallel, helper_protocol::HelperLink};
use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The lab worker's way to the second worker: a function `(request:
/// Uint8Array) => Promise<Uint8Array>` that posts the request at once
/// (`web/helper-client.js`).
pub struct JsLink(pub Function);

impl HelperLink for JsLink {
    type Reply = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>>>>;

    fn send(&mut self, request: Vec<u8>) -> Self::Reply {
        let request = Uint8Array::from(&request[..]);
        let sent = self.0.call1(&JsValue::NULL, &request);
        Box::pin(async move {
            let promise: Promise = sent
                .map_err(describe)?
                .dyn_into()
                .map_err(|_| "it returned no promise".to_string())?;
            let reply = JsFuture::from(promise).await.map_err(describe)?;
            let reply: Uint8Array = reply.dyn_into().map_err(|_| "its reply is no Uint8Array")?;
            Ok(reply.to_vec())
        })
    }
}

/// A thrown JS value's message.
fn describe(value: JsValue) -> String {
    match value.dyn_ref::<js_sys::Error>() {
        Some(err) => err.message().into(),
        None => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

/// The second core's share of the lab's work on the CPU, in its own worker
/// (`web/helper-worker.js`): see `data_parallel`.
#[wasm_bindgen]
pub struct HelperWorker {
    inner: data_parallel::HelperWorker,
}

#[wasm_bindgen]
impl HelperWorker {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> HelperWorker {
        let inner = data_parallel::HelperWorker::new();
        HelperWorker { inner }
    }

    /// The encoded reply to an encoded request from the lab's `JsLink`.
    pub fn answer(&self, request: &[u8]) -> Vec<u8> {
        self.inner.answer(request)
    }

    /// Trains on made-up images while the page is idle, so the browser has
    /// compiled the optimised tier before the first real step.
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&self, decoder: &str, images: u32) -> Result<(), JsError> {
        let warmed = decoder
            .parse()
            .and_then(|decoder| self.inner.warm_up(decoder, images as usize));
        warmed.map_err(|err| JsError::new(&err))
    }
}
