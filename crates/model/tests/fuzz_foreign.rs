//! The foreign-model readers (Keras `.keras` and HDF5, safetensors, PyTorch
//! `.pt`) against 10,000 mutated files each, made by Keras and PyTorch
//! themselves (tests/fixtures/foreign): no panic, a clear error or a
//! recognised model, and memory within a bound of what reading the
//! untouched file takes.
//!
//! The Keras and PyTorch readers are the `keras` and `pytorch` features',
//! which the workspace's test command turns on through the CLI; without
//! them the untouched seeds are refused and the tests fail.

mod fuzz;

use std::collections::BTreeMap;
use std::path::Path;

use checkerlab_model::DecoderKind;
use checkerlab_model::foreign::{ForeignError, load_bytes};
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

/// PyTorch's `torch.save` files, both decoders: read from a path.
const PYTORCH_SEEDS: [&str; 2] = ["torch-transposed.pt", "torch-upsample.pt"];

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/foreign")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Mutates each of `seeds` (named by `names`) 10,000 times in all and reads
/// each result with `load`: a clear error or a model, and never more memory
/// than `MEMORY_FACTOR` times the untouched file's. Returns the outcomes.
fn fuzz(
    title: &str,
    names: &[&str],
    seeds: &[Vec<u8>],
    load: impl Fn(&[u8]) -> Result<DecoderKind, ForeignError>,
) -> BTreeMap<String, usize> {
    let outcomes = Outcomes::default();
    let case = (0..seeds.len(), proptest::collection::vec(mutation(), 1..5));
    proptest::test_runner::TestRunner::new(config())
        .run(&case, |(index, edits)| {
            let (untouched, legitimate) = peak_during(|| load(&seeds[index]));
            prop_assert!(untouched.is_ok(), "{}: {untouched:?}", names[index]);
            let mut bytes = seeds[index].clone();
            edits
                .iter()
                .for_each(|edit| apply(&mut bytes, edit, Endian::Little));
            let (result, peak) = peak_during(|| load(&bytes));
            outcomes.count(&result);
            if let Err(err) = &result {
                prop_assert!(!err.to_string().is_empty());
            }
            prop_assert!(
                peak <= MEMORY_FACTOR * legitimate,
                "{}: held {peak} bytes where the untouched file takes {legitimate}",
                names[index]
            );
            Ok(())
        })
        .unwrap();
    outcomes.report(title)
}

fn assert_ended_in(tally: &BTreeMap<String, usize>, outcomes: &[&str]) {
    for outcome in outcomes {
        assert!(
            tally.contains_key(*outcome),
            "no case ended in {outcome}: {tally:?}"
        );
    }
}

/// One test for every reader, so that nothing else in the process allocates
/// or frees while a case is measured: the allocation counter is the
/// process's, and a second test's heap freed meanwhile once made an
/// untouched file measure 0 bytes.
#[test]
fn mutated_framework_files_give_a_model_or_a_clear_error() {
    let seeds: Vec<Vec<u8>> = SEEDS.iter().map(|name| fixture(name)).collect();
    let tally = fuzz(
        "Foreign readers, mutated framework files",
        &SEEDS,
        &seeds,
        |bytes| load_bytes(bytes).map(|r| r.kind),
    );
    // Some edits leave a model (weights changed, structure intact), others
    // stop in each reader or at the recognition.
    assert_ended_in(&tally, &["Ok", "Unreadable", "NoDecoderFits"]);
    fuzz_pytorch();
}

/// PyTorch's reader opens a path: each case is written there first.
#[cfg(feature = "pytorch")]
fn fuzz_pytorch() {
    use checkerlab_model::foreign::pytorch;

    let seeds: Vec<Vec<u8>> = PYTORCH_SEEDS.iter().map(|name| fixture(name)).collect();
    let dir = std::env::temp_dir().join(format!("checkerlab-fuzz-pt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("model.pt");
    let tally = fuzz(
        "PyTorch reader, mutated torch.save files",
        &PYTORCH_SEEDS,
        &seeds,
        |bytes| {
            std::fs::write(&path, bytes)
                .map_err(|err| ForeignError::Unreadable(err.to_string()))?;
            pytorch::load(&path).map(|r| r.kind)
        },
    );
    let _ = std::fs::remove_dir_all(dir);
    assert_ended_in(&tally, &["Ok", "Unreadable"]);
}

#[cfg(not(feature = "pytorch"))]
fn fuzz_pytorch() {
    panic!(
        "the PyTorch reader is the `pytorch` feature's: run the workspace's tests, which turn it on through the CLI ({:?})",
        PYTORCH_SEEDS
    );
}
