#!/usr/bin/env bash
# Runs a cargo-fuzz target for a while, its corpus seeded from real files.
# Needs rustup's nightly toolchain and cargo-fuzz (installed here if absent).
# Usage: scripts/fuzz.sh weights|idx [seconds]   (default 600)
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"

target=${1:?usage: scripts/fuzz.sh weights|idx [seconds]}
seconds=${2:-600}
cargo_fuzz_version=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
  log "installing cargo-fuzz $cargo_fuzz_version"
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
fi
corpus=fuzz/corpus/$target
mkdir -p "$corpus"
case $target in
  weights) cp weights/*.ckpt "$corpus/" ;;
  # The idx target reads the images file's length (u32 LE), the images
  # file, then the labels file. Whole MNIST files make a slow corpus: the
  # first three digits of each split, with their counts set to 3.
  idx)
    for split in train t10k; do
      python3 - "$split" "$corpus/$split-3-digits" <<'PY'
import gzip, sys
split, out = sys.argv[1], sys.argv[2]
def first(kind, header, item):
    with gzip.open(f"data/mnist/{split}-{kind}.gz") as f:
        data = bytearray(f.read(header + 3 * item))
    data[4:8] = (3).to_bytes(4, "big")
    return bytes(data)
images = first("images-idx3-ubyte", 16, 784)
labels = first("labels-idx1-ubyte", 8, 1)
open(out, "wb").write(len(images).to_bytes(4, "little") + images + labels)
PY
    done
    ;;
  *) echo "unknown target '$target' (weights or idx)" >&2; exit 2 ;;
esac
cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=512
