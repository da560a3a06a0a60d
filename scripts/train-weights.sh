#!/usr/bin/env bash
# Trains the shipped weights with the one recipe every decoder shares (the
# "shipped" recipe of scripts/train-run.sh: Adam at 0.001 for 12 epochs, then
# 6 more at 0.0005, batch 64), seed 0. Deterministic: the same command gives
# the same files. Takes about 25 minutes a decoder on one core.
# Usage: scripts/train-weights.sh [decoder...]   (default: all)
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

cargo build --release -p checkerlab-cli
export CHECKERLAB="${CARGO_TARGET_DIR:-$repo_root/target}/release/checkerlab"
if [ $# -eq 0 ]; then
  mapfile -t decoders < <("$CHECKERLAB" catalog --names)
  set -- "${decoders[@]}"
fi
for decoder in "$@"; do
  # train-run.sh skips finished runs; here the point is to train again.
  rm -f "weights/$decoder.ckpt" "weights/$decoder-stage1.ckpt"
  scripts/train-run.sh shipped "$decoder" 0 "weights/$decoder"
done
