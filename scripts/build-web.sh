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

log "generating the JS glue in web/pkg"
wasm-bindgen --target web --no-typescript --out-dir web/pkg \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/checkerlab_web.wasm"

wasm=web/pkg/checkerlab_web_bg.wasm
raw_before=$(stat -c %s "$wasm")
log "optimising for size with wasm-opt -Oz"
# The features rustc enables by default for wasm32-unknown-unknown, and SIMD,
# which burn-flex's kernels use where the target allows it.
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v before="$raw_before" -v raw="$raw" -v gz="$gz" 'BEGIN {
  printf "wasm: %.1f MB before wasm-opt, %.1f MB after, %.1f MB gzipped\n", before / 1048576, raw / 1048576, gz / 1048576 }'
