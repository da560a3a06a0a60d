//! `checkerlab`: train the shipped weights, evaluate a weights file, time the trainer.

mod args;
mod bench;
mod compute;
mod model_file;
mod train;

use compute::Compute;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use checkerlab_model::evaluation::{evaluate, images_tensor};
use checkerlab_model::foreign;
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::session;
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
        /// A `.ckpt` file written by `train`, or a Keras or PyTorch user's
        /// file of one of the decoders: `.keras`, `.weights.h5`, `.h5`,
        /// `.pt`, `.pth` or `.safetensors`.
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
        /// Also write the reconstructions of the first 16 test digits here,
        /// float32 little-endian `[16, 28, 28]` (the format of the foreign
        /// fixtures' `.recon.f32`), to set beside another framework's.
        #[arg(long, requires = "weights")]
        reconstructions: Option<PathBuf>,
    },
    /// Write a model for other frameworks: `.safetensors`, named and laid
    /// out as PyTorch would (`encoder.conv1.weight`, kernels `[out, in, h, w]`),
    /// or a Keras 3 `.keras` model that `keras.models.load_model` opens.
    Export {
        /// Any file `eval` reads.
        weights: PathBuf,
        /// The file to write: `.safetensors` or `.keras`, told by its extension.
        #[arg(long)]
        out: PathBuf,
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
            reconstructions,
        } => match (weights, untrained) {
            (Some(path), _) => eval_file(&cli.data, &path, device, reconstructions.as_deref()),
            (None, Some(decoder)) => eval_untrained(&cli.data, decoder, seed, device),
            (None, None) => unreachable!("clap requires one of them"),
        },
        Command::Export { weights, out } => export(&weights, &out),
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

/// How many test digits `eval --reconstructions` writes.
const RECONSTRUCTED_DIGITS: usize = 16;

fn eval_file(
    data: &Path,
    path: &Path,
    compute: Compute,
    reconstructions: Option<&Path>,
) -> anyhow::Result<()> {
    let device = compute.device()?;
    let (model, origin) = model_file::load(path, None, &device)?;
    let test = MnistSet::load(data, Split::Test)?;
    if let Some(out) = reconstructions {
        let indices: Vec<usize> = (0..RECONSTRUCTED_DIGITS).collect();
        let pixels = model
            .reconstruct(images_tensor(test.batch(&indices), &device))
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|err| anyhow::anyhow!("reading the reconstructions: {err:?}"))?;
        let bytes: Vec<u8> = pixels.iter().flat_map(|p| p.to_le_bytes()).collect();
        std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    }
    let evaluation = evaluate(&model, &test, &device);
    let mut report = serde_json::json!({
        "weights": path.display().to_string(),
        "decoder": origin.decoder(),
        "device": compute.describe(),
        "test_bce": evaluation.test_bce,
        "probes": evaluation.probes,
    });
    match origin {
        model_file::Origin::Ours(info) => {
            report["recorded_test_bce"] = serde_json::json!(info.test_bce);
            report["training"] = serde_json::json!(info.training);
        }
        model_file::Origin::Foreign(recognised) => {
            report["loaded"] = serde_json::json!(recognised.summary());
        }
    }
    println!("{report}");
    Ok(())
}

fn export(path: &Path, out: &Path) -> anyhow::Result<()> {
    let (model, origin) = model_file::load(path, None, &burn::tensor::Device::flex())?;
    let extension = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match foreign::SaveFormat::from_extension(&extension) {
        Some(foreign::SaveFormat::Safetensors) => foreign::safetensors::write(&model)?,
        Some(foreign::SaveFormat::Keras) => foreign::keras::write(&model)?,
        _ => bail!(
            "{}: write .safetensors or .keras (told by the extension); `train` writes .ckpt",
            out.display()
        ),
    };
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} decoder)", out.display(), origin.decoder());
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
