#!/usr/bin/env bash
# Run HERE, before benchmarks/gpu.sh runs on a GPU machine that cannot reach
# the network: builds the GPU checkerlab (stripped and gzipped into .gpu/, as
# the 100 MB binary is over what travels), and fetches what that machine
# lacks (Vulkan loaders as Debian packages in .gl/, Keras as wheels in .whl/).
# The three folders are excluded from git through .git/info/exclude.
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"

log "building checkerlab with Burn's wgpu backend (target/gpu; long the first time)"
CARGO_TARGET_DIR=target/gpu cargo build --release -p checkerlab-cli --features gpu
mkdir -p .gpu
strip -o .gpu/checkerlab target/gpu/release/checkerlab
gzip -9 -f .gpu/checkerlab

for folder in .gl .whl .gpu; do
  grep -qx "/$folder/" .git/info/exclude || echo "/$folder/" >> .git/info/exclude
done

log "fetching the Vulkan and EGL loaders (amd64 .deb files) into .gl/"
mkdir -p .gl /tmp/amd64/partial
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${apt_options[@]}" update -qq
(cd .gl && apt-get "${apt_options[@]}" download libvulkan1 libegl1 libglvnd0)

log "fetching Keras and the two packages the GPU image lacks, as Python 3.12 wheels, into .whl/"
mkdir -p .whl
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .whl keras==3.15.1 namex==0.1.0 optree==0.18.0
ls -l .gpu .gl .whl
