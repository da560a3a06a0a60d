//! Forwards the `log` crate's warnings and errors to the browser console.
//!
//! On wasm, cubecl reports a shader that fails WebGPU validation only through
//! `log::error!` and carries on, so the kernel silently does nothing
//! (tracel-ai/cubecl#1641). Without this bridge that error is invisible; with
//! it, the page's console shows it and the browser tests fail on it.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct ConsoleLogger;

pub fn install() {
    if log::set_logger(&ConsoleLogger).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

impl Log for ConsoleLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Warn
    }

    fn log(&self, record: &Record) {
        let line = format!("[{}] {}", record.target(), record.args()).into();
        match record.level() {
            Level::Error => web_sys::console::error_1(&line),
            Level::Warn => web_sys::console::warn_1(&line),
            _ => {}
        }
    }

    fn flush(&self) {}
}
