//! Any bytes as an MNIST images file and a labels file: a set or an error,
//! never a panic. Input: the images file's length (u32, little-endian), the
//! images file, then the labels file.
#![no_main]

use checkerlab_model::mnist::MnistSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Some((length, rest)) = bytes.split_first_chunk::<4>() else {
        return;
    };
    let at = (u32::from_le_bytes(*length) as usize).min(rest.len());
    let (images, labels) = rest.split_at(at);
    let _ = MnistSet::from_idx(images, labels);
});
