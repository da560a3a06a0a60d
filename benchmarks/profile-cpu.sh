#!/usr/bin/env bash
# Where the CPU (wasm) training step spends its time, per function: builds
# the CPU module as shipped (profile wasm-release-cpu, SIMD) but keeping its
# function names, puts it in web/pkg for the run (put back afterwards), and
# profiles the lab's worker training each original decoder
# (benchmarks/profile-cpu.mjs). Markdown to standard output.
#
#   benchmarks/profile-cpu.sh [--steps 30] [--top 25]
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"
ensure_wasm_toolchain
ensure_chromium
ensure_npm_packages

log "building checkerlab_cpu with its names"
cargo build -p checkerlab-web --target wasm32-unknown-unknown --profile wasm-release-cpu \
  --no-default-features --features simd
built="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release-cpu/checkerlab_web.wasm"
work="$(mktemp -d)"
cp -r web/pkg "$work/pkg"
trap 'rm -rf web/pkg; cp -r "$work/pkg" web/pkg; rm -rf "$work"' EXIT
wasm-bindgen --target web --no-typescript --out-name checkerlab_cpu --out-dir "$work/named" "$built"
# As scripts/build-web.sh optimises it, but -g keeps the name section.
node_modules/.bin/wasm-opt -O3 -g --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  "$work/named/checkerlab_cpu_bg.wasm" -o "$work/named/checkerlab_cpu_bg.wasm"
cp "$work/named"/checkerlab_cpu.js "$work/named"/checkerlab_cpu_bg.wasm web/pkg/

printf "# Where the CPU (wasm) training step spends its time, %s\n\n" "$(date -u +%F)"
printf '%s\n\n' "\`benchmarks/profile-cpu.sh $*\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)): Chromium's sampling profiler (every 250 µs) on the lab's worker while the benchmark harness trains one decoder with \`train(1)\` calls; the shipped CPU build but for its function names. Sampling slows the steps; the shares are what to read. Self time is a function's own; total time includes what it calls (each function counted once per stack)."
for decoder in upsample transposed; do
  node --experimental-websocket benchmarks/profile-cpu.mjs --decoder "$decoder" "$@"
done
