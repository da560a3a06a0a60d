//! Checkerlab in the browser: the only crate that knows about JavaScript.
//!
//! One class, [`Checkerlab`], crosses the boundary. Images cross as
//! `Float32Array`s of 784 intensities, small records through
//! serde-wasm-bindgen, errors as `JsError`. Every tensor read is awaited:
//! a synchronous read panics on WebGPU.

mod backend;
mod console_log;
mod lab;
mod records;

pub use lab::Checkerlab;

use wasm_bindgen::prelude::*;

/// Installs the console logger and the panic hook: a Rust panic is logged
/// with its message and announced to the page as a `checkerlab-panic`
/// event, so the page can say so instead of going silently dead.
#[wasm_bindgen(start)]
pub fn start() {
    console_log::install();
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = info.to_string();
        if let Some(window) = web_sys::window() {
            let detail = JsValue::from_str(&message);
            let init = web_sys::CustomEventInit::new();
            init.set_detail(&detail);
            if let Ok(event) =
                web_sys::CustomEvent::new_with_event_init_dict("checkerlab-panic", &init)
            {
                let _ = window.dispatch_event(&event);
            }
        }
    }));
}
