//! Checkerlab in the browser: the only crate that knows about JavaScript.
//!
//! One class, [`Checkerlab`], wraps a [`Session`](checkerlab_model::session::Session)
//! and converts: images cross as `Float32Array`s of 784 intensities,
//! records through serde-wasm-bindgen in the session's own field names,
//! errors as `JsError`. Every tensor read is awaited: a synchronous read
//! panics on WebGPU. The page runs it in a Web Worker (`web/lab-worker.js`).

mod backend;
mod console_log;
mod lab;

pub use lab::Checkerlab;

use wasm_bindgen::prelude::*;

/// Installs the console logger and the panic hook: a Rust panic is logged
/// with its message and announced as a `checkerlab-panic` event on the
/// global scope (the worker's), so the page can restart the lab and say why
/// instead of going silently dead.
#[wasm_bindgen(start)]
pub fn start() {
    console_log::install();
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let detail = JsValue::from_str(&info.to_string());
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&detail);
        let scope: web_sys::EventTarget = js_sys::global().unchecked_into();
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("checkerlab-panic", &init)
        {
            let _ = scope.dispatch_event(&event);
        }
    }));
}
