//! `checkerlab train`: the loop that produced the shipped weights.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use checkerlab_model::evaluation::{evaluate, images_tensor};
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::progress::{self, Progress, RunSettings};
use checkerlab_model::session::BatchOrder;
use checkerlab_model::weights::{self, TrainingRecipe, WeightsInfo};
use checkerlab_model::{AutoencoderConfig, DecoderKind, OptimizerKind, Trainer};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args;
use crate::compute::Compute;
use crate::model_file::{self, Origin};

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Which decoder (upsample, transposed, transposed-k4, ...).
    #[arg(long)]
    decoder: DecoderKind,
    /// adadelta (the blog's, learning rate 1.0) or adam.
    #[arg(long, default_value = "adadelta")]
    optimizer: OptimizerKind,
    /// Defaults to the optimizer's usual rate (1.0 for Adadelta, 0.001 for Adam).
    #[arg(long, value_parser = args::learning_rate)]
    learning_rate: Option<f64>,
    /// At most this many epochs.
    #[arg(long, default_value_t = 50, value_parser = args::at_least_one)]
    epochs: usize,
    /// Stop after the first epoch whose test BCE is at or below this (for
    /// timing how long a model takes to reach a quality).
    #[arg(long)]
    stop_at_test_bce: Option<f64>,
    #[arg(long, default_value_t = 128, value_parser = args::batch_size)]
    batch_size: usize,
    /// Where to train.
    #[arg(long, value_enum, default_value = "cpu")]
    device: Compute,
    /// Seeds the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train on only the first N training images (for quick trials).
    #[arg(long, value_parser = args::at_least_one)]
    train_limit: Option<usize>,
    /// Also evaluate after these steps of the first epoch (the early-training
    /// view; not when continuing from --init).
    #[arg(long, value_delimiter = ',', default_value = "50,200")]
    early_steps: Vec<u64>,
    /// Start from these weights instead of fresh ones (continues their training).
    #[arg(long)]
    init: Option<PathBuf>,
    /// Where to write the weights.
    #[arg(long)]
    out: PathBuf,
    /// Where to write the JSON-lines log (one line per evaluation).
    #[arg(long)]
    log: PathBuf,
    /// Save the run here after every epoch, and if the file exists, go on
    /// from it (same arguments, --epochs may grow) instead of starting over.
    /// Kept at the end, so a finished run can be trained further.
    #[arg(long)]
    progress: Option<PathBuf>,
}

impl TrainArgs {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
            .unwrap_or_else(|| self.optimizer.default_learning_rate())
    }
}

pub fn run(data: &Path, args: TrainArgs) -> anyhow::Result<()> {
    let mut train = MnistSet::load(data, Split::Train)?;
    if let Some(limit) = args.train_limit {
        train = train.take(limit);
    }
    let test = MnistSet::load(data, Split::Test)?;
    let device = args.device.device()?;
    let autodiff = device.clone().autodiff();

    let (model, earlier, seed) = match &args.init {
        Some(path) => match model_file::load(path, Some(args.decoder), &autodiff)? {
            (model, Origin::Ours(info)) => (model, info.training.map(Box::new), info.seed),
            // Trained elsewhere: no recipe of ours to continue, nor a seed.
            (model, Origin::Foreign(_)) => (model, None, args.seed),
        },
        None => {
            let model = AutoencoderConfig::new(args.decoder)
                .with_seed(args.seed)
                .init(&autodiff);
            (model, None, args.seed)
        }
    };
    let settings = RunSettings {
        decoder: args.decoder,
        optimizer: args.optimizer,
        learning_rate: args.learning_rate(),
        batch_size: args.batch_size,
        seed: args.seed,
        train_len: train.len(),
        continued: args.init.is_some(),
    };
    let saved = match &args.progress {
        Some(path) if path.exists() => {
            let bytes = read_progress_file(path)?;
            let saved = progress::decode(&bytes, &settings, &autodiff)
                .with_context(|| format!("{}", path.display()))?;
            Some(saved)
        }
        _ => None,
    };
    for dir in [args.out.parent(), args.log.parent()]
        .into_iter()
        .chain(args.progress.iter().map(|path| path.parent()))
        .flatten()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let (mut trainer, mut log, resumed) = match saved {
        Some((saved, trainer)) => {
            let log = log_up_to(&args.log, saved.log_lines)?;
            (trainer, log, Some(saved))
        }
        None => {
            let log = std::fs::File::create(&args.log)
                .with_context(|| format!("creating {}", args.log.display()))?;
            let trainer = Trainer::new(model, args.optimizer, args.learning_rate());
            (trainer, log, None)
        }
    };
    // Counted by the closure that writes them, read when saving progress.
    let log_lines = std::cell::Cell::new(resumed.as_ref().map_or(0, |saved| saved.log_lines));

    let steps_per_epoch = train.len().div_ceil(args.batch_size);
    let bar = ProgressBar::new((steps_per_epoch * args.epochs) as u64).with_style(
        ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} steps, eta {eta} {msg}",
        )?,
    );
    bar.set_prefix(format!("{} {}", args.decoder, args.optimizer));

    let mut write_entry = |trainer: &Trainer,
                           epoch: f64,
                           train_bce: Option<f64>,
                           seconds: f64|
     -> anyhow::Result<f64> {
        let evaluation = evaluate(&trainer.inference_model(), &test, &device);
        let entry = serde_json::json!({
            "decoder": args.decoder,
            "epoch": epoch,
            "step": trainer.steps(),
            "train_bce": train_bce,
            "test_bce": evaluation.test_bce,
            "probes": evaluation.probes,
            "train_seconds": seconds,
        });
        writeln!(log, "{entry}")?;
        log_lines.set(log_lines.get() + 1);
        Ok(evaluation.test_bce)
    };

    let mut batches = BatchOrder::new(args.seed ^ 0x5_4FF1E);
    let (mut test_bce, mut train_seconds, mut epochs_run) = match &resumed {
        Some(saved) => {
            // The passes the saved epochs drew, so the next one is the one
            // an uninterrupted run would draw.
            for _ in 0..saved.epochs_done {
                batches.pass(train.len());
            }
            bar.set_position((steps_per_epoch * saved.epochs_done) as u64);
            // Printed even without a terminal, unlike the bar's lines: a
            // scheduler's log should show that the run went on.
            bar.suspend(|| {
                println!(
                    "resuming after epoch {} (step {})",
                    saved.epochs_done, saved.steps
                )
            });
            (saved.test_bce, saved.train_seconds, saved.epochs_done)
        }
        None => (write_entry(&trainer, 0.0, None, 0.0)?, 0.0, 0),
    };
    let reached = |test_bce: f64| {
        args.stop_at_test_bce
            .is_some_and(|target| test_bce <= target)
    };
    let first_epoch = if resumed.is_some() && reached(test_bce) {
        args.epochs + 1
    } else {
        epochs_run + 1
    };
    for epoch in first_epoch..=args.epochs {
        let order = batches.pass(train.len());
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for batch in order.chunks(args.batch_size) {
            let images = images_tensor(train.batch(batch), &autodiff);
            let began = Instant::now();
            let loss = trainer.step(images).into_scalar::<f32>() as f64;
            train_seconds += began.elapsed().as_secs_f64();
            if !loss.is_finite() {
                bail!(
                    "the loss became {loss} at step {} (epoch {epoch}); try a lower --learning-rate",
                    trainer.steps()
                );
            }
            loss_sum += loss * batch.len() as f64;
            seen += batch.len();
            bar.inc(1);
            bar.set_message(format!("epoch {epoch} bce {:.4}", loss_sum / seen as f64));
            if epoch == 1 && args.init.is_none() && args.early_steps.contains(&trainer.steps()) {
                let fraction = trainer.steps() as f64 / steps_per_epoch as f64;
                write_entry(
                    &trainer,
                    fraction,
                    Some(loss_sum / seen as f64),
                    train_seconds,
                )?;
            }
        }
        let train_bce = Some(loss_sum / seen as f64);
        test_bce = write_entry(&trainer, epoch as f64, train_bce, train_seconds)?;
        bar.println(format!(
            "epoch {epoch}: train bce {:.4}, test bce {test_bce:.4}, {:.1} s/epoch",
            loss_sum / seen as f64,
            train_seconds / epoch as f64
        ));
        epochs_run = epoch;
        if let Some(path) = &args.progress {
            let saved = Progress {
                settings: settings.clone(),
                epochs_done: epoch,
                steps: trainer.steps(),
                train_seconds,
                log_lines: log_lines.get(),
                test_bce,
            };
            let info = weights_info(&args, seed, epoch, &trainer, &earlier, test_bce);
            write_atomically(path, &progress::encode(&saved, &trainer, &info)?)?;
        }
        if let Some(target) = args.stop_at_test_bce.filter(|target| test_bce <= *target) {
            bar.println(format!(
                "reached test bce {target} after {epoch} epochs, {train_seconds:.1} s of training"
            ));
            break;
        }
    }
    bar.finish();

    let info = weights_info(&args, seed, epochs_run, &trainer, &earlier, test_bce);
    let bytes = weights::encode(trainer.inference_model(), &info)?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes): test bce {test_bce:.4} after {epochs_run} epochs, {train_seconds:.1} s of training ({:.1} s per epoch)",
        args.out.display(),
        bytes.len(),
        train_seconds / epochs_run as f64
    );
    Ok(())
}

fn weights_info(
    args: &TrainArgs,
    seed: u64,
    epochs: usize,
    trainer: &Trainer,
    earlier: &Option<Box<TrainingRecipe>>,
    test_bce: f64,
) -> WeightsInfo {
    WeightsInfo {
        decoder: args.decoder,
        seed,
        training: Some(TrainingRecipe {
            optimizer: args.optimizer,
            learning_rate: args.learning_rate(),
            batch_size: args.batch_size,
            epochs,
            steps: trainer.steps(),
            continued_from: earlier.clone(),
        }),
        test_bce: Some(test_bce),
    }
}

fn read_progress_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let limit = progress::MAX_FILE_LEN;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > limit {
        bail!(
            "{}: too large for a progress file (at most {limit} bytes)",
            path.display()
        );
    }
    Ok(bytes)
}

/// The log as the saved run left it: its first `lines` lines (a run stopped
/// mid-epoch may have written more), open for appending.
fn log_up_to(path: &Path, lines: usize) -> anyhow::Result<std::fs::File> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {} to resume (the progress file expects its first {lines} lines)",
            path.display()
        )
    })?;
    let kept: Vec<&str> = text.lines().take(lines).collect();
    if kept.len() < lines {
        bail!(
            "{} has {} lines, but the progress file was saved after {lines}",
            path.display(),
            kept.len()
        );
    }
    let mut log =
        std::fs::File::create(path).with_context(|| format!("rewriting {}", path.display()))?;
    for line in kept {
        writeln!(log, "{line}")?;
    }
    Ok(log)
}

/// A reader never sees half a file: written beside it, then renamed over it.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("renaming {} to {}", temporary.display(), path.display()))
}
