"""Foreign-model fixtures: our two original autoencoders, made by Keras and PyTorch themselves.

Builds the convolutional autoencoder of "Building Autoencoders in Keras"
(2016), as our `upsample` decoder computes it, and its Conv2DTranspose
variant, as our `transposed` decoder computes it, in Keras 3 (TensorFlow
backend, CPU) and in PyTorch (CPU). Trains each for one short epoch on the
repository's MNIST, seeded, and writes into tests/fixtures/foreign/:

- Keras 3: `.keras` (zip: config.json + model.weights.h5) and `.weights.h5`;
  the legacy full-model `.h5` the blog's `model.save` writes, by tf_keras
  (genuine Keras 2) and, separately, by Keras 3's legacy saver;
- PyTorch: the `state_dict` by `torch.save` (`.pt`) and `.safetensors`;
- each framework's reconstructions of the first 16 test digits
  (`*.recon.f32`: float32 little-endian, shape [16, 28, 28], row-major,
  intensities after the sigmoid);
- manifest.json: every file, its model, decoder, versions, seed, steps, losses
  and the cross-checks below.

Cross-checks (the script stops if one fails): each trained Keras model's
weights, converted to PyTorch's layouts (Conv2D HWIO -> Conv2d OIHW,
Conv2DTranspose HWOI -> ConvTranspose2d IOHW), give PyTorch reconstructions
equal to Keras' own to 1e-5 on all 10,000 test digits, and the other way
round; every saved file, read back by its framework, reconstructs as the
model that wrote it. These are the layout conversions and crops our Rust
loader uses (docs/foreign-models.md).

    scripts/make-foreign-fixtures.sh            # installs the venv, then runs this
    benchmarks/.venv-foreign/bin/python scripts/make-foreign-fixtures.py [--steps N] [--out DIR]
"""

import argparse
import datetime
import gzip
import hashlib
import json
import os
import platform
import struct
import sys
import time
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import safetensors.torch  # noqa: E402
import torch  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
import tf_keras  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
MNIST = REPOSITORY / "data" / "mnist"
DECODERS = ("upsample", "transposed")
PARAMETERS = 4385  # the whole autoencoder, encoder and decoder (docs/model.md)
SEED = 0
BATCH = 128
STEPS = 468  # one epoch of the 60,000 training digits in full batches (the last 96 left out)
LEARNING_RATE = 1e-3
EPSILON = 1e-7  # Keras' Adam epsilon, which our Adam uses too (crates/model/src/train.rs)
SAMPLES = 16  # reconstructions of the first 16 test digits
TOLERANCE = 1e-5

# Our `transposed` decoder's three layers (crates/model/src/decoder/transposed.rs,
# TransposedDesign::Kernel3), kernel 3, stride 2, each followed by a ReLU:
# (filters, Burn/PyTorch padding, Burn/PyTorch output padding, Keras crop).
# A kernel-3 stride-2 transposed convolution of an n-pixel side spans
# (n - 1) * 2 + 3 = 2n + 1 pixels in full, which is Keras' 'valid'. Burn and
# PyTorch drop `padding` pixels at the start and `padding - output_padding`
# at the end, so Keras' 'valid' followed by Cropping2D of those computes the
# same function (Keras' 'same' does not: it drops the last pixel, not the
# first; see transposed_crops()).
TRANSPOSED = (
    (8, 1, 0, ((1, 1), (1, 1))),  # 4 -> 9 in full -> 7: crop one pixel on each side
    (8, 1, 1, ((1, 0), (1, 0))),  # 7 -> 15 in full -> 14: crop the first row and column
    (16, 1, 1, ((1, 0), (1, 0))),  # 14 -> 29 in full -> 28: crop the first row and column
)


def read_images(name):
    """IDX images as float32 intensities in [0, 1], shape [count, 28, 28, 1] (NHWC)."""
    with gzip.open(MNIST / name) as file:
        data = file.read()
    magic, count, rows, columns = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        raise ValueError(f"{name}: not an IDX image file (magic {magic})")
    pixels = np.frombuffer(data, np.uint8, offset=16)
    return pixels.reshape(count, rows, columns, 1).astype("float32") / 255.0


# ---------------------------------------------------------------- Keras


def build_keras(k, decoder):
    """The blog's model in Keras `k` (keras for Keras 3, tf_keras for Keras 2).

    The blog's own code, functional API, default layer names (a fresh session
    each time, so they restart: conv2d, max_pooling2d, conv2d_1, ...), its
    sigmoid output and binary cross-entropy; Adam 0.001 as our recipe.
    """
    k.backend.clear_session()
    layers = k.layers
    input_img = k.Input(shape=(28, 28, 1))
    x = layers.Conv2D(16, (3, 3), activation="relu", padding="same")(input_img)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)  # 14x14
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)  # 7x7
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)  # 4x4x8: 'same' pools 7 to 4, padding after
    if decoder == "upsample":
        x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
        x = layers.UpSampling2D((2, 2))(x)  # 8x8
        x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
        x = layers.UpSampling2D((2, 2))(x)  # 16x16
        x = layers.Conv2D(16, (3, 3), activation="relu")(x)  # 'valid': 14x14
        x = layers.UpSampling2D((2, 2))(x)  # 28x28
    else:
        for filters, _, _, cropping in TRANSPOSED:
            x = layers.Conv2DTranspose(filters, (3, 3), strides=(2, 2), padding="valid", activation="relu")(x)
            x = layers.Cropping2D(cropping)(x)  # 7x7, 14x14, 28x28
    decoded = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    model = k.Model(input_img, decoded)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=LEARNING_RATE, epsilon=EPSILON),
                  loss="binary_crossentropy")
    return model


def keras_weighted_layers(model):
    return [layer for layer in model.layers if layer.get_weights()]


def is_transposed(layer):
    # By name: tf_keras' Conv2DTranspose subclasses Conv2D, Keras 3's does not.
    return type(layer).__name__ == "Conv2DTranspose"


# ---------------------------------------------------------------- PyTorch


class TorchAutoencoder(torch.nn.Module):
    """The same model in PyTorch, as a PyTorch user writes it: two
    nn.Sequential, so the state_dict's keys are encoder.0.weight, ...

    PyTorch pads symmetrically, so each 'same' 3x3 convolution is padding=1,
    and Keras' 'same' 2x2 pool (7 -> 4, the padding after the last row) is
    ceil_mode=True. The transposed layers use Burn's padding and output
    padding, which are PyTorch's.
    """

    def __init__(self, decoder):
        super().__init__()
        nn = torch.nn
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # 14x14
            nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # 7x7
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),  # 4x4
        )
        if decoder == "upsample":
            stack = [
                nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(8, 16, 3, padding=0), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
            ]
        else:
            stack, channels = [], 8
            for filters, padding, output_padding, _ in TRANSPOSED:
                stack += [nn.ConvTranspose2d(channels, filters, 3, stride=2, padding=padding,
                                             output_padding=output_padding), nn.ReLU()]
                channels = filters
        stack.append(nn.Conv2d(16, 1, 3, padding=1))  # logits
        self.decoder = nn.Sequential(*stack)

    def logits(self, images):
        return self.decoder(self.encoder(images))

    def forward(self, images):
        return torch.sigmoid(self.logits(images))


def torch_weighted_layers(model):
    return [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]


# ---------------------------------------------------------------- layouts


def keras_to_torch(keras_model, torch_model):
    """Copies a Keras model's weights into the PyTorch model, layer by layer.

    Conv2D's kernel is [h, w, in, out] (HWIO) and Conv2d's weight
    [out, in, h, w] (OIHW); Conv2DTranspose's kernel is [h, w, out, in]
    (HWOI) and ConvTranspose2d's weight [in, out, h, w] (IOHW). Both are the
    axis order (3, 2, 0, 1), and neither flips the kernel: TensorFlow's and
    PyTorch's transposed convolutions are both the adjoint of the same
    cross-correlation. Burn's Conv2d and ConvTranspose2d weights are laid out
    as PyTorch's.
    """
    pairs = list(zip(keras_weighted_layers(keras_model), torch_weighted_layers(torch_model), strict=True))
    with torch.no_grad():
        for source, target in pairs:
            assert is_transposed(source) == isinstance(target, torch.nn.ConvTranspose2d), (source, target)
            kernel, bias = source.get_weights()
            assert kernel.transpose(3, 2, 0, 1).shape == tuple(target.weight.shape), (source.name, kernel.shape)
            target.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
            target.bias.copy_(torch.from_numpy(bias))


def torch_to_keras(torch_model, keras_model):
    """The inverse of keras_to_torch: OIHW / IOHW back to HWIO / HWOI, axis order (2, 3, 1, 0)."""
    pairs = list(zip(torch_weighted_layers(torch_model), keras_weighted_layers(keras_model), strict=True))
    for source, target in pairs:
        assert is_transposed(target) == isinstance(source, torch.nn.ConvTranspose2d), (source, target)
        kernel = source.weight.detach().numpy().transpose(2, 3, 1, 0)
        target.set_weights([kernel, source.bias.detach().numpy()])


def transposed_crops(rng):
    """Where each transposed-convolution convention's output sits in the full
    ('valid') one: (pixels dropped at the start, at the end), per input side.

    Found, not assumed: a random 1-channel kernel and input through Keras 3
    (this backend) and PyTorch, and the offset at which each output matches
    the full one."""
    table = {}
    for n in (4, 7, 14):
        x = rng.standard_normal((1, n, n, 1)).astype("float32")
        kernel = rng.standard_normal((3, 3, 1, 1)).astype("float32")

        def keras_output(padding, output_padding):
            layer = keras.layers.Conv2DTranspose(1, 3, strides=2, padding=padding,
                                                 output_padding=output_padding, use_bias=False)
            layer.build((1, n, n, 1))
            layer.set_weights([kernel])
            return np.asarray(layer(x))[0, :, :, 0]

        def torch_output(padding, output_padding):
            layer = torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=padding,
                                             output_padding=output_padding, bias=False)
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
                return layer(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()[0, 0]

        full = keras_output("valid", None)
        assert full.shape == (2 * n + 1,) * 2
        torch_full = torch_output(0, 0)
        assert np.allclose(torch_full, full, atol=TOLERANCE), "PyTorch padding 0 is not Keras 'valid'"
        outputs = {
            "keras padding='same'": keras_output("same", None),
            "keras padding='same', output_padding=0": keras_output("same", 0),
            "keras padding='same', output_padding=1": keras_output("same", 1),
            "torch padding=1, output_padding=0": torch_output(1, 0),
            "torch padding=1, output_padding=1": torch_output(1, 1),
        }
        for name, output in outputs.items():
            side = output.shape[0]
            found = [(row, column) for row in range(2 * n + 2 - side) for column in range(2 * n + 2 - side)
                     if np.allclose(output, full[row:row + side, column:column + side], atol=TOLERANCE)]
            assert len(found) == 1 and found[0][0] == found[0][1], (name, n, found)
            start = found[0][0]
            table.setdefault(name, {})[str(n)] = {"out": side, "crop": [start, 2 * n + 1 - side - start]}
    return table


# ---------------------------------------------------------------- training


def bce(probabilities, targets):
    """Mean binary cross-entropy, float64, of intensities (for reporting only)."""
    p = np.clip(probabilities.astype("float64"), 1e-12, 1 - 1e-12)
    t = targets.astype("float64")
    return float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))


def train_keras(decoder, batches):
    keras.utils.set_random_seed(SEED)
    model = build_keras(keras, decoder)
    assert model.count_params() == PARAMETERS, (decoder, model.count_params())
    began = time.perf_counter()
    history = model.fit(batches, batches, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    seconds = time.perf_counter() - began
    return model, float(history.history["loss"][0]), seconds


def train_torch(decoder, batches):
    torch.manual_seed(SEED)
    model = TorchAutoencoder(decoder)
    assert sum(p.numel() for p in model.parameters()) == PARAMETERS, decoder
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    images = torch.from_numpy(np.ascontiguousarray(batches.transpose(0, 3, 1, 2)))
    losses = []
    began = time.perf_counter()
    for step in range(len(images) // BATCH):
        batch = images[step * BATCH:(step + 1) * BATCH]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model.logits(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - began
    model.eval()
    return model, float(np.mean(losses)), seconds


def keras_predict(model, images):
    """[n, 28, 28] intensities."""
    return np.asarray(model.predict(images, batch_size=1000, verbose=0))[..., 0]


def torch_predict(model, images):
    """[n, 28, 28] intensities."""
    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(np.ascontiguousarray(chunk.transpose(0, 3, 1, 2))))
                          for chunk in np.array_split(images, max(1, len(images) // 1000))]).numpy()[:, 0]


def max_difference(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a.astype("float64") - b.astype("float64"))))


# ---------------------------------------------------------------- files


def describe(path, **fields):
    data = path.read_bytes()
    return {"file": path.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), **fields}


def write_reconstructions(path, reconstructions):
    assert reconstructions.shape == (SAMPLES, 28, 28) and reconstructions.dtype == np.float32
    reconstructions.astype("<f4").tofile(path)


def save_keras(model, decoder, batch, out, test16, reference):
    """Every Keras format, each read back and checked against `reference`
    (the model's own reconstructions). Returns (file entries, read-back figures)."""
    stem = f"keras-{decoder}"
    files, readback = [], {}
    model_id = stem

    path = out / f"{stem}.keras"
    model.save(path)
    readback[path.name] = max_difference(keras_predict(keras.saving.load_model(path), test16), reference)
    files.append(describe(path, model=model_id, decoder=decoder, framework="keras", format="keras3-zip",
                          written_by=f"keras {keras.__version__}",
                          note="zip: config.json, metadata.json, model.weights.h5 (with Adam's state)"))

    path = out / f"{stem}.weights.h5"
    model.save_weights(path)
    fresh = build_keras(keras, decoder)
    fresh.load_weights(path)
    readback[path.name] = max_difference(keras_predict(fresh, test16), reference)
    files.append(describe(path, model=model_id, decoder=decoder, framework="keras", format="keras3-weights-h5",
                          written_by=f"keras {keras.__version__}",
                          note="no config: layers/<name>/vars/0 kernel, vars/1 bias (groups in name order, not layer order), and Adam's state under optimizer/vars"))

    # The blog's `autoencoder.save(...)` in Keras 2: tf_keras, a genuine Keras 2
    # HDF5 file (model_config, training_config, model_weights, optimizer_weights).
    path = out / f"{stem}.h5"
    legacy = build_keras(tf_keras, decoder)
    legacy.set_weights(model.get_weights())
    # One step at learning rate 0 builds the optimizer's slots, so the file
    # carries optimizer_weights as a trained model's does; no weight changes.
    legacy.optimizer.learning_rate.assign(0.0)
    legacy.train_on_batch(batch, batch)
    legacy.optimizer.learning_rate.assign(LEARNING_RATE)
    for mine, theirs in zip(legacy.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)
    legacy.save(path)
    readback[path.name + " (tf_keras)"] = max_difference(keras_predict(tf_keras.models.load_model(path), test16),
                                                         reference)
    try:
        readback[path.name + " (keras 3)"] = max_difference(keras_predict(keras.models.load_model(path), test16),
                                                            reference)
    except Exception as error:  # noqa: BLE001: a Keras limitation to record, not ours
        # Keras 3.15 refuses tf_keras' Conv2DTranspose config: it has a
        # `groups` key that Keras 3's Conv2DTranspose does not take.
        readback[path.name + " (keras 3)"] = f"Keras 3 cannot load it: {str(error).splitlines()[-1]}"
    files.append(describe(path, model=model_id, decoder=decoder, framework="keras", format="keras2-legacy-h5",
                          written_by=f"tf_keras {tf_keras.__version__} (Keras 2), model.save('x.h5')",
                          note="the trained Keras 3 model's weights via set_weights; optimizer_weights are "
                               "Adam's slots after one step at learning rate 0, not the real training's"))

    # What a Keras 3 user gets from the blog's `model.save('x.h5')`.
    path = out / f"{stem}.keras3-legacy.h5"
    model.save(path)
    readback[path.name] = max_difference(keras_predict(keras.models.load_model(path), test16), reference)
    files.append(describe(path, model=model_id, decoder=decoder, framework="keras", format="keras3-legacy-h5",
                          written_by=f"keras {keras.__version__}'s legacy HDF5 saver, model.save('x.h5')",
                          note="the same layout as Keras 2's .h5, with Keras 3's config serialisation"))
    return files, readback


def save_torch(model, decoder, out, test16, reference):
    stem = f"torch-{decoder}"
    files, readback = [], {}
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}

    path = out / f"{stem}.pt"
    torch.save(model.state_dict(), path)
    fresh = TorchAutoencoder(decoder)
    fresh.load_state_dict(torch.load(path, weights_only=True), strict=True)
    fresh.eval()
    readback[path.name] = max_difference(torch_predict(fresh, test16), reference)
    files.append(describe(path, model=stem, decoder=decoder, framework="pytorch", format="torch-state-dict",
                          written_by=f"torch {torch.__version__}, torch.save(model.state_dict())",
                          tensors={name: list(t.shape) for name, t in state.items()}))

    path = out / f"{stem}.safetensors"
    safetensors.torch.save_file(state, path, metadata={"format": "pt"})
    fresh = TorchAutoencoder(decoder)
    fresh.load_state_dict(safetensors.torch.load_file(path), strict=True)
    fresh.eval()
    readback[path.name] = max_difference(torch_predict(fresh, test16), reference)
    files.append(describe(path, model=stem, decoder=decoder, framework="pytorch", format="safetensors",
                          written_by=f"safetensors {safetensors.__version__}, save_file(model.state_dict())",
                          tensors={name: list(t.shape) for name, t in state.items()}))
    return files, readback


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps of batch 128 per model")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "tests" / "fixtures" / "foreign")
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    tf.config.experimental.enable_op_determinism()
    # One thread: on two cores beside TensorFlow's pools, PyTorch's training
    # step took 2 to 4 times longer with two (310 against 81 ms for upsample).
    torch.set_num_threads(1)

    train = read_images("train-images-idx3-ubyte.gz")
    test = read_images("t10k-images-idx3-ubyte.gz")
    order = np.random.default_rng(SEED).permutation(len(train))[:args.steps * BATCH]
    batches = train[order]  # the same batches, in the same order, for both frameworks
    test16 = test[:SAMPLES]

    crops = transposed_crops(np.random.default_rng(SEED))
    for name, sides in crops.items():
        print(f"{name}: " + ", ".join(f"{n} -> {c['out']} crop {tuple(c['crop'])}" for n, c in sides.items()),
              flush=True)

    files, models, checks = [], [], {}
    for decoder in DECODERS:
        # Keras, trained.
        keras_model, keras_train_bce, keras_seconds = train_keras(decoder, batches)
        keras_test = keras_predict(keras_model, test)
        keras_test_bce = float(keras_model.evaluate(test, test, batch_size=1000, verbose=0))
        keras_recon = keras_test[:SAMPLES]
        print(f"keras {decoder}: {args.steps} steps in {keras_seconds:.0f} s, train BCE {keras_train_bce:.4f}, "
              f"test BCE {keras_test_bce:.4f}", flush=True)

        # PyTorch, trained.
        torch_model, torch_train_bce, torch_seconds = train_torch(decoder, batches)
        torch_test = torch_predict(torch_model, test)
        torch_test_bce = bce(torch_test, test[..., 0])
        torch_recon = torch_test[:SAMPLES]
        print(f"torch {decoder}: {args.steps} steps in {torch_seconds:.0f} s, train BCE {torch_train_bce:.4f}, "
              f"test BCE {torch_test_bce:.4f}", flush=True)

        # The cross-checks: Keras' weights computed by PyTorch, and PyTorch's by Keras.
        converted = TorchAutoencoder(decoder)
        keras_to_torch(keras_model, converted)
        converted.eval()
        keras_in_torch = max_difference(torch_predict(converted, test), keras_test)
        back = build_keras(keras, decoder)
        torch_to_keras(torch_model, back)
        torch_in_keras = max_difference(keras_predict(back, test), torch_test)
        checks[decoder] = {
            "keras weights in pytorch, max |difference| over 10,000 test reconstructions": keras_in_torch,
            "pytorch weights in keras, max |difference| over 10,000 test reconstructions": torch_in_keras,
            "keras test BCE, as keras evaluates it / as computed from pytorch with keras' weights":
                [keras_test_bce, bce(torch_predict(converted, test), test[..., 0])],
        }
        print(f"{decoder}: Keras' weights in PyTorch differ by at most {keras_in_torch:.2e}, "
              f"PyTorch's in Keras by {torch_in_keras:.2e}", flush=True)
        assert keras_in_torch <= TOLERANCE and torch_in_keras <= TOLERANCE, checks[decoder]

        # Files, each read back.
        keras_files, keras_readback = save_keras(keras_model, decoder, batches[:BATCH], out, test16, keras_recon)
        torch_files, torch_readback = save_torch(torch_model, decoder, out, test16, torch_recon)
        for name, difference in {**keras_readback, **torch_readback}.items():
            assert isinstance(difference, str) or difference <= 1e-6, (name, difference)
        checks[decoder]["each file read back by its framework, max |difference| from the writer's reconstructions"] = {
            **keras_readback, **torch_readback}
        files += keras_files + torch_files
        for framework, recon in (("keras", keras_recon), ("torch", torch_recon)):
            path = out / f"{framework}-{decoder}.recon.f32"
            write_reconstructions(path, recon)
            files.append(describe(path, model=f"{framework}-{decoder}", decoder=decoder,
                                  framework="pytorch" if framework == "torch" else "keras",
                                  format="reconstructions", dtype="float32 little-endian", shape=[SAMPLES, 28, 28],
                                  note=f"sigmoid intensities of the first {SAMPLES} test digits "
                                       "(t10k-images-idx3-ubyte, pixels / 255), row-major, no header"))

        models += [
            {"model": f"keras-{decoder}", "framework": "keras", "decoder": decoder, "parameters": PARAMETERS,
             "train_bce_epoch_mean": keras_train_bce, "test_bce": keras_test_bce, "train_seconds": keras_seconds,
             "initialisation": "Keras' (glorot_uniform kernels, zero biases), keras.utils.set_random_seed(0)",
             "layers": [f"{type(layer).__name__} {layer.name}" for layer in keras_model.layers[1:]]},
            {"model": f"torch-{decoder}", "framework": "pytorch", "decoder": decoder, "parameters": PARAMETERS,
             "train_bce_epoch_mean": torch_train_bce, "test_bce": torch_test_bce, "train_seconds": torch_seconds,
             "initialisation": "PyTorch's defaults, torch.manual_seed(0)",
             "layers": [f"{name} {type(module).__name__}" for name, module in torch_model.named_modules()
                        if name.count(".") == 1]},
        ]

    manifest = {
        "made_by": "scripts/make-foreign-fixtures.sh (scripts/make-foreign-fixtures.py)",
        "date": datetime.date.today().isoformat(),
        "versions": {
            "python": platform.python_version(), "numpy": np.__version__, "keras": keras.__version__,
            "keras_backend": f"{keras.backend.backend()} (CPU)", "tensorflow": tf.__version__,
            "tf_keras": tf_keras.__version__, "torch": torch.__version__, "h5py": h5py.__version__,
            "safetensors": safetensors.__version__,
        },
        "training": {
            "data": "data/mnist/train-images-idx3-ubyte.gz, pixels / 255, NHWC in Keras and NCHW in PyTorch",
            "seed": SEED, "steps": args.steps, "batch": BATCH,
            "order": "numpy.random.default_rng(0).permutation(60000)[:steps * batch], the same batches "
                     "in the same order for every model",
            "optimizer": f"Adam, learning rate {LEARNING_RATE}, betas 0.9/0.999, epsilon {EPSILON}",
            "loss": "binary cross-entropy of the sigmoid output against the intensities (logits form)",
            "train_bce_epoch_mean": "the mean of each step's batch loss before its update, as Keras' fit reports",
            "test_bce": "mean over the 10,000 test digits' pixels",
        },
        "reconstructions": {
            "digits": f"the first {SAMPLES} of data/mnist/t10k-images-idx3-ubyte.gz, pixels / 255",
            "layout": "float32 little-endian, [16, 28, 28] row-major, no header; intensities after the sigmoid",
            "tolerance": TOLERANCE,
        },
        "transposed_layers": [
            {"layer": i + 1, "filters": filters, "burn_and_pytorch": {"padding": padding, "output_padding": op},
             "keras": {"padding": "valid", "Cropping2D": cropping}}
            for i, (filters, padding, op, cropping) in enumerate(TRANSPOSED)
        ],
        "transposed_conventions_found": crops,
        "models": models,
        "cross_checks": checks,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(files)} files and manifest.json to {out}")


if __name__ == "__main__":
    sys.exit(main())
