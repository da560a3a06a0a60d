//! `checkerlab train --progress`: a run stopped after an epoch and started
//! again ends where an uninterrupted run ends, on real MNIST.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

fn train(dir: &Path, name: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checkerlab"))
        .arg("--data")
        .arg(data())
        .args(["train", "--decoder", "transposed", "--optimizer", "adam"])
        .args(["--train-limit", "192", "--batch-size", "64"])
        .arg("--out")
        .arg(dir.join(format!("{name}.ckpt")))
        .arg("--log")
        .arg(dir.join(format!("{name}.jsonl")))
        .args(extra)
        .output()
        .unwrap()
}

fn succeeded(output: Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The log without its timings: every evaluation (test BCE on the 10,000
/// test digits, each probe's figures) must be the same to the last bit.
fn evaluations(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
            entry.as_object_mut().unwrap().remove("train_seconds");
            entry
        })
        .collect()
}

#[test]
fn a_run_resumed_after_an_epoch_matches_one_that_never_stopped() {
    let dir = std::env::temp_dir().join(format!("checkerlab-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let progress = dir.join("run.progress");
    let progress = progress.to_str().unwrap();

    succeeded(train(&dir, "straight", &["--epochs", "3"]));
    succeeded(train(
        &dir,
        "resumed",
        &["--epochs", "1", "--progress", progress],
    ));
    // What a run stopped mid-epoch may have written after its last save.
    let log = dir.join("resumed.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"epoch\":1.5,\"cut\":\"here\"}\n");
    std::fs::write(&log, &text).unwrap();

    // Other settings are refused before anything is touched.
    let other = train(
        &dir,
        "resumed",
        &[
            "--epochs",
            "3",
            "--learning-rate",
            "0.0005",
            "--progress",
            progress,
        ],
    );
    assert!(!other.status.success());
    let message = String::from_utf8_lossy(&other.stderr);
    assert!(message.contains("another run"), "{message}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), text);

    let resumed = train(&dir, "resumed", &["--epochs", "3", "--progress", progress]);
    let said = String::from_utf8_lossy(&resumed.stdout).to_string()
        + &String::from_utf8_lossy(&resumed.stderr);
    succeeded(resumed);
    assert!(said.contains("resuming after epoch 1"), "{said}");

    let straight = evaluations(&dir.join("straight.jsonl"));
    assert_eq!(straight.len(), 4, "untrained and three epochs");
    assert_eq!(evaluations(&log), straight);
    std::fs::remove_dir_all(&dir).unwrap();
}
