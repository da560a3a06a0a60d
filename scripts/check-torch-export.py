"""Loads the lab's `.safetensors` exports into a PyTorch model with the lines the README gives, and checks it computes what the lab computes.

For the two decoders the fixtures' PyTorch model has (`scripts/make-foreign-fixtures.py`,
`TorchAutoencoder`: the blog's autoencoder as a PyTorch user writes it, two
nn.Sequential), `checkerlab export` writes the shipped model
(weights/NAME.ckpt) as NAME.safetensors. `LINES` below, the README's, load it
into a fresh TorchAutoencoder by layer order; PyTorch then reconstructs the
first 16 test digits as `checkerlab eval` does for the same weights, to 1e-5
a pixel (the fixtures' tolerance), and both test BCEs over the 10,000 test
digits are printed beside it. Writes a Markdown table, and the lines, to stdout.

    scripts/check-exports.sh torch   (builds the CLI, then runs this in benchmarks/.venv-foreign)
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from lab_eval import lab_reconstructions

REPOSITORY = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5

# What a PyTorch user runs, with their own `model` and our file: our names
# (encoder.conv1.weight, ..., decoder.output.bias) are not theirs, so the
# tensors go in layer by layer, each layer's weight before its bias.
LINES = """\
from safetensors.torch import load_file
ours = load_file(path)  # encoder.conv1.weight, ..., decoder.output.bias
by_layer = lambda name: (name.startswith("decoder"), name.rsplit(".", 1)[0], name.endswith("bias"))
model.load_state_dict(dict(zip(model.state_dict(), [ours[k] for k in sorted(ours, key=by_layer)])))
"""


def fixtures_module():
    """scripts/make-foreign-fixtures.py, for its PyTorch model, reader and loss."""
    spec = importlib.util.spec_from_file_location("fixtures", REPOSITORY / "scripts" / "make-foreign-fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkerlab", required=True, help="the CLI binary")
    args = parser.parse_args()
    fixtures = fixtures_module()
    images = fixtures.read_images("t10k-images-idx3-ubyte.gz")  # [n, 28, 28, 1]
    nchw = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    rows, failures = [], 0
    with tempfile.TemporaryDirectory() as out:
        for name in fixtures.DECODERS:
            weights = REPOSITORY / "weights" / f"{name}.ckpt"
            path = str(Path(out) / f"{name}.safetensors")
            subprocess.run([args.checkerlab, "export", str(weights), "--out", path], check=True, capture_output=True)
            ours_bce, ours = lab_reconstructions(args.checkerlab, weights, out)
            model = fixtures.TorchAutoencoder(name)
            exec(LINES, {"path": path, "model": model})
            with torch.no_grad():
                theirs = model(nchw[: len(ours)]).numpy()[:, 0]
                probabilities = torch.cat([model(batch) for batch in nchw.split(500)]).numpy()
            difference = float(np.max(np.abs(ours - theirs)))
            theirs_bce = float(
                torch.nn.functional.binary_cross_entropy(
                    torch.from_numpy(probabilities).double().clamp(1e-12, 1 - 1e-12), nchw.double()
                )
            )
            ok = difference <= TOLERANCE
            failures += not ok
            shown = f"{difference:.1e}" if ok else f"{difference:.1e} (MISMATCH)"
            rows.append((name, shown, f"{ours_bce:.5f}", f"{theirs_bce:.5f}"))
    print(f"PyTorch {torch.__version__} (CPU) loading `checkerlab export` .safetensors files into the blog's model")
    print()
    print(f"| decoder | largest pixel difference, {len(ours)} test digits | test BCE, the lab | test BCE, PyTorch |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("The lines run, with `model` the PyTorch module and `path` the file:")
    print()
    print("```python")
    print(LINES, end="")
    print("```")
    if failures:
        print(f"\n{failures} decoder(s) differ by more than {TOLERANCE}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
