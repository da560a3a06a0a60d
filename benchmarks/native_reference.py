"""Checkerlab's native trainer against the Keras blog's model in Keras itself.

Same architecture (4,385 parameters each), loss (BCE on logits), optimizer
(Adam 0.001) and MNIST files, on this machine's CPU. Prints one table:
milliseconds per training step at batch 128, and the training time each
system needs to reach a test BCE (evaluated after every epoch, batch 64).

    scripts/bench-native.sh [--target 0.11] [--steps 30] [--out FILE]

Checkerlab runs as the release `checkerlab` binary: Burn's flex backend on
the CPU, or with --checkerlab-device gpu Burn's wgpu backend. Keras runs on
the backend KERAS_BACKEND names: TensorFlow's CPU build here, JAX on CUDA on
a GPU machine (benchmarks/gpu.sh). Both use every core.
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import re
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
MNIST = REPOSITORY / "data" / "mnist"
DECODERS = ("upsample", "transposed")
# Burn crops its transposed layers with padding and output padding; Keras'
# 'valid' transposed convolution and a crop compute the same thing:
# 4 -> 9 -> 7, 7 -> 15 -> 14, 14 -> 29 -> 28.
TRANSPOSED_LAYERS = ((8, ((1, 1), (1, 1))), (8, ((1, 0), (1, 0))), (16, ((1, 0), (1, 0))))


def read_images(name):
    with gzip.open(MNIST / name) as file:
        data = file.read()
    magic, count, rows, columns = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        raise ValueError(f"{name}: not an IDX image file (magic {magic})")
    pixels = np.frombuffer(data, np.uint8, offset=16)
    return pixels.reshape(count, rows, columns, 1).astype("float32") / 255.0


def build(decoder):
    def conv(filters, padding="same", activation="relu"):
        return layers.Conv2D(filters, 3, padding=padding, activation=activation)

    def pool():
        return layers.MaxPooling2D(2, padding="same")

    stack = [conv(16), pool(), conv(8), pool(), conv(8), pool()]  # [batch, 4, 4, 8]
    if decoder == "upsample":
        stack += [conv(8), layers.UpSampling2D(2), conv(8), layers.UpSampling2D(2),
                  conv(16, "valid"), layers.UpSampling2D(2)]
    else:
        for filters, cropping in TRANSPOSED_LAYERS:
            stack += [layers.Conv2DTranspose(filters, 3, strides=2, padding="valid", activation="relu"),
                      layers.Cropping2D(cropping)]
    stack.append(conv(1, activation=None))  # [batch, 28, 28, 1] logits
    inputs = keras.Input((28, 28, 1))
    outputs = inputs
    for layer in stack:
        outputs = layer(outputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def keras_ms_per_step(decoder, train, batch, warmup, steps):
    """Parameter count and per-step times of `train_on_batch` (Keras' compiled step), after warm-up."""
    model = build(decoder)
    times = []
    for step in range(warmup + steps):
        start = (step * batch) % (len(train) - batch)
        images = train[start:start + batch]
        began = time.perf_counter()
        model.train_on_batch(images, images)
        if step >= warmup:
            times.append((time.perf_counter() - began) * 1e3)
    return model.count_params(), times


def keras_time_to(decoder, train, test, target, batch, max_epochs):
    """Training seconds (evaluation excluded) until the test BCE is <= target."""
    keras.utils.set_random_seed(0)
    model = build(decoder)
    seconds = 0.0
    for epoch in range(1, max_epochs + 1):
        began = time.perf_counter()
        model.fit(train, train, batch_size=batch, epochs=1, shuffle=True, verbose=0)
        seconds += time.perf_counter() - began
        test_bce = model.evaluate(test, test, batch_size=1000, verbose=0)
        print(f"  keras {decoder}: epoch {epoch}, test bce {test_bce:.4f}, {seconds:.0f} s", flush=True)
        if test_bce <= target:
            return epoch, seconds, test_bce
    return None, seconds, test_bce


def keras_runs_on():
    """The Keras backend and the device it computes on."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return f"JAX {jax.__version__} on {jax.devices()[0].device_kind}"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"TensorFlow {tf.__version__} on {'GPU' if gpus else 'CPU'}"
    return backend


def checkerlab_ms_per_step(tool, device, decoder, batch, warmup, steps):
    output = subprocess.run(
        [tool, "bench", "--device", device, "--decoders", decoder, "--batch-size", str(batch),
         "--warmup", str(warmup), "--steps", str(steps)],
        cwd=REPOSITORY, check=True, capture_output=True, text=True).stdout
    row = next(line for line in output.splitlines() if line.startswith(decoder + " "))
    median, spread = row.split()[3], row.split()[4]
    return float(median), spread


def checkerlab_time_to(tool, device, decoder, target, batch, max_epochs):
    """As keras_time_to, and the test BCE of the weights written, evaluated
    again by `checkerlab eval` on the CPU: a cross-check of the device's own."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "log.jsonl"
        weights = Path(scratch) / "weights.ckpt"
        subprocess.run(
            [tool, "train", "--device", device, "--decoder", decoder, "--optimizer", "adam", "--batch-size", str(batch),
             "--epochs", str(max_epochs), "--stop-at-test-bce", str(target),
             "--out", str(weights), "--log", str(log)],
            cwd=REPOSITORY, check=True, stdout=subprocess.DEVNULL)
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        evaluated = json.loads(subprocess.run([tool, "eval", str(weights)], cwd=REPOSITORY, check=True,
                                              capture_output=True, text=True).stdout)
    last = entries[-1]
    reached = last["test_bce"] <= target
    return (int(last["epoch"]) if reached else None), last["train_seconds"], last["test_bce"], evaluated["test_bce"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128, help="batch for ms per step")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--target", type=float, default=0.11, help="test BCE to reach")
    parser.add_argument("--train-batch", type=int, default=64, help="batch for the time to target")
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--checkerlab", type=Path, default=REPOSITORY / "target" / "release" / "checkerlab",
                        help="the checkerlab binary")
    parser.add_argument("--checkerlab-device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    tool, device = args.checkerlab, args.checkerlab_device

    train = read_images("train-images-idx3-ubyte.gz")
    test = read_images("t10k-images-idx3-ubyte.gz")
    rows = []
    for decoder in DECODERS:
        print(f"{decoder}: timing steps", flush=True)
        parameters, keras_times = keras_ms_per_step(decoder, train, args.batch, args.warmup, args.steps)
        ours, ours_spread = checkerlab_ms_per_step(tool, device, decoder, args.batch, args.warmup, args.steps)
        print(f"{decoder}: training to test BCE {args.target}", flush=True)
        ours_to = checkerlab_time_to(tool, device, decoder, args.target, args.train_batch, args.max_epochs)
        keras_to = keras_time_to(decoder, train, test, args.target, args.train_batch, args.max_epochs)
        rows.append((decoder, parameters, ours, ours_spread, keras_times, ours_to, keras_to))

    cpu = re.sub(r"\s+", " ", next((line.split(":", 1)[1] for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())).strip()
    lines = [
        f"# Native: Checkerlab ({'Burn wgpu, GPU' if device == 'gpu' else 'Burn flex, CPU'}) vs Keras {keras.__version__} "
        f"({keras_runs_on()}), {datetime.date.today()}",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}.",
        f"Step: batch {args.batch}, Adam 0.001, median of {args.steps} after {args.warmup} warm-up (Checkerlab p10..p90). "
        f"Time to target: batch {args.train_batch}, test BCE on the 10,000 test digits after each epoch, training time only.",
        "",
        f"| decoder | params | Checkerlab ms/step | Keras ms/step | ratio | Checkerlab to BCE {args.target} "
        f"| its weights' test BCE on the CPU | Keras to BCE {args.target} |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def reached(result):
        epoch, seconds, bce = result[:3]
        return f"{seconds:.0f} s ({epoch} epochs, {bce:.4f})" if epoch else f"not in {args.max_epochs} epochs ({bce:.4f})"

    for decoder, parameters, ours, spread, keras_times, ours_to, keras_to in rows:
        theirs = statistics.median(keras_times)
        lines.append(f"| {decoder} | {parameters} | {ours:.1f} ({spread}) | {theirs:.1f} "
                     f"({min(keras_times):.0f}-{max(keras_times):.0f}) | {ours / theirs:.2f} | {reached(ours_to)} "
                     f"| {ours_to[3]:.4f} | {reached(keras_to)} |")
    lines.append("")
    lines.append("Ratio: Checkerlab / Keras ms per step; below 1, Checkerlab is faster. The CPU's test BCE of the "
                 "weights Checkerlab wrote checks the one its device computed (the two agree to rounding).")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
