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

pub use lab::{Checkerlab, HelperWorker};

use wasm_bindgen::prelude::*;

// The linker's constructor list: cubecl registers its IR dialects with
// `inventory` (through pliron) in static constructors.
#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Runs the static constructors, once. A module none of whose code calls
/// `__wasm_call_ctors` counts as a "command" to wasm-ld, which then wraps
/// *every* export in a call to it: each call into the lab, down to each
/// externref the glue allocates, re-ran cubecl's registrations (a fifth of
/// a second for the catalog, a second for the decoders' records, measured
/// in Chromium's profiler). Calling it ourselves turns that off (see the
/// `inventory` crate's notes on WebAssembly). Only WebGPU needs what they
/// register, so the CPU path never pays for them (a tenth of a second of
/// the start).
pub(crate) fn run_static_constructors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_family = "wasm")]
        // SAFETY: once, as the linker expects; nothing before it used what
        // they register (WebGPU starts after this).
        unsafe {
            __wasm_call_ctors();
        }
    });
}

/// Installs the console logger and the panic hook: a Rust panic is logged
/// with its message and announced as a `checkerlab-panic` event on the
/// global scope (the worker's), so the page can restart the lab and say why
/// instead of going silently dead.
#[wasm_bindgen(start)]
pub fn start() {
    // The CPU-only module has no constructors of cubecl's to defer; calling
    // them here keeps it a "reactor" to the linker all the same.
    #[cfg(not(feature = "webgpu"))]
    run_static_constructors();
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
