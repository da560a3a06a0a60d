#!/usr/bin/env bash
# Run THERE, on a GPU machine, from the repository root, after
# benchmarks/gpu-prepare.sh ran here; carry .gpu, .gl and .whl. Prints the
# native table for Burn's wgpu backend (Vulkan) against Keras on JAX on
# CUDA, and writes it to ${OUT:-.}/gpu.md.
set -euo pipefail

# Vulkan's loader, for wgpu to find the NVIDIA driver.
for package in .gl/*.deb; do dpkg -x "$package" /; done
ldconfig
if [[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 KERAS_BACKEND=jax

gunzip -c .gpu/checkerlab.gz > /tmp/checkerlab
chmod +x /tmp/checkerlab

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
exec python3 benchmarks/native_reference.py \
  --checkerlab /tmp/checkerlab --checkerlab-device gpu \
  --target 0.11 --max-epochs 10 --out "${OUT:-.}/gpu.md" "$@"
