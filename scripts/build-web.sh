#!/usr/bin/env bash
# Builds the page's WebAssembly: the Rust crate, its JS glue (web/pkg) and a
# size-optimised .wasm. Prints the sizes.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

ensure_wasm_toolchain
ensure_npm_packages

log "building crates/web for wasm32 (profile wasm-release${WEB_FEATURES:+, features $WEB_FEATURES})"
cargo build -p checkerlab-web --target wasm32-unknown-unknown --profile wasm-release \
  ${WEB_FEATURES:+--features "$WEB_FEATURES"}

artifact="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/checkerlab_web.wasm"
wasm=web/pkg/checkerlab_web_bg.wasm
# wasm-opt takes minutes: skip the glue and the optimisation when the
# output is already newer than what cargo built.
if [[ -f "$wasm" && -f web/pkg/checkerlab_web.js && "$wasm" -nt "$artifact" ]]; then
  log "web/pkg is up to date"
else
  # Built aside and moved in last, so an interrupted build never looks done.
  staging="$(mktemp -d)"
  trap 'rm -rf "$staging"' EXIT
  log "generating the JS glue"
  wasm-bindgen --target web --no-typescript --out-dir "$staging" "$artifact"
  log "optimising for size with wasm-opt -Oz ($(stat -c %s "$staging/checkerlab_web_bg.wasm") bytes before)"
  # The features rustc enables by default for wasm32-unknown-unknown, and SIMD,
  # which burn-flex's kernels use where the target allows it.
  node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    "$staging/checkerlab_web_bg.wasm" -o "$staging/optimised.wasm"
  mkdir -p web/pkg
  mv "$staging/checkerlab_web.js" web/pkg/checkerlab_web.js
  mv "$staging/optimised.wasm" "$wasm"
fi
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v raw="$raw" -v gz="$gz" 'BEGIN {
  printf "wasm: %.1f MB, %.1f MB gzipped\n", raw / 1048576, gz / 1048576 }'
