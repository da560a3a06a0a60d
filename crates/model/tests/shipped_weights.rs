//! The weights the app ships load, and still score what they recorded.

use burn::tensor::Device;
use checkerlab_model::evaluation::mean_bce;
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::{DecoderKind, weights};

fn repository() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn shipped_weights_reproduce_their_recorded_test_bce() {
    let device = Device::flex();
    let test = MnistSet::load(&repository().join("data/mnist"), Split::Test).unwrap();
    for kind in DecoderKind::ALL {
        let path = repository().join(format!("weights/{kind}.ckpt"));
        let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let (model, info) = weights::decode(&bytes, kind, &device).unwrap();
        let recorded = info
            .test_bce
            .expect("shipped weights record their test BCE");
        let measured = mean_bce(&model, &test, &device);
        assert!(
            (measured - recorded).abs() < 1e-5,
            "{kind}: measured {measured}, recorded {recorded}"
        );
        let training = info
            .training
            .expect("shipped weights record their training");
        assert!(training.steps > 0);
        if kind == DecoderKind::Upsample {
            // The Keras blog's figure for this model.
            assert!(
                measured <= 0.094,
                "upsample test BCE {measured} misses the blog's 0.094"
            );
        }
    }
}
