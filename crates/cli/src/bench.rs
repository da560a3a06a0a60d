//! `checkerlab bench`: milliseconds per training step on this CPU.

use std::path::Path;
use std::time::Instant;

use crate::args;
use crate::compute::Compute;
use checkerlab_model::evaluation::images_tensor;
use checkerlab_model::mnist::{MnistSet, Split};
use checkerlab_model::{AutoencoderConfig, DecoderKind, OptimizerKind, Trainer};

#[derive(clap::Args)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 128, value_parser = args::batch_size)]
    batch_size: usize,
    /// Steps timed after the warm-up.
    #[arg(long, default_value_t = 30, value_parser = args::at_least_one)]
    steps: usize,
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Where to train.
    #[arg(long, value_enum, default_value = "cpu")]
    device: Compute,
    /// Only these decoders (comma-separated); all by default.
    #[arg(long, value_delimiter = ',')]
    decoders: Vec<DecoderKind>,
}

/// The threads flex's rayon pool runs on: `RAYON_NUM_THREADS` where set (as
/// to time the single-threaded wasm build's work natively), else every core.
fn cpu_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

pub fn run(data: &Path, args: BenchArgs) -> anyhow::Result<()> {
    let train = MnistSet::load(data, Split::Train)?;
    let device = args.device.device()?.autodiff();
    println!(
        "decoder     optimizer  batch  median ms/step  p10..p90 ms   ({} steps after {} warm-up, {}, {} CPU threads)",
        args.steps,
        args.warmup,
        args.device.describe(),
        cpu_threads()
    );
    let decoders = if args.decoders.is_empty() {
        DecoderKind::ALL.to_vec()
    } else {
        args.decoders.clone()
    };
    for decoder in decoders {
        let model = AutoencoderConfig::new(decoder).init(&device);
        let mut trainer = Trainer::new(model, OptimizerKind::Adam, 1e-3);
        let mut times = Vec::with_capacity(args.steps);
        for step in 0..args.warmup + args.steps {
            // Consecutive images, wrapping around a set smaller than a batch.
            let indices: Vec<usize> = (0..args.batch_size)
                .map(|k| (step * args.batch_size + k) % train.len())
                .collect();
            let images = images_tensor(train.batch(&indices), &device);
            let began = Instant::now();
            // Reading the loss waits for the step to finish.
            trainer.step(images).into_scalar::<f32>();
            if step >= args.warmup {
                times.push(began.elapsed().as_secs_f64() * 1e3);
            }
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{:<11} {:<10} {:>5}  {:>14.1}  {:>5.1}..{:<5.1}",
            decoder.name(),
            "adam",
            args.batch_size,
            at(0.5),
            at(0.1),
            at(0.9)
        );
    }
    Ok(())
}
