#!/usr/bin/env bash
# The README's "run the tests", and what CI runs: native Rust tests, then the
# wasm build and the static site, then unit and end-to-end browser tests in
# headless Chromium.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

ensure_chromium
ensure_lavapipe
ensure_npm_packages

log "formatting and lints"
cargo fmt --all --check
node_modules/.bin/biome ci
python3 scripts/update-includes.py --check
python3 scripts/decoder-table.py --check
python3 scripts/sweep.py summary --check
cargo clippy --workspace --exclude checkerlab-web --all-targets -- -D warnings
# The browser's crate natively too, without WebGPU (its wasm build is
# linted below, after the site is built).
cargo clippy -p checkerlab-web --no-default-features --all-targets -- -D warnings

log "native tests (Burn's CPU backend)"
cargo test --workspace --exclude checkerlab-web

# Burn's wgpu backend with autotune and fusion, as `--features gpu` builds
# the CLI, against the CPU, on lavapipe (Vulkan on the CPU).
log "native GPU path against the CPU (Burn wgpu on lavapipe)"
XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" cargo test -p checkerlab-cli --features gpu --test gpu

# The wasm build, and the static site the browser tests also run against.
scripts/build-site.sh >/dev/null
cargo clippy -p checkerlab-web --target wasm32-unknown-unknown -- -D warnings

log "JavaScript unit tests and browser end-to-end tests"
npm test
