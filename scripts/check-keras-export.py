"""Opens the lab's `.keras` exports in Keras itself and checks they compute what the lab computes.

For each decoder with a Keras form, `checkerlab export` writes the shipped
model (weights/NAME.ckpt) as NAME.keras; `keras.models.load_model` opens it
with no custom objects, and Keras' test BCE over the 10,000 MNIST test digits
reconstruct the first 16 test digits as `checkerlab eval` does for the same
weights, to 1e-5 a pixel (the fixtures' tolerance). Both test BCEs over the
10,000 test digits are printed beside it; they differ in the fifth decimal,
since Keras' is computed here from float32 probabilities and the lab's from
logits. Writes a Markdown table to stdout.

    scripts/check-exports.sh keras   (builds the CLI, then runs this in benchmarks/.venv-foreign)
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from lab_eval import lab_reconstructions  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5
# How many test digits `checkerlab eval --reconstructions` writes.
RECONSTRUCTED = 16
# Keras' clip of probabilities, as in scripts/make-foreign-fixtures.py.
EPSILON = 1e-12


def test_digits():
    with gzip.open(REPOSITORY / "data" / "mnist" / "t10k-images-idx3-ubyte.gz") as file:
        data = file.read()
    magic, count, rows, columns = struct.unpack(">IIII", data[:16])
    assert magic == 2051, "not an IDX image file"
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, columns, 1).astype("float32") / 255.0


def bce(probabilities, targets):
    p = np.clip(probabilities.astype("float64"), EPSILON, 1 - EPSILON)
    t = targets.astype("float64")
    return float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkerlab", required=True, help="the CLI binary")
    args = parser.parse_args()
    catalog = json.loads(subprocess.run([args.checkerlab, "catalog"], check=True, capture_output=True, text=True).stdout)
    images = test_digits()
    rows, failures = [], 0
    with tempfile.TemporaryDirectory() as out:
        for decoder in catalog["decoders"]:
            name = decoder["name"]
            weights = REPOSITORY / "weights" / f"{name}.ckpt"
            path = Path(out) / f"{name}.keras"
            exported = subprocess.run(
                [args.checkerlab, "export", str(weights), "--out", str(path)], capture_output=True, text=True
            )
            if exported.returncode != 0:
                said = next(line for line in exported.stderr.splitlines() if "Keras" in line)
                rows.append((name, "refused", "", "", said.strip()))
                continue
            ours_bce, ours = lab_reconstructions(args.checkerlab, weights, out)
            ours = ours[..., np.newaxis]  # NHWC, as Keras predicts
            model = keras.models.load_model(path)
            theirs = model.predict(images[: len(ours)], verbose=0)
            difference = float(np.max(np.abs(ours - theirs)))
            theirs_bce = bce(model.predict(images, batch_size=500, verbose=0), images)
            ok = difference <= TOLERANCE
            failures += not ok
            classes = ", ".join(layer.__class__.__name__ for layer in model.layers[6:])
            rows.append(
                (name, f"{difference:.1e}", f"{ours_bce:.5f}", f"{theirs_bce:.5f}", classes if ok else "MISMATCH")
            )
    print(f"Keras {keras.__version__} ({keras.backend.backend()} backend, CPU) opening `checkerlab export` files")
    print()
    print(
        f"| decoder | largest pixel difference, {RECONSTRUCTED} test digits | test BCE, the lab | test BCE, Keras | Keras layers of the decoder |"
    )
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if failures:
        print(f"\n{failures} decoder(s) differ by more than {TOLERANCE}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
