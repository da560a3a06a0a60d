"""Reads every foreign fixture as our loader must, and recomputes each framework's reconstructions in numpy.

An independent check of tests/fixtures/foreign/ and of docs/foreign-models.md:
no Keras, no TensorFlow, and PyTorch only to unpickle the `.pt` state_dict.
Each file is opened by its raw format (zip, HDF5, safetensors), its layer
order found from its config or, without one, from its names; its kernels
permuted to OIHW / IOHW (no flip); and the model run by a plain float64
forward pass with our paddings and crops. Every file must reproduce its
framework's `.recon.f32` to 1e-5. Prints the largest difference per file.

    benchmarks/.venv-foreign/bin/python scripts/check-foreign-fixtures.py [DIR]
"""

import gzip
import json
import re
import struct
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import safetensors.numpy

REPOSITORY = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5
# Our transposed decoder's (padding, output padding) per layer (docs/foreign-models.md).
TRANSPOSED = ((1, 0), (1, 1), (1, 1))


def first_test_digits(count=16):
    with gzip.open(REPOSITORY / "data" / "mnist" / "t10k-images-idx3-ubyte.gz") as file:
        data = file.read(16 + count * 784)
    magic, _, rows, columns = struct.unpack(">IIII", data[:16])
    assert magic == 2051
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, rows, columns).astype("float64") / 255.0


# ------------------------------------------------------------ the forward pass (NCHW, float64)


def conv(x, weight, bias, padding):
    """Stride-1 cross-correlation; weight [out, in, 3, 3]."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = weight.shape[2]
    rows, columns = x.shape[2] - k + 1, x.shape[3] - k + 1
    out = np.zeros((x.shape[0], weight.shape[0], rows, columns))
    for i in range(k):
        for j in range(k):
            out += np.einsum("nchw,oc->nohw", x[:, :, i:i + rows, j:j + columns], weight[:, :, i, j])
    return out + bias[None, :, None, None]


def conv_transposed(x, weight, bias, padding, output_padding):
    """Stride-2 transposed convolution; weight [in, out, 3, 3]. Each input
    pixel (r, c) adds its kernel at (2r, 2c) of the full output, of side
    2n + 1; then `padding` pixels go at the start, `padding - output_padding`
    at the end."""
    n, k = x.shape[2], weight.shape[2]
    full = np.zeros((x.shape[0], weight.shape[1], 2 * (n - 1) + k, 2 * (x.shape[3] - 1) + k))
    for i in range(k):
        for j in range(k):
            full[:, :, i:i + 2 * n - 1:2, j:j + 2 * x.shape[3] - 1:2] += np.einsum(
                "nchw,co->nohw", x, weight[:, :, i, j])
    end = padding - output_padding
    full = full[:, :, padding:full.shape[2] - end, padding:full.shape[3] - end]
    return full + bias[None, :, None, None]


def pool(x):
    """2x2, 'same': an odd side is padded after its last row or column."""
    rows, columns = -(-x.shape[2] // 2) * 2, -(-x.shape[3] // 2) * 2
    x = np.pad(x, ((0, 0), (0, 0), (0, rows - x.shape[2]), (0, columns - x.shape[3])), constant_values=-np.inf)
    return x.reshape(x.shape[0], x.shape[1], rows // 2, 2, columns // 2, 2).max(axis=(3, 5))


def relu(x):
    return np.maximum(x, 0)


def nearest(x):
    return x.repeat(2, axis=2).repeat(2, axis=3)


def reconstruct(decoder, layers, images):
    """layers: seven (weight, bias) pairs, OIHW for convolutions and IOHW for transposed ones."""
    x = images
    for weight, bias in layers[:3]:
        x = pool(relu(conv(x, weight, bias, 1)))
    if decoder == "upsample":
        for (weight, bias), padding in zip(layers[3:6], (1, 1, 0)):
            x = nearest(relu(conv(x, weight, bias, padding)))
    else:
        for (weight, bias), (padding, output_padding) in zip(layers[3:6], TRANSPOSED):
            x = relu(conv_transposed(x, weight, bias, padding, output_padding))
    weight, bias = layers[6]
    return 1 / (1 + np.exp(-conv(x, weight, bias, 1)[:, 0]))


# ------------------------------------------------------------ reading


def from_keras(kinds_and_weights):
    """[(class name, kernel, bias)] in layer order -> (decoder, layers in our layouts).
    Conv2D HWIO and Conv2DTranspose HWOI both go to ours by axes (3, 2, 0, 1)."""
    decoder = "transposed" if any(kind == "Conv2DTranspose" for kind, _, _ in kinds_and_weights) else "upsample"
    layers = [(np.asarray(kernel, "float64").transpose(3, 2, 0, 1), np.asarray(bias, "float64"))
              for _, kernel, bias in kinds_and_weights]
    return decoder, layers


def keras_config_layers(config):
    """(class name, layer name) of each layer with weights, in the model's order."""
    return [(layer["class_name"], layer["config"]["name"]) for layer in config["config"]["layers"]
            if layer["class_name"] in ("Conv2D", "Conv2DTranspose")]


def read_keras3_h5(file, order):
    return [(kind, file[f"layers/{name}/vars/0"][()], file[f"layers/{name}/vars/1"][()]) for kind, name in order]


def read_keras_zip(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        with archive.open("model.weights.h5") as weights, h5py.File(weights) as file:
            return from_keras(read_keras3_h5(file, keras_config_layers(config)))


def read_keras_weights(path):
    """No config: Conv2D layers are conv2d, conv2d_1, ... and transposed ones
    conv2d_transpose, conv2d_transpose_1, ... in the order they were made;
    HDF5 lists them by name, so conv2d_3 (the output) sorts before
    conv2d_transpose. Our models: three Conv2D (the encoder), then the
    decoder's transposed layers if any, then the remaining Conv2D."""
    with h5py.File(path) as file:
        def numbered(prefix):
            names = [name for name in file["layers"] if re.fullmatch(prefix + r"(_\d+)?", name)]
            return sorted(names, key=lambda name: int(name.rsplit("_", 1)[1]) if name != prefix else 0)
        convs, transposed = numbered("conv2d"), numbered("conv2d_transpose")
        order = ([("Conv2D", name) for name in convs[:3]] + [("Conv2DTranspose", name) for name in transposed]
                 + [("Conv2D", name) for name in convs[3:]])
        return from_keras(read_keras3_h5(file, order))


def read_keras_legacy(path):
    with h5py.File(path) as file:
        config = json.loads(file.attrs["model_config"])
        weights = file["model_weights"]
        found = []
        for kind, name in keras_config_layers(config):
            group = weights[name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            kernel, bias = (group[n][()] for n in names)
            assert kernel.ndim == 4 and bias.ndim == 1, (path.name, names)
            found.append((kind, kernel, bias))
        return from_keras(found)


def from_state_dict(state):
    """PyTorch's keys, ordered by their module indices; which decoder from
    the third decoder layer's shape: Conv2d(8, 16) OIHW [16, 8, 3, 3],
    ConvTranspose2d(8, 16) IOHW [8, 16, 3, 3]."""
    def key(name):
        return [int(part) if part.isdigit() else part for part in name.split(".")]
    names = sorted((name for name in state if name.endswith(".weight")), key=key)
    names = sorted(names, key=lambda name: name.split(".")[0] != "encoder")  # encoder first, order kept
    layers = [(np.asarray(state[name], "float64"), np.asarray(state[name[:-len("weight")] + "bias"], "float64"))
              for name in names]
    third = layers[5][0].shape
    decoder = {(16, 8, 3, 3): "upsample", (8, 16, 3, 3): "transposed"}[third]
    return decoder, layers


def read_torch(path):
    import torch  # only to unpickle; weights_only refuses anything but tensors

    return from_state_dict({name: tensor.numpy() for name, tensor in torch.load(path, weights_only=True).items()})


def read_safetensors(path):
    return from_state_dict(safetensors.numpy.load_file(path))


READERS = {
    "keras3-zip": read_keras_zip,
    "keras3-weights-h5": read_keras_weights,
    "keras2-legacy-h5": read_keras_legacy,
    "keras3-legacy-h5": read_keras_legacy,
    "torch-state-dict": read_torch,
    "safetensors": read_safetensors,
}


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPOSITORY / "tests" / "fixtures" / "foreign"
    manifest = json.loads((folder / "manifest.json").read_text())
    images = first_test_digits()
    worst, checked = 0.0, 0
    for entry in manifest["files"]:
        if entry["format"] not in READERS:
            continue
        decoder, layers = READERS[entry["format"]](folder / entry["file"])
        assert decoder == entry["decoder"], (entry["file"], decoder)
        assert sum(w.size + b.size for w, b in layers) == 4385, entry["file"]
        expected = np.fromfile(folder / f"{entry['model']}.recon.f32", "<f4").reshape(16, 28, 28)
        difference = float(np.max(np.abs(reconstruct(decoder, layers, images) - expected)))
        print(f"{entry['file']}: read as {decoder}, max |difference| from {entry['model']}.recon.f32 {difference:.2e}")
        assert difference <= TOLERANCE, entry["file"]
        worst, checked = max(worst, difference), checked + 1
    print(f"{checked} files reproduce their framework's reconstructions, at most {worst:.2e} apart")


if __name__ == "__main__":
    main()
