#!/usr/bin/env bash
# The page's WebAssembly modules and the npm libraries beside them, as
# built (scripts/build-web.sh), raw and gzipped, as a markdown table: what
# each costs the visitor who fetches it.
# Usage: scripts/module-sizes.sh > benchmarks/results/DATE-module-sizes.md
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# The page's WebAssembly modules and reader libraries"
echo
echo "Written by \`scripts/module-sizes.sh\` from \`web/pkg\` after \`scripts/build-web.sh\`, $(date -u +%Y-%m-%d)."
echo
echo "| module | fetched | size (KiB) | gzipped (KiB) |"
echo "| --- | --- | --- | --- |"
for entry in \
  "checkerlab_cpu_bg.wasm:by every page" \
  "checkerlab_web_bg.wasm:where the page chooses WebGPU" \
  "checkerlab_keras_bg.wasm:only when a Keras file is loaded or saved" \
  "fflate.js:only when a PyTorch .pt is loaded" \
  "pickleparser.js:only when a PyTorch .pt is loaded"; do
  file=web/pkg/${entry%%:*}
  raw=$(stat -c %s "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  echo "| ${entry%%:*} | ${entry#*:} | $((raw / 1024)) | $((gz / 1024)) |"
done
