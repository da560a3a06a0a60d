#!/usr/bin/env bash
# Builds the page's three WebAssembly modules, each with its JS glue in
# web/pkg, optimised, and prints their sizes:
#   checkerlab_cpu   the CPU backend alone, for speed (what most visitors
#                    run: a fifth of the size of the next, so the first
#                    reconstruction comes sooner)
#   checkerlab_web   the CPU and WebGPU backends (fetched only where the
#                    page chooses WebGPU)
#   checkerlab_keras the CPU build with Keras' file readers (fetched only
#                    when a Keras file is loaded)
# and copies beside them the npm libraries web/torch-reader.js reads
# PyTorch's .pt with (fflate, pickleparser).
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

ensure_wasm_toolchain
ensure_npm_packages

# build_module NAME PROFILE WASM_OPT_LEVEL CARGO_ARGS...: cargo, then (unless
# web/pkg already holds what cargo built) the glue and wasm-opt.
build_module() {
  local name=$1 profile=$2 level=$3
  shift 3
  log "building $name for wasm32 (profile $profile${*:+, $*}${WEB_FEATURES:+, features $WEB_FEATURES})"
  cargo build -p checkerlab-web --target wasm32-unknown-unknown --profile "$profile" "$@" \
    ${WEB_FEATURES:+--features "$WEB_FEATURES"}
  local built="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile/checkerlab_web.wasm"
  local wasm="web/pkg/${name}_bg.wasm"
  # wasm-opt takes minutes: skip the glue and the optimisation when the
  # output is already newer than what cargo built.
  if [[ -f "$wasm" && -f "web/pkg/$name.js" && "$wasm" -nt "$built" ]]; then
    log "web/pkg/$name is up to date"
    return
  fi
  # Built aside and moved in last, so an interrupted build never looks done.
  local staging
  staging="$(mktemp -d)"
  log "generating the JS glue"
  wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$staging" "$built"
  log "optimising with wasm-opt -O$level ($(stat -c %s "$staging/${name}_bg.wasm") bytes before)"
  # The features rustc enables by default for wasm32-unknown-unknown, and SIMD,
  # which burn-flex's kernels use where the target allows it.
  node_modules/.bin/wasm-opt "-O$level" --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    "$staging/${name}_bg.wasm" -o "$staging/optimised.wasm"
  mkdir -p web/pkg
  mv "$staging/$name.js" "web/pkg/$name.js"
  mv "$staging/optimised.wasm" "$wasm"
  rm -rf "$staging"
}

# Each with the wasm-opt level matching its profile's opt-level (Cargo.toml),
# and both with Burn flex's and gemm's SIMD kernels (crates/web's `simd`).
build_module checkerlab_cpu wasm-release-cpu 3 --no-default-features --features simd
build_module checkerlab_web wasm-release 3 --features simd
# The Keras reader: the CPU build with the HDF5 and zip readers, fetched only
# when a Keras file arrives (web/lab-worker.js).
build_module checkerlab_keras wasm-release-cpu 3 --no-default-features --features simd,keras
# The PyTorch reader's libraries (web/torch-reader.js), as npm installed them.
cp node_modules/fflate/esm/browser.js web/pkg/fflate.js
cp node_modules/pickleparser/dist/index.js web/pkg/pickleparser.js
for name in checkerlab_cpu checkerlab_web checkerlab_keras; do
  wasm="web/pkg/${name}_bg.wasm"
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  awk -v name="$name" -v raw="$raw" -v gz="$gz" 'BEGIN {
    printf "%s wasm: %.1f MB, %.1f MB gzipped\n", name, raw / 1048576, gz / 1048576 }'
done
