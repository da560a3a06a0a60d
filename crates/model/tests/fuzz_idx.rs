//! The MNIST IDX reader against 10,000 mutated real files: no panic, a clear
//! error or a valid set, and memory within twice what the input decodes to.
//!
//! Seeds: the first images and labels of the real test set, raw and
//! gzipped, as the page and the CLI receive them.

mod fuzz;

use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use checkerlab_model::mnist::{MnistSet, Split};
use flate2::read::MultiGzDecoder;
use fuzz::{Counting, Endian, Outcomes, apply, config, mutation, peak_during};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SEED_IMAGES: usize = 3;

fn idx(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut bytes: Vec<u8> = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
    bytes.extend(payload);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The images and labels files of the first test digits, raw IDX.
fn seed_files() -> (Vec<u8>, Vec<u8>) {
    static FILES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILES.get_or_init(read_seed_files).clone()
}

fn read_seed_files() -> (Vec<u8>, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    let test = MnistSet::load(&dir, Split::Test).expect("the MNIST test files in data/mnist");
    let count = SEED_IMAGES as u32;
    let pixels: Vec<u8> = (0..SEED_IMAGES)
        .flat_map(|i| test.pixels(i).to_vec())
        .collect();
    let labels: Vec<u8> = (0..SEED_IMAGES).map(|i| test.label(i)).collect();
    (
        idx(0x803, &[count, 28, 28], &pixels),
        idx(0x801, &[count], &labels),
    )
}

/// How a case's edits meet the gzip layer.
#[derive(Debug, Clone, Copy)]
enum Layer {
    /// Raw IDX, edited.
    Raw,
    /// Edited, then gzipped: header edits reach the reader through a valid stream.
    EditThenGzip,
    /// Gzipped, then edited: broken streams, extra members, bad checksums.
    GzipThenEdit,
}

/// What the bytes decode to: all gzip members up to the first error, or the
/// bytes themselves. Counted without keeping them.
fn decoded_len(bytes: &[u8]) -> usize {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes.len();
    }
    let mut reader = MultiGzDecoder::new(bytes);
    let mut buffer = [0u8; 8192];
    let mut total = 0;
    while let Ok(n @ 1..) = reader.read(&mut buffer) {
        total += n;
    }
    total
}

/// The reader's own fixed costs: a 1 MiB read piece and inflate's window.
const SLACK: usize = (1 << 20) + (256 << 10);

#[test]
fn mutated_idx_files_give_a_set_or_a_clear_error() {
    let outcomes = Outcomes::default();
    let case = (
        prop_oneof![
            Just(Layer::Raw),
            Just(Layer::EditThenGzip),
            Just(Layer::GzipThenEdit)
        ],
        proptest::collection::vec(mutation(), 0..5),
        proptest::collection::vec(mutation(), 0..3),
    );
    proptest::test_runner::TestRunner::new(config())
        .run(&case, |(layer, image_edits, label_edits)| {
            let (mut images, mut labels) = seed_files();
            if let Layer::GzipThenEdit = layer {
                (images, labels) = (gzip(&images), gzip(&labels));
            }
            image_edits
                .iter()
                .for_each(|edit| apply(&mut images, edit, Endian::Big));
            label_edits
                .iter()
                .for_each(|edit| apply(&mut labels, edit, Endian::Big));
            if let Layer::EditThenGzip = layer {
                (images, labels) = (gzip(&images), gzip(&labels));
            }
            let legitimate = decoded_len(&images) + decoded_len(&labels);

            let (result, peak) = peak_during(|| {
                MnistSet::from_named_idx(("images.gz", &images), ("labels.gz", &labels))
            });
            outcomes.count(&result);
            match result {
                Ok(set) => {
                    prop_assert!(!set.is_empty());
                    prop_assert_eq!(set.pixels(set.len() - 1).len(), 784);
                    prop_assert!((0..set.len()).all(|i| set.label(i) <= 9));
                }
                Err(err) => {
                    let message = err.to_string();
                    prop_assert!(
                        message.contains("images.gz")
                            || message.contains("labels.gz")
                            || message.contains("count mismatch"),
                        "{message}"
                    );
                }
            }
            prop_assert!(
                peak <= 2 * legitimate + SLACK,
                "held {peak} bytes for {legitimate} decoded bytes"
            );
            Ok(())
        })
        .unwrap();
    let tally = outcomes.report("IDX reader, mutated real files");
    // The mutations must reach past the header checks, or this proves little.
    for outcome in [
        "Ok",
        "Gzip",
        "BadMagic",
        "Truncated",
        "TrailingBytes",
        "TooMany",
        "Implausible",
    ] {
        assert!(tally.contains_key(outcome), "no case ended in {outcome}");
    }
}
