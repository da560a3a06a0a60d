//! The weights parser against 10,000 mutated shipped weights files: no
//! panic, a clear error or a model, and memory within twice what decoding
//! the untouched file takes.
//!
//! Half the cases get a fresh checksum, so that edits reach the metadata and
//! Burn's record parser instead of stopping at the CRC, as a crafted file
//! would.

mod fuzz;

use std::path::Path;
use std::sync::OnceLock;

use burn::tensor::Device;
use checkerlab_model::DecoderKind;
use checkerlab_model::weights::{decode, read_info};
use fuzz::{Counting, Endian, Outcomes, apply, config, mutation, peak_during};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn shipped(decoder: DecoderKind) -> Vec<u8> {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let files = FILES.get_or_init(|| DecoderKind::ALL.into_iter().map(read_shipped).collect());
    files[DecoderKind::ALL
        .iter()
        .position(|&kind| kind == decoder)
        .unwrap()]
    .clone()
}

fn read_shipped(decoder: DecoderKind) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../weights/{decoder}.ckpt"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn fix_checksum(bytes: &mut [u8]) {
    if bytes.len() >= 4 {
        let end = bytes.len() - 4;
        let checksum = crc32fast::hash(&bytes[..end]);
        bytes[end..].copy_from_slice(&checksum.to_le_bytes());
    }
}

#[test]
fn mutated_weights_give_a_model_or_a_clear_error() {
    let outcomes = Outcomes::default();
    let device = Device::flex();
    let case = (
        0..DecoderKind::ALL.len(),
        proptest::collection::vec(mutation(), 1..5),
        any::<bool>(),
    );
    proptest::test_runner::TestRunner::new(config())
        .run(&case, |(decoder, edits, refresh_checksum)| {
            let kind = DecoderKind::ALL[decoder];
            let original = shipped(kind);
            let (_, legitimate) = peak_during(|| decode(&original, kind, &device).map(|_| ()));

            let mut bytes = original.clone();
            edits
                .iter()
                .for_each(|edit| apply(&mut bytes, edit, Endian::Little));
            if refresh_checksum {
                fix_checksum(&mut bytes);
            }
            // The page decodes into the decoder the header names, so do the same.
            let target = read_info(&bytes).map(|info| info.decoder).unwrap_or(kind);
            let (result, peak) =
                peak_during(|| decode(&bytes, target, &device).map(|(_, info)| info));
            outcomes.count(&result);
            match result {
                Ok(info) => prop_assert_eq!(info.decoder, target),
                Err(err) => prop_assert!(!err.to_string().is_empty()),
            }
            prop_assert!(
                peak <= 2 * legitimate,
                "held {peak} bytes where the file as shipped takes {legitimate}"
            );
            Ok(())
        })
        .unwrap();
    let tally = outcomes.report("Weights parser, mutated shipped files");
    // Past the checksum into the metadata and Burn's record parser.
    for outcome in [
        "Ok",
        "Corrupt",
        "Truncated",
        "TrailingBytes",
        "Metadata",
        "Mismatch",
    ] {
        assert!(tally.contains_key(outcome), "no case ended in {outcome}");
    }
}
