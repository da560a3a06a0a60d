#!/usr/bin/env bash
# Run THERE, on a GPU machine, from the repository root, after
# benchmarks/dawn-prepare.sh ran here; carry .dawn. Unpacks node, Dawn, the
# wasm builds and the Vulkan loader, then runs benchmarks/dawn.mjs on the
# machine's GPU (Dawn's default adapter through Vulkan) and, for what issuing
# the work costs there, on Dawn's null adapter. Writes the tables to ${OUT:-.}.
set -euo pipefail

for package in .dawn/gl/*.deb; do dpkg -x "$package" /; done
ldconfig
if [[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

gunzip -c .dawn/node.gz > /tmp/node
chmod +x /tmp/node
rm -rf node_modules/webgpu web/pkg
mkdir -p node_modules
cp -r .dawn/webgpu node_modules/webgpu
gunzip node_modules/webgpu/dist/linux-x64/dawn.node.gz
cp -r .dawn/pkg web/pkg

out="${OUT:-.}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
/tmp/node benchmarks/dawn.mjs --adapter default --out "$out/dawn-gpu.md" --json "$out/dawn-gpu.json" "$@"
/tmp/node benchmarks/dawn.mjs --adapter null --out "$out/dawn-null.md" --json "$out/dawn-null.json" "$@"
