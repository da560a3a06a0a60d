#!/usr/bin/env bash
# Opens the lab's .keras exports of the shipped models in Keras itself and
# checks Keras' test BCE against the lab's (scripts/check-keras-export.py),
# writing the table to benchmarks/results/DATE-keras-export.md. Needs the
# fixture environment benchmarks/.venv-foreign (scripts/make-foreign-fixtures.sh
# installs it). Not part of the tests: they check the same files through our
# own reader, without Keras.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=benchmarks/.venv-foreign
[[ -x "$venv/bin/python" ]] || { echo "no $venv: run scripts/make-foreign-fixtures.sh once" >&2; exit 1; }
cargo build --quiet --release -p checkerlab-cli
target="${CARGO_TARGET_DIR:-target}"
out="benchmarks/results/$(date -u +%F)-keras-export.md"
"$venv/bin/python" scripts/check-keras-export.py --checkerlab "$target/release/checkerlab" > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
