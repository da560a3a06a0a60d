#!/usr/bin/env bash
# The page's WebAssembly modules as built (scripts/build-web.sh), raw and
# gzipped, as a markdown table: what each costs the visitor who fetches it.
# Usage: scripts/module-sizes.sh > benchmarks/results/DATE-module-sizes.md
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# The page's WebAssembly modules"
echo
echo "Written by \`scripts/module-sizes.sh\` from \`web/pkg\` after \`scripts/build-web.sh\`, $(date -u +%Y-%m-%d)."
echo
echo "| module | fetched | wasm (KiB) | gzipped (KiB) |"
echo "| --- | --- | --- | --- |"
for entry in \
  "checkerlab_cpu:by every page" \
  "checkerlab_web:where the page chooses WebGPU" \
  "checkerlab_keras:only when a Keras file is loaded or saved"; do
  name=${entry%%:*}
  wasm="web/pkg/${name}_bg.wasm"
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  echo "| $name | ${entry#*:} | $((raw / 1024)) | $((gz / 1024)) |"
done
