#!/usr/bin/env bash
# Remakes tests/fixtures/foreign/: our upsample and transposed autoencoders
# built, trained and saved by Keras 3 (TensorFlow, CPU), tf_keras and
# PyTorch (CPU) themselves (scripts/make-foreign-fixtures.py says what and
# how). Installs scripts/foreign-fixtures-requirements.txt into the ignored
# benchmarks/.venv-foreign first (about 5.6 GB: TensorFlow, and PyPI's torch
# with the CUDA libraries it cannot be imported without), once.
# Not part of the tests: they read the committed fixtures, without Keras or
# PyTorch. About 4 minutes on two cores.
# Usage: scripts/make-foreign-fixtures.sh [--steps N] [--out DIR]
# Checking the committed files alone: benchmarks/.venv-foreign/bin/python scripts/check-foreign-fixtures.py
set -euo pipefail
cd "$(dirname "$0")/.."

venv=benchmarks/.venv-foreign
requirements=scripts/foreign-fixtures-requirements.txt
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
  printf '==> installing %s into %s\n' "$requirements" "$venv" >&2
  "$python" -m venv "$venv"
  # --no-deps: the file is the whole, pinned environment (see its header).
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  echo "$want" > "$venv/.requirements.sha256"
fi
"$venv/bin/python" scripts/make-foreign-fixtures.py "$@"
# Then every file read back without Keras, by its raw format, into a numpy
# forward pass: what our loader must do (scripts/check-foreign-fixtures.py).
out=tests/fixtures/foreign
for ((i = 1; i <= $#; i++)); do [[ "${!i}" == --out ]] && { j=$((i + 1)); out="${!j}"; }; done
exec "$venv/bin/python" scripts/check-foreign-fixtures.py "$out"
