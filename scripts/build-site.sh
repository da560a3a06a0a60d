#!/usr/bin/env bash
# Writes the page as one self-contained folder that any static host can serve
# as it is: index.html, web/ (with the wasm), the shipped weights and the
# MNIST files the page loads, plus gzip and brotli copies of the large text
# and wasm files for hosts that serve precompressed files. The MNIST files are
# gzip already: the page decompresses them itself, so they travel as bytes.
# Usage: scripts/build-site.sh [folder]   (default: site/)
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

out=${1:-site}
scripts/build-web.sh
log "writing the static site to $out/"
rm -rf "$out"
mkdir -p "$out/web/pkg" "$out/weights" "$out/data/mnist"
cp index.html "$out/"
cp web/*.js web/*.css web/*.json "$out/web/"
cp web/pkg/*.js web/pkg/*.wasm "$out/web/pkg/"
# A command substitution, not `< <(...)`: under `set -e` its failure stops
# the build instead of leaving a site without weights.
names=$(node --input-type=module -e "
  import { labCatalog } from './tests/lab-catalog.mjs';
  for (const { name } of (await labCatalog()).decoders) console.log(name);")
mapfile -t decoders <<<"$names"
for decoder in "${decoders[@]}"; do cp "weights/$decoder.ckpt" "$out/weights/"; done
cp data/mnist/*.gz "$out/data/mnist/"

# Precompressed copies of everything over 16 kB that is not compressed already.
node --input-type=module - "$out" <<'JS'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? walk(file) : [file];
  });
for (const file of walk(process.argv[2]).filter((f) => /\.(wasm|js|html|css)$/.test(f))) {
  const bytes = readFileSync(file);
  if (bytes.length < 16_384) continue;
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}
JS
du -sh "$out"
find "$out" -type f | sort | sed "s|^$out/|  |"
