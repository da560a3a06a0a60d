//! Times each stride-1 convolution of the model in both forms on Burn flex:
//! `conv2d`, and the transposed convolution with the kernel flipped that
//! computes the same sums (see `checkerlab_model::conv`), forward alone and
//! forward plus backward, at batch 128; then the form `conv::forward` takes
//! with the bias added apart, and the transposed decoder's stride-2 layers
//! with their bias inside and apart. Prints Markdown tables.
//!
//! `cargo run --release -p checkerlab-model --example conv_forms`

mod timing;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};

use checkerlab_model::conv;

const BATCH: usize = 128;
const WARMUP: usize = 3;
const RUNS: usize = 21;

/// Median milliseconds of `RUNS` calls after `WARMUP`.
fn median_ms(run: impl FnMut()) -> f64 {
    timing::median_seconds(WARMUP, RUNS, run) * 1e3
}

/// Median milliseconds of `form`'s forward pass and backward pass, reading
/// the gradients of `tensors` (weight and input) and `bias`.
fn forward_backward_ms(
    form: &dyn Fn() -> Tensor<4>,
    tensors: [&Tensor<4>; 2],
    bias: &Tensor<1>,
) -> f64 {
    median_ms(|| {
        let grads = form().sum().backward();
        for tensor in tensors {
            drop(tensor.grad(&grads).map(|g| g.into_data()));
        }
        drop(bias.grad(&grads).map(|g| g.into_data()));
    })
}

struct Layer {
    name: &'static str,
    channels: [usize; 2],
    side: usize,
    padding: usize,
    /// The images going into the encoder need no gradient; every later
    /// layer's input does.
    input_grad: bool,
}

fn main() {
    let device = Device::flex().autodiff();
    let layer = |name, channels, side, padding, input_grad| Layer {
        name,
        channels,
        side,
        padding,
        input_grad,
    };
    let layers = [
        layer("encoder conv 1 -> 16 at 28x28", [1, 16], 28, 1, false),
        layer("encoder conv 16 -> 8 at 14x14", [16, 8], 14, 1, true),
        layer("encoder conv 8 -> 8 at 7x7", [8, 8], 7, 1, true),
        layer("decoder conv 8 -> 8 at 4x4", [8, 8], 4, 1, true),
        layer("decoder conv 8 -> 8 at 8x8", [8, 8], 8, 1, true),
        layer("decoder conv 8 -> 16 at 16x16, valid", [8, 16], 16, 0, true),
        layer("sub-pixel conv 16 -> 4 at 14x14", [16, 4], 14, 1, true),
        layer("output conv 16 -> 1 at 28x28", [16, 1], 28, 1, true),
    ];
    println!(
        "Burn flex, one thread, batch {BATCH}; median ms of {RUNS} calls after {WARMUP} warm-up.\n"
    );
    println!(
        "| layer | conv2d, forward | transposed form, forward | conv2d, forward + backward | transposed form, forward + backward | the form taken, bias added apart, forward + backward | largest difference |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for layer in layers {
        let [channels_in, channels_out] = layer.channels;
        let mut x = Tensor::<4>::random(
            [BATCH, channels_in, layer.side, layer.side],
            Distribution::Default,
            &device,
        );
        if layer.input_grad {
            x = x.require_grad();
        }
        let pad = layer.padding;
        // The model's layer, whose parameters both raw forms below share.
        let module = Conv2dConfig::new([channels_in, channels_out], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
            .init(&device);
        let weight = module.weight.val();
        let bias = module.bias.as_ref().expect("a bias").val();
        let direct = || {
            let options = ConvOptions::new([1, 1], [pad, pad], [1, 1], 1);
            conv2d(x.clone(), weight.clone(), Some(bias.clone()), options)
        };
        let transposed = || {
            let kernel = weight.clone().swap_dims(0, 1).flip([2, 3]);
            let options = ConvTransposeOptions::new([1, 1], [2 - pad, 2 - pad], [0, 0], [1, 1], 1);
            conv_transpose2d(x.clone(), kernel, Some(bias.clone()), options)
        };
        // What the model runs: the transposed form for narrowing layers,
        // each with the bias as its own addition.
        let taken = || conv::forward(&module, x.clone());
        let difference = (direct() - transposed()).abs().max().into_scalar::<f32>();
        let difference = difference.max((direct() - taken()).abs().max().into_scalar::<f32>());
        let forward = |form: &dyn Fn() -> Tensor<4>| median_ms(|| drop(form().into_data()));
        let backward =
            |form: &dyn Fn() -> Tensor<4>| forward_backward_ms(form, [&weight, &x], &bias);
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {difference:.1e} |",
            layer.name,
            forward(&direct),
            forward(&transposed),
            backward(&direct),
            backward(&transposed),
            backward(&taken),
        );
    }
    transposed_layers(&device);
}

/// The transposed decoder's stride-2 layers (kernel 3, padding 1), forward
/// and backward with the bias inside `conv_transpose2d` and added apart.
fn transposed_layers(device: &Device) {
    println!(
        "\n| stride-2 transposed layer | bias inside, forward + backward | bias added apart, forward + backward | largest difference |"
    );
    println!("| --- | --- | --- | --- |");
    // (name, channels, input side, padding_out)
    let layers = [
        ("8 -> 8, 4x4 to 7x7", [8, 8], 4, 0),
        ("8 -> 8, 7x7 to 14x14", [8, 8], 7, 1),
        ("8 -> 16, 14x14 to 28x28", [8, 16], 14, 1),
    ];
    for (name, [channels_in, channels_out], side, padding_out) in layers {
        let x = Tensor::<4>::random(
            [BATCH, channels_in, side, side],
            Distribution::Default,
            device,
        )
        .require_grad();
        let weight = Tensor::<4>::random(
            [channels_in, channels_out, 3, 3],
            Distribution::Default,
            device,
        )
        .require_grad();
        let bias =
            Tensor::<1>::random([channels_out], Distribution::Default, device).require_grad();
        let options = || ConvTransposeOptions::new([2, 2], [1, 1], [padding_out; 2], [1, 1], 1);
        let inside = || conv_transpose2d(x.clone(), weight.clone(), Some(bias.clone()), options());
        let apart = || {
            conv_transpose2d(x.clone(), weight.clone(), None, options())
                + bias.clone().reshape([1, channels_out, 1, 1])
        };
        let difference = (inside() - apart()).abs().max().into_scalar::<f32>();
        let backward =
            |form: &dyn Fn() -> Tensor<4>| forward_backward_ms(form, [&weight, &x], &bias);
        println!(
            "| {name} | {:.2} | {:.2} | {difference:.1e} |",
            backward(&inside),
            backward(&apart),
        );
    }
}
