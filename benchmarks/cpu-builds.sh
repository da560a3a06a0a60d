#!/usr/bin/env bash
# Variants of the CPU build (profile wasm-release-cpu), measured: builds
# checkerlab_cpu (what the CPU backend runs) once per variant, then times
# each in the browser benchmark on the CPU backend, and times the page's
# start with it (benchmarks/start.mjs), and prints size against speed. About
# 6 minutes a variant on two cores to build, 2 to time.
#
#   benchmarks/cpu-builds.sh [--build-only|--bench-only] [variants...]    (default: z s 3)
#
# A variant is an opt-level ("z", "s", 3; each with the matching wasm-opt
# level), with SIMD kernels as shipped, or the level followed by "-scalar"
# (3-scalar): without the crate's `simd` feature, so Burn flex and gemm run
# their scalar kernels, though the build still targets simd128.
#
# --build-only builds and stops (the builds can share the machine; the timing
# should not); --bench-only times the builds made by an earlier run. The tables go to
# standard output, one after another; collect them with `> FILE`.
#
# Each variant builds in its own target directory beside the regular one, so
# that build stays cached; web/pkg is put back as it was afterwards.
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"
ensure_wasm_toolchain
ensure_npm_packages

bench_only=false build_only=false
case "${1:-}" in
  --bench-only) bench_only=true && shift ;;
  --build-only) build_only=true && shift ;;
esac
variants=("$@")
[[ $# -gt 0 ]] || variants=(z s 3)
target_root="${CARGO_TARGET_DIR:-$repo_root/target}"
work="$target_root/cpu-builds"
mkdir -p "$work"
saved="$(mktemp -d)"
cp -r web/pkg "$saved/pkg"
trap 'rm -rf web/pkg; cp -r "$saved/pkg" web/pkg; rm -rf "$saved"' EXIT

for variant in "${variants[@]}"; do
  $bench_only && break
  level=${variant%-scalar}
  features=(--features simd)
  [[ $variant == *-scalar ]] && features=()
  [[ $level =~ ^(z|s|3)$ && ($variant == "$level" || $variant == "$level-scalar") ]] ||
    { log "unknown variant '$variant' (an opt-level z, s or 3, optionally with -scalar)"; exit 2; }
  log "variant $variant: opt-level $level${features[*]:+, ${features[*]}}"
  CARGO_TARGET_DIR="$target_root-opt-$level" CARGO_PROFILE_WASM_RELEASE_CPU_OPT_LEVEL="$level" \
    cargo build -p checkerlab-web --target wasm32-unknown-unknown --profile wasm-release-cpu \
    --no-default-features "${features[@]}"
  out="$work/pkg-$variant"
  rm -rf "$out" && mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-name checkerlab_cpu --out-dir "$out" \
    "$target_root-opt-$level/wasm32-unknown-unknown/wasm-release-cpu/checkerlab_web.wasm"
  node_modules/.bin/wasm-opt "-O$level" --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    "$out/checkerlab_cpu_bg.wasm" -o "$out/checkerlab_cpu_bg.wasm"
done

$build_only && exit 0
printf "# Variants of the CPU build: size against speed, %s\n\n" "$(date -u +%F)"
printf '%s\n' "\`benchmarks/cpu-builds.sh ${variants[*]}\`: each opt-level built with the matching \`wasm-opt\` level, with the SIMD kernels (\`-scalar\`: without the crate's \`simd\` feature), then timed on the CPU backend (Burn flex in wasm, in the lab's worker) by \`benchmarks/browser.mjs --systems checkerlab --backends cpu --steps 20 --updates 200\`, and the page's start with it by \`benchmarks/start.mjs --loads 9 --query '?backend=cpu'\`. The runs in full follow the summary."
echo
runs=()
details="$work/details.md"
: >"$details"
for variant in "${variants[@]}"; do
  # The variant's CPU build in place of the regular one; the WebGPU build stays.
  cp "$work/pkg-$variant"/checkerlab_cpu* web/pkg/
  wasm=web/pkg/checkerlab_cpu_bg.wasm
  printf '\n## %s: wasm %s bytes, %s gzipped\n\n' "$variant" "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" >>"$details"
  medians="$work/run-${#runs[@]}-$variant.json"
  node benchmarks/browser.mjs --systems checkerlab --backends cpu --steps 20 --updates 200 --json "$medians" >>"$details"
  # The size's cost: how soon a page on the CPU shows its first reconstruction.
  node benchmarks/start.mjs --loads 9 --query '?backend=cpu' --json "$medians.start" >/dev/null
  runs+=("$variant:$(stat -c %s "$wasm"):$(gzip -9 -c "$wasm" | wc -c):$medians")
done

# One row per variant and pass, from the runs' JSON: no figure copied by hand.
printf '\n## Summary\n\nMedians, one row per variant and pass, in the order run.\n\n'
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log("| variant | wasm | gzipped | training step, upsample | transposed | update (both decoders) | navigation to first reconstruction |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const arg of process.argv.slice(1)) {
    const [variant, raw, gz, file] = arg.split(":");
    const [run] = JSON.parse(readFileSync(file, "utf8")).runs;
    const { firstMs } = JSON.parse(readFileSync(`${file}.start`, "utf8"));
    const ms = (x) => (x === undefined ? "-" : `${x.toFixed(x < 20 ? 1 : 0)} ms`);
    console.log(`| ${variant} | ${mib(raw)} | ${mib(gz)} | ${ms(run.stepMs.upsample)} | ${ms(run.stepMs.transposed)} | ${ms(run.updateMs)} | ${ms(firstMs)} |`);
  }' "${runs[@]}"
printf '\n## The runs\n'
cat "$details"
