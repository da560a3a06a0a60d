//! Times each layer of one image's forward pass on Burn flex, as the page's
//! update runs it (no autodiff, batch 1), for the two original decoders:
//! the median microseconds from one layer's output to the next, over many
//! passes, then the pools considered for the encoder (forward only, at
//! batch 1 and 128). Prints Markdown.
//!
//! `RAYON_NUM_THREADS=1 cargo run --release -p checkerlab-model --example update_layers`

use std::time::Instant;

mod timing;

use burn::tensor::{Device, Distribution, Tensor};

use checkerlab_model::{AutoencoderConfig, DecoderKind, IMAGE_SIDE, pool};

const WARMUP: usize = 200;
const RUNS: usize = 2001;

fn main() {
    let device = Device::flex();
    let image = Tensor::<4>::random(
        [1, 1, IMAGE_SIDE, IMAGE_SIDE],
        Distribution::Default,
        &device,
    );
    println!("| decoder | layer | output | median µs |");
    println!("| --- | --- | --- | ---: |");
    for kind in [DecoderKind::Upsample, DecoderKind::Transposed] {
        let model = AutoencoderConfig::new(kind).init(&device);
        let mut layers: Vec<(&'static str, [usize; 4], Vec<f64>)> = Vec::new();
        let mut totals = Vec::with_capacity(RUNS);
        for run in 0..WARMUP + RUNS {
            let began = Instant::now();
            let mut last = began;
            let mut index = 0;
            let mut tap = |name: &'static str, x: Tensor<4>| {
                let now = Instant::now();
                if run >= WARMUP {
                    if layers.len() <= index {
                        layers.push((name, x.dims(), Vec::with_capacity(RUNS)));
                    }
                    layers[index].2.push((now - last).as_secs_f64() * 1e6);
                }
                last = now;
                index += 1;
                x
            };
            let code = model.encoder.forward_tapped(image.clone(), &mut tap);
            let logits = model.decoder.forward_tapped(code, &mut tap);
            drop(logits.into_data());
            if run >= WARMUP {
                totals.push(began.elapsed().as_secs_f64() * 1e6);
            }
        }
        let median = |times: &mut Vec<f64>| {
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        };
        for (name, dims, times) in &mut layers {
            println!(
                "| {} | {name} | {dims:?} | {:.1} |",
                kind.name(),
                median(times)
            );
        }
        println!(
            "| {} | whole pass, output read | | {:.1} |",
            kind.name(),
            median(&mut totals)
        );
    }
    println!();
    pools(&device);
}

/// Median microseconds of `RUNS` calls after `WARMUP`.
fn time_us(run: impl FnMut()) -> f64 {
    timing::median_seconds(WARMUP, RUNS, run) * 1e6
}

fn pools(device: &Device) {
    use burn::nn::PaddingConfig2d;
    use burn::nn::pool::MaxPool2dConfig;
    let layer = MaxPool2dConfig::new([2, 2])
        .with_padding(PaddingConfig2d::Same)
        .init();
    for shape in [
        [1, 16, 28, 28],
        [1, 8, 14, 14],
        [1, 8, 8, 8],
        [128, 16, 28, 28],
        [128, 8, 14, 14],
    ] {
        let x = Tensor::<4>::random(shape, Distribution::Default, device);
        let [b, c, h, w] = shape;
        let burn = time_us(|| drop(layer.forward(x.clone()).into_data()));
        let dims = time_us(|| {
            let y = x
                .clone()
                .reshape([b * c * h / 2, 2, w / 2, 2])
                .max_dim(3)
                .max_dim(1)
                .reshape([b, c, h / 2, w / 2]);
            drop(y.into_data())
        });
        let slices = time_us(|| {
            let y = x.clone().reshape([b * c * h / 2, 2, w / 2, 2]);
            let a = y.clone().narrow(1, 0, 1).max_pair(y.narrow(1, 1, 1));
            let y = a.clone().narrow(3, 0, 1).max_pair(a.narrow(3, 1, 1));
            drop(y.reshape([b, c, h / 2, w / 2]).into_data())
        });
        // What the encoder runs: the loop, with its read and write.
        let host = time_us(|| drop(pool::forward(&layer, x.clone()).into_data()));
        println!(
            "- pool {shape:?}: burn {burn:.1} µs, max_dim {dims:.1}, narrow+max_pair {slices:.1}, host loop {host:.1}"
        );
    }
}
