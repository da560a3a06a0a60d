#!/usr/bin/env bash
# Run HERE, before benchmarks/dawn-gpu.sh runs on a GPU machine that cannot
# reach the network: builds the page's two wasm builds and packs into .dawn/
# what that machine lacks to run benchmarks/dawn.mjs: this machine's node
# (gzipped), the npm package `webgpu` for linux-x64 alone (Dawn's
# dawn.node), the built web/pkg, and the Vulkan loader as Debian packages.
# Carry .dawn there (about 45 MiB); .dawn is excluded from git through
# .git/info/exclude.
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"

scripts/build-web.sh
ensure_npm_packages
grep -qx "/.dawn/" .git/info/exclude || echo "/.dawn/" >> .git/info/exclude
rm -rf .dawn
mkdir -p .dawn/webgpu/dist/linux-x64 .dawn/gl /tmp/amd64/partial

log "packing node $(node --version), Dawn and the wasm builds into .dawn/"
gzip -9 -c "$(command -v node)" > .dawn/node.gz
cp node_modules/webgpu/package.json node_modules/webgpu/index.js .dawn/webgpu/
gzip -9 -c node_modules/webgpu/dist/linux-x64/dawn.node > .dawn/webgpu/dist/linux-x64/dawn.node.gz
cp -r web/pkg .dawn/pkg

log "fetching the Vulkan loader (amd64 .deb) into .dawn/gl/"
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${apt_options[@]}" update -qq
(cd .dawn/gl && apt-get "${apt_options[@]}" download libvulkan1)
du -sh .dawn
