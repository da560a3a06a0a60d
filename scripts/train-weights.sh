#!/usr/bin/env bash
# Trains the shipped weights with the one recipe every decoder shares: Adam at
# 0.001 for 12 epochs, then 6 more at 0.0005, batch 64, seed 0. Deterministic:
# the same command gives the same files. Takes 15-20 minutes a decoder on two
# cores. Usage: scripts/train-weights.sh [decoder...]   (default: all)
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

cargo build -p checkerlab-cli
tool=target/debug/checkerlab
if [ $# -eq 0 ]; then
  mapfile -t decoders < <("$tool" catalog --names)
  set -- "${decoders[@]}"
fi
mkdir -p runs
for decoder in "$@"; do
  "$tool" train --decoder "$decoder" --optimizer adam --learning-rate 0.001 \
    --batch-size 64 --epochs 12 --seed 0 \
    --out "runs/$decoder-stage1.ckpt" --log "weights/$decoder.jsonl"
  "$tool" train --decoder "$decoder" --optimizer adam --learning-rate 0.0005 \
    --batch-size 64 --epochs 6 --init "runs/$decoder-stage1.ckpt" \
    --out "weights/$decoder.ckpt" --log "weights/$decoder-continued.jsonl"
done
