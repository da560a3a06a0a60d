//! Models made by Keras and PyTorch themselves (tests/fixtures/foreign,
//! written by scripts/make-foreign-fixtures.sh), loaded here: each must
//! reconstruct the first 16 test digits as its own framework did.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use checkerlab_model::evaluation::images_tensor;
use checkerlab_model::foreign::{self, Recognised};
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::{DecoderKind, IMAGE_LEN};

/// The manifest's tolerance: what float32 arithmetic in another order allows.
const TOLERANCE: f32 = 1e-5;
const DIGITS: usize = 16;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/foreign")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The framework's reconstructions: float32 little-endian, `[16, 28, 28]`.
fn framework_reconstructions(stem: &str) -> Vec<f32> {
    let bytes = read(&format!("{stem}.recon.f32"));
    assert_eq!(bytes.len(), DIGITS * IMAGE_LEN * 4, "{stem}.recon.f32");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// `recognised`'s model on the first 16 test digits, against `stem`'s own.
fn assert_reconstructs_like(recognised: Recognised, expected: DecoderKind, stem: &str) {
    assert_eq!(recognised.kind, expected, "{stem}");
    let device = Device::flex();
    let model = recognised.into_autoencoder(&device);
    let test = MnistSet::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist"),
        Split::Test,
    )
    .expect("MNIST test digits");
    let indices: Vec<usize> = (0..DIGITS).collect();
    let ours = model
        .reconstruct(images_tensor(test.batch(&indices), &device))
        .into_data()
        .try_into_vec::<f32>()
        .expect("floats");
    let theirs = framework_reconstructions(stem);
    let (worst, at) = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .zip(0..)
        .fold(
            (0.0f32, 0),
            |best, (d, i)| if d > best.0 { (d, i) } else { best },
        );
    assert!(
        worst <= TOLERANCE,
        "{stem}: pixel {at} differs by {worst:e} (ours {}, the framework's {})",
        ours[at],
        theirs[at]
    );
}

#[test]
fn pytorch_safetensors_reconstruct_as_pytorch_does() {
    for (stem, kind) in [
        ("torch-upsample", DecoderKind::Upsample),
        ("torch-transposed", DecoderKind::Transposed),
    ] {
        let recognised = foreign::safetensors::load(&read(&format!("{stem}.safetensors")))
            .unwrap_or_else(|err| panic!("{stem}.safetensors: {err}"));
        assert_reconstructs_like(recognised, kind, stem);
    }
}

#[test]
fn pytorch_state_dicts_reconstruct_as_pytorch_does() {
    for (stem, kind) in [
        ("torch-upsample", DecoderKind::Upsample),
        ("torch-transposed", DecoderKind::Transposed),
    ] {
        let recognised = foreign::pytorch::load(&fixtures().join(format!("{stem}.pt")))
            .unwrap_or_else(|err| panic!("{stem}.pt: {err}"));
        assert_reconstructs_like(recognised, kind, stem);
    }
}

#[test]
fn keras_files_of_every_kind_reconstruct_as_keras_does() {
    for (model, kind) in [
        ("upsample", DecoderKind::Upsample),
        ("transposed", DecoderKind::Transposed),
    ] {
        // Keras 3's archive and bare weights, Keras 2's (tf_keras) full-model
        // .h5, and Keras 3's legacy saver's.
        for suffix in [".keras", ".weights.h5", ".h5", ".keras3-legacy.h5"] {
            let name = format!("keras-{model}{suffix}");
            let recognised =
                foreign::keras::load(&read(&name)).unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_reconstructs_like(recognised, kind, &format!("keras-{model}"));
        }
    }
}

/// A Keras user's model taken back out by `checkerlab export`, as `.keras`
/// and as `.safetensors`: each file still reconstructs as Keras did.
#[test]
fn our_exports_of_a_keras_model_reconstruct_as_keras_does() {
    let dir = std::env::temp_dir().join(format!("checkerlab-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (model, kind) in [
        ("upsample", DecoderKind::Upsample),
        ("transposed", DecoderKind::Transposed),
    ] {
        let input = fixtures().join(format!("keras-{model}.keras"));
        for extension in ["keras", "safetensors"] {
            let out = dir.join(format!("{model}.{extension}"));
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_checkerlab"))
                .arg("export")
                .arg(&input)
                .arg("--out")
                .arg(&out)
                .status()
                .expect("checkerlab runs");
            assert!(status.success(), "export to {}", out.display());
            let recognised = foreign::load_bytes(&std::fs::read(&out).expect("written"))
                .unwrap_or_else(|err| panic!("{}: {err}", out.display()));
            assert_reconstructs_like(recognised, kind, &format!("keras-{model}"));
        }
    }
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_checkerlab"))
        .arg("export")
        .arg(fixtures().join("keras-upsample.keras"))
        .arg("--out")
        .arg(dir.join("model.onnx"))
        .output()
        .expect("checkerlab runs");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains(".keras"), "{said}");
    assert!(!dir.join("model.onnx").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// The transposed model as a Keras user would first write it, with
/// `padding='same'` and no cropping: the same weights, and an image shifted
/// by a pixel a layer, so it is refused with that reason.
#[test]
fn a_keras_model_that_crops_otherwise_is_refused_with_the_reason() {
    use std::io::{Cursor, Read, Write};
    let bytes = read("keras-transposed.keras");
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).expect("zip");
    let mut config: serde_json::Value = {
        let mut text = String::new();
        archive
            .by_name("config.json")
            .expect("config.json")
            .read_to_string(&mut text)
            .expect("read");
        serde_json::from_str(&text).expect("json")
    };
    let layers = config["config"]["layers"].as_array_mut().expect("layers");
    layers.retain(|layer| layer["class_name"] != "Cropping2D");
    for layer in layers.iter_mut() {
        if layer["class_name"] == "Conv2DTranspose" {
            layer["config"]["padding"] = "same".into();
        }
    }
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("entry");
        let name = file.name().expect("a name").to_string();
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("read");
        if name == "config.json" {
            content = serde_json::to_vec(&config).expect("json");
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&content).expect("write");
    }
    let same = out.finish().expect("finished").into_inner();
    let err = foreign::keras::load(&same).expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("(0, 1)") && text.contains("(1, 1)"), "{text}");
}

/// A pickle that would run `os.system` if unpickled by Python: refused,
/// with nothing run and no panic.
#[test]
fn a_pickle_carrying_code_is_refused() {
    let dir = std::env::temp_dir().join(format!("checkerlab-pickle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("evil.pt");
    // Protocol 2: GLOBAL os.system, the argument tuple ("true",), REDUCE, STOP.
    std::fs::write(
        &path,
        b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.",
    )
    .expect("written");
    let err = foreign::pytorch::load(&path).expect_err("refused");
    assert!(err.to_string().contains("os"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
