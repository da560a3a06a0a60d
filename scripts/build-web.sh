#!/usr/bin/env bash
# Builds the page's two WebAssembly modules, each with its JS glue in
# web/pkg, size-optimised, and prints their sizes:
#   checkerlab_cpu   the CPU backend alone (what most visitors need: 1/5 of
#                    the size, so the first reconstruction comes sooner)
#   checkerlab_web   the CPU and WebGPU backends (fetched only where the page
#                    chooses WebGPU)
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

ensure_wasm_toolchain
ensure_npm_packages

artifact="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/checkerlab_web.wasm"

# build_module NAME CARGO_FEATURE_ARGS...: cargo, then (unless web/pkg already
# holds what cargo built) the glue and wasm-opt.
build_module() {
  local name=$1
  shift
  log "building $name for wasm32 (profile wasm-release, $*${WEB_FEATURES:+, features $WEB_FEATURES})"
  cargo build -p checkerlab-web --target wasm32-unknown-unknown --profile wasm-release "$@" \
    ${WEB_FEATURES:+--features "$WEB_FEATURES"}
  # Both builds leave their module at the same path: keep a copy per name,
  # so the next run can tell whether this one changed.
  local built="${artifact%.wasm}.$name.wasm"
  if ! cmp -s "$artifact" "$built"; then
    cp "$artifact" "$built"
  fi
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
  log "optimising for size with wasm-opt -Oz ($(stat -c %s "$staging/${name}_bg.wasm") bytes before)"
  # The features rustc enables by default for wasm32-unknown-unknown, and SIMD,
  # which burn-flex's kernels use where the target allows it.
  node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    "$staging/${name}_bg.wasm" -o "$staging/optimised.wasm"
  mkdir -p web/pkg
  mv "$staging/$name.js" "web/pkg/$name.js"
  mv "$staging/optimised.wasm" "$wasm"
  rm -rf "$staging"
}

build_module checkerlab_cpu --no-default-features
build_module checkerlab_web
for name in checkerlab_cpu checkerlab_web; do
  wasm="web/pkg/${name}_bg.wasm"
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  awk -v name="$name" -v raw="$raw" -v gz="$gz" 'BEGIN {
    printf "%s wasm: %.1f MB, %.1f MB gzipped\n", name, raw / 1048576, gz / 1048576 }'
done
