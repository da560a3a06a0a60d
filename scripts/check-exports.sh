#!/usr/bin/env bash
# Opens the lab's exports of the shipped models in the frameworks themselves:
# .keras files in Keras (scripts/check-keras-export.py) and .safetensors files
# in PyTorch, loaded with the README's lines (scripts/check-torch-export.py),
# each checked against the lab's reconstructions and test BCE, and writes
# each table to benchmarks/results/DATE-{keras,torch}-export.md. Needs the
# fixture environment benchmarks/.venv-foreign (scripts/make-foreign-fixtures.sh
# installs it). Not part of the tests: they check the same files through our
# own reader, without the frameworks.
# Usage: scripts/check-exports.sh [keras] [torch]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=benchmarks/.venv-foreign
[[ -x "$venv/bin/python" ]] || { echo "no $venv: run scripts/make-foreign-fixtures.sh once" >&2; exit 1; }
cargo build --quiet --release -p checkerlab-cli
target="${CARGO_TARGET_DIR:-target}"
frameworks=("$@")
[[ ${#frameworks[@]} -gt 0 ]] || frameworks=(keras torch)
for framework in "${frameworks[@]}"; do
  out="benchmarks/results/$(date -u +%F)-$framework-export.md"
  "$venv/bin/python" "scripts/check-$framework-export.py" --checkerlab "$target/release/checkerlab" > "$out.tmp"
  mv "$out.tmp" "$out"
  cat "$out"
done
