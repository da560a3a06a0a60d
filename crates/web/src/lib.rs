//! Checkerlab in the browser: the only crate that knows about JavaScript.
//!
//! One class, [`Checkerlab`], wraps a [`Session`](checkerlab_model::session::Session)
//! and converts: images cross as `Float32Array`s of 784 intensities,
//! records through serde-wasm-bindgen in the session's own field names,
//! errors as `JsError`. Every tensor read is awaited: a synchronous read
//! panics on WebGPU. The page runs it in a Web Worker (`web/lab-worker.js`).

mod helper;
mod lab;

pub use helper::HelperWorker;
pub use lab::Checkerlab;

use checkerlab_model::foreign;
use wasm_bindgen::prelude::*;

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Runs the static constructors (cubecl's `inventory` registrations) once.
/// With no code calling `__wasm_call_ctors`, wasm-ld would rerun them
/// around every export, a second a call (docs/benchmarks.md); only WebGPU
/// needs them, so the CPU path never pays.
pub(crate) fn run_static_constructors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_family = "wasm")]
        // SAFETY: once, before anything uses what they register.
        unsafe {
            __wasm_call_ctors();
        }
    });
}

/// A Keras file (`.keras`, `.h5`) as the `.safetensors` file of the decoder
/// it is, for `Checkerlab.loadWeights`: the Keras reader's build only.
#[cfg(feature = "keras")]
#[wasm_bindgen(js_name = kerasToSafetensors)]
pub fn keras_to_safetensors(bytes: &[u8]) -> Result<Vec<u8>, JsError> {
    Ok(foreign::keras::to_safetensors(bytes)?)
}

/// One of our `.ckpt` files in another format, named by its extension
/// (`keras`, `safetensors`): the Keras one in the Keras build only.
#[wasm_bindgen(js_name = convertCheckpoint)]
pub fn convert_checkpoint(bytes: &[u8], extension: &str) -> Result<Vec<u8>, JsError> {
    let format = foreign::SaveFormat::from_extension(extension)
        .ok_or_else(|| JsError::new(&format!("no weights format '{extension}'")))?;
    Ok(foreign::convert_checkpoint(bytes, format)?)
}

/// Installs the console logger and the panic hook: a Rust panic is logged
/// with its message and announced as a `checkerlab-panic` event on the
/// global scope (the worker's), so the page can restart the lab and say why
/// instead of going silently dead.
#[wasm_bindgen(start)]
pub fn start() {
    // Keeps the CPU-only module, which has none of cubecl's, a "reactor".
    #[cfg(not(feature = "webgpu"))]
    run_static_constructors();
    // cubecl reports a shader WebGPU rejects only through `log::error!` and
    // skips the kernel (tracel-ai/cubecl#1641): the console shows it, and
    // the browser tests fail on it.
    let _ = console_log::init_with_level(log::Level::Warn);
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&info.to_string().into());
        let scope: web_sys::EventTarget = js_sys::global().unchecked_into();
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("checkerlab-panic", &init)
        {
            let _ = scope.dispatch_event(&event);
        }
    }));
}
