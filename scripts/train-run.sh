#!/usr/bin/env bash
# Trains one model with a named recipe: one independent, resumable command, the
# unit a sweep hands to a scheduler. Stages already written are skipped, a
# stage's files appear only once it finished, and a stage stopped part way
# goes on from its last epoch (WEIGHTS.progress), ending as if never stopped.
#
# Usage: scripts/train-run.sh RECIPE DECODER SEED OUT_PREFIX
#   shipped  Adam at 0.001 for 12 epochs, then 6 more at 0.0005, batch 64
#            (the shipped weights): OUT_PREFIX.ckpt, OUT_PREFIX.jsonl (stage
#            one, with the untrained model and steps 50 and 200) and
#            OUT_PREFIX-continued.jsonl (stage two).
#   blog     The Keras blog's recipe: Adadelta (learning rate 1.0, rho 0.95,
#            epsilon 1e-7), batch 128, 50 epochs: OUT_PREFIX.ckpt and
#            OUT_PREFIX.jsonl.
# The binary is $CHECKERLAB, by default the release build in the cargo target
# folder.
set -euo pipefail
if [[ $# -ne 4 ]]; then
  echo "usage: $0 shipped|blog DECODER SEED OUT_PREFIX" >&2
  exit 2
fi
recipe=$1 decoder=$2 seed=$3 out=$4
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool=${CHECKERLAB:-${CARGO_TARGET_DIR:-$repo_root/target}/release/checkerlab}
mkdir -p "$(dirname "$out")"
# One process per run: a second start (a scheduler's retry, two sweeps on one
# shared folder) leaves it to the first.
exec 9>"$out.lock"
if ! flock -n 9; then
  echo "$out is being trained by another process" >&2
  exit 0
fi

# stage LOG WEIGHTS ARGS...: runs one `checkerlab train` unless WEIGHTS exists,
# writing to temporary names first.
stage() {
  local log=$1 weights=$2
  shift 2
  if [[ -e $weights ]]; then
    return
  fi
  "$tool" --data "$repo_root/data/mnist" train --decoder "$decoder" \
    --out "$weights.partial" --log "$log.partial" --progress "$weights.progress" "$@"
  mv "$log.partial" "$log"
  mv "$weights.partial" "$weights"
  rm -f "$weights.progress"
}

# Finished earlier: its last log is written (logs are committed, weights are
# not, so a fresh clone has the log alone).
case $recipe in
  shipped) last_log=$out-continued.jsonl ;;
  *) last_log=$out.jsonl ;;
esac
if [[ -e $out.ckpt || -e $last_log ]]; then
  exit 0
fi
case $recipe in
  shipped)
    stage "$out.jsonl" "$out-stage1.ckpt" --optimizer adam --learning-rate 0.001 \
      --batch-size 64 --epochs 12 --seed "$seed"
    stage "$out-continued.jsonl" "$out.ckpt" --optimizer adam --learning-rate 0.0005 \
      --batch-size 64 --epochs 6 --init "$out-stage1.ckpt"
    rm -f "$out-stage1.ckpt"
    ;;
  blog)
    stage "$out.jsonl" "$out.ckpt" --optimizer adadelta --learning-rate 1.0 \
      --batch-size 128 --epochs 50 --seed "$seed"
    ;;
  *)
    echo "$0: unknown recipe '$recipe' (shipped or blog)" >&2
    exit 2
    ;;
esac
