#!/usr/bin/env bash
# The browser benchmark: Checkerlab against TensorFlow.js in headless
# Chromium. Not part of the tests: it takes minutes and prints figures.
# Usage: scripts/bench.sh [--batch 128] [--steps 5] [--out FILE]
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

scripts/build-web.sh
ensure_chromium
if [[ ! -d benchmarks/node_modules/@tensorflow/tfjs ]]; then
  log "installing TensorFlow.js for the comparison (benchmarks/package-lock.json)"
  npm ci --prefix benchmarks --no-audit --no-fund
fi
exec node benchmarks/browser.mjs "$@"
