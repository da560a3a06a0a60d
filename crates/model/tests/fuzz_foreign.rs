//! The foreign-model readers (Keras `.keras` and HDF5, safetensors) against
//! 10,000 mutated files made by Keras and PyTorch themselves
//! (tests/fixtures/foreign): no panic, a clear error or a recognised model,
//! and memory within a bound of what reading the untouched file takes.
//!
//! The Keras readers are the `keras` feature's, which the workspace's test
//! command turns on through the CLI; without it the untouched Keras seeds
//! are refused and the test fails.

mod fuzz;

use std::path::Path;
use std::sync::OnceLock;

use checkerlab_model::foreign::load_bytes;
use fuzz::{Counting, Endian, Outcomes, apply, config, mutation, peak_during};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One of each format, both decoders: the seeds of the mutations.
const SEEDS: [&str; 6] = [
    "keras-transposed.keras",
    "keras-upsample.weights.h5",
    "keras-transposed.h5",
    "keras-upsample.keras3-legacy.h5",
    "torch-transposed.safetensors",
    "torch-upsample.safetensors",
];

/// How much more than reading the untouched file a mutated one may hold:
/// HDF5 is read from a copy, and a damaged file is read no further than
/// its first bad structure.
const MEMORY_FACTOR: usize = 4;

fn seed(index: usize) -> &'static [u8] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    &FILES.get_or_init(|| {
        SEEDS
            .iter()
            .map(|name| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../tests/fixtures/foreign")
                    .join(name);
                std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
            })
            .collect()
    })[index]
}

#[test]
fn mutated_keras_and_safetensors_files_give_a_model_or_a_clear_error() {
    let outcomes = Outcomes::default();
    let case = (0..SEEDS.len(), proptest::collection::vec(mutation(), 1..5));
    proptest::test_runner::TestRunner::new(config())
        .run(&case, |(index, edits)| {
            let original = seed(index);
            let (untouched, legitimate) = peak_during(|| load_bytes(original).map(|r| r.kind));
            prop_assert!(untouched.is_ok(), "{}: {untouched:?}", SEEDS[index]);
            let mut bytes = original.to_vec();
            edits
                .iter()
                .for_each(|edit| apply(&mut bytes, edit, Endian::Little));
            let (result, peak) = peak_during(|| load_bytes(&bytes).map(|r| r.kind));
            outcomes.count(&result);
            if let Err(err) = &result {
                prop_assert!(!err.to_string().is_empty());
            }
            prop_assert!(
                peak <= MEMORY_FACTOR * legitimate,
                "{}: held {peak} bytes where the untouched file takes {legitimate}",
                SEEDS[index]
            );
            Ok(())
        })
        .unwrap();
    let tally = outcomes.report("Foreign readers, mutated framework files");
    // Some edits leave a model (weights changed, structure intact), others
    // stop in each reader or at the recognition.
    for outcome in ["Ok", "Unreadable", "NoDecoderFits"] {
        assert!(
            tally.contains_key(outcome),
            "no case ended in {outcome}: {tally:?}"
        );
    }
}
