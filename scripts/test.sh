#!/usr/bin/env bash
# The README's "run the tests", and what CI runs: native Rust tests, then the
# wasm build, then unit and end-to-end browser tests in headless Chromium.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

ensure_chromium
ensure_npm_packages

log "formatting"
cargo fmt --all --check

log "native tests (Burn's CPU backend)"
cargo test --workspace --exclude checkerlab-web

scripts/build-web.sh

log "JavaScript unit tests and browser end-to-end tests"
npm test
