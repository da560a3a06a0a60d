#!/usr/bin/env bash
# The native benchmark: Checkerlab's trainer against the same model in Keras
# (TensorFlow, CPU), on this machine. Not part of the tests.
# Usage: scripts/bench-native.sh [--target 0.11] [--steps 30] [--out FILE]
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

cargo build --release -p checkerlab-cli
if [[ ! -x benchmarks/.venv/bin/python ]] || ! benchmarks/.venv/bin/python -c 'import tensorflow' 2>/dev/null; then
  log "installing the Keras reference into benchmarks/.venv (benchmarks/requirements.txt)"
  python3 -m venv benchmarks/.venv
  benchmarks/.venv/bin/pip install --quiet -r benchmarks/requirements.txt
fi
exec benchmarks/.venv/bin/python benchmarks/native_reference.py "$@"
