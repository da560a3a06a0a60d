//! `checkerlab`: train the shipped weights, evaluate a weights file, time the trainer.

mod args;
mod bench;
mod compute;
mod train;

use compute::Compute;

use std::path::{Path, PathBuf};

use anyhow::Context;
use checkerlab_model::evaluation::evaluate;
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::session;
use checkerlab_model::weights;
use checkerlab_model::{AutoencoderConfig, DecoderKind};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "Checkerlab's native tooling (CPU, Burn's flex backend)"
)]
struct Cli {
    /// Folder holding the four gzipped MNIST IDX files.
    #[arg(long, global = true, default_value = "data/mnist")]
    data: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one autoencoder and write its weights and a JSON-lines log.
    Train(train::TrainArgs),
    /// Print one JSON object: test BCE and the checkerboard probes of a weights
    /// file, or of an untrained model.
    Eval {
        /// A `.ckpt` file written by `train`.
        #[arg(required_unless_present = "untrained")]
        weights: Option<PathBuf>,
        /// Evaluate this decoder's untrained model instead (see --seed).
        #[arg(long, conflicts_with = "weights")]
        untrained: Option<DecoderKind>,
        /// Seed of the untrained model's initial weights.
        #[arg(long, default_value_t = 0, requires = "untrained")]
        seed: u64,
        /// Where to evaluate: the figures of two devices should agree.
        #[arg(long, value_enum, default_value = "cpu")]
        device: Compute,
    },
    /// Print milliseconds per training step for each decoder.
    Bench(bench::BenchArgs),
    /// Print the lab's catalog as JSON (decoders, probes, input kinds,
    /// training defaults): the one list scripts and tables derive from.
    Catalog {
        /// Print only the decoder names, one a line.
        #[arg(long)]
        names: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Train(args) => train::run(&cli.data, args),
        Command::Eval {
            weights,
            untrained,
            seed,
            device,
        } => match (weights, untrained) {
            (Some(path), _) => eval_file(&cli.data, &path, device),
            (None, Some(decoder)) => eval_untrained(&cli.data, decoder, seed, device),
            (None, None) => unreachable!("clap requires one of them"),
        },
        Command::Bench(args) => bench::run(&cli.data, args),
        Command::Catalog { names } => {
            let catalog = session::catalog();
            if names {
                catalog.decoders.iter().for_each(|d| println!("{}", d.name));
            } else {
                println!("{}", serde_json::to_string_pretty(&catalog)?);
            }
            Ok(())
        }
    }
}

fn eval_file(data: &Path, path: &Path, compute: Compute) -> anyhow::Result<()> {
    let bytes = args::read_weights_file(path)?;
    let info = weights::read_info(&bytes).with_context(|| format!("{}", path.display()))?;
    let device = compute.device()?;
    let (model, info) = weights::decode(&bytes, info.decoder, &device)
        .with_context(|| format!("{}", path.display()))?;
    let test = MnistSet::load(data, Split::Test)?;
    let evaluation = evaluate(&model, &test, &device);
    let report = serde_json::json!({
        "weights": path.display().to_string(),
        "decoder": info.decoder,
        "device": compute.describe(),
        "recorded_test_bce": info.test_bce,
        "training": info.training,
        "test_bce": evaluation.test_bce,
        "probes": evaluation.probes,
    });
    println!("{report}");
    Ok(())
}

fn eval_untrained(
    data: &Path,
    decoder: DecoderKind,
    seed: u64,
    compute: Compute,
) -> anyhow::Result<()> {
    let device = compute.device()?;
    let model = AutoencoderConfig::new(decoder)
        .with_seed(seed)
        .init(&device);
    let test = MnistSet::load(data, Split::Test)?;
    let evaluation = evaluate(&model, &test, &device);
    let report = serde_json::json!({
        "untrained": decoder,
        "seed": seed,
        "device": compute.describe(),
        "test_bce": evaluation.test_bce,
        "probes": evaluation.probes,
    });
    println!("{report}");
    Ok(())
}
