//! Any bytes as a weights file: a model or an error, never a panic.
#![no_main]

use burn::tensor::Device;
use checkerlab_model::DecoderKind;
use checkerlab_model::weights::{decode, read_info};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let device = Device::flex();
    let decoder = read_info(bytes).map_or(DecoderKind::Upsample, |info| info.decoder);
    let _ = decode(bytes, decoder, &device);
});
