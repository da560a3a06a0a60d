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

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use checkerlab_model::foreign::load_bytes;
use fuzz::{Counting, Endian, Outcomes, apply, config, mutation, peak_during};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The allocation counter is the process's: one test at a time, or each
/// would count the other's heap as its own.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

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

fn seed(index: usize) -> &'static [u8] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    &FILES.get_or_init(|| SEEDS.iter().map(|name| fixture(name)).collect())[index]
}

#[test]
fn mutated_keras_and_safetensors_files_give_a_model_or_a_clear_error() {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
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

#[cfg(feature = "pytorch")]
#[test]
fn mutated_pytorch_files_give_a_model_or_a_clear_error() {
    use checkerlab_model::foreign::pytorch;

    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let seeds: Vec<Vec<u8>> = PYTORCH_SEEDS.iter().map(|name| fixture(name)).collect();
    let dir = std::env::temp_dir().join(format!("checkerlab-fuzz-pt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("model.pt");
    let load = |bytes: &[u8]| {
        std::fs::write(&path, bytes).expect("written");
        peak_during(|| pytorch::load(&path).map(|r| r.kind))
    };
    let outcomes = Outcomes::default();
    let case = (0..seeds.len(), proptest::collection::vec(mutation(), 1..5));
    proptest::test_runner::TestRunner::new(config())
        .run(&case, |(index, edits)| {
            let (untouched, legitimate) = load(&seeds[index]);
            prop_assert!(untouched.is_ok(), "{}: {untouched:?}", PYTORCH_SEEDS[index]);
            let mut bytes = seeds[index].clone();
            edits
                .iter()
                .for_each(|edit| apply(&mut bytes, edit, Endian::Little));
            let (result, peak) = load(&bytes);
            outcomes.count(&result);
            if let Err(err) = &result {
                prop_assert!(!err.to_string().is_empty());
            }
            prop_assert!(
                peak <= MEMORY_FACTOR * legitimate,
                "{}: held {peak} bytes where the untouched file takes {legitimate}",
                PYTORCH_SEEDS[index]
            );
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(dir);
    let tally = outcomes.report("PyTorch reader, mutated torch.save files");
    for outcome in ["Ok", "Unreadable"] {
        assert!(
            tally.contains_key(outcome),
            "no case ended in {outcome}: {tally:?}"
        );
    }
}

#[cfg(not(feature = "pytorch"))]
#[test]
fn mutated_pytorch_files_give_a_model_or_a_clear_error() {
    panic!(
        "the PyTorch reader is the `pytorch` feature's: run the workspace's tests, which turn it on through the CLI ({:?})",
        PYTORCH_SEEDS
    );
}
