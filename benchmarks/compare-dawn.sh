#!/usr/bin/env bash
# Two builds of the lab's WebGPU and CPU modules (checkerlab_web and
# checkerlab_cpu, as scripts/build-web.sh writes them to web/pkg), timed in
# turn by the Dawn harness on its null adapter: what issuing each one's
# WebGPU work costs and what it issues, with the CPU build beside it.
# Passes alternate the builds so that a change in the machine's speed
# during the run falls on both. Each pass is
# `node benchmarks/dawn.mjs --adapter null --skip agreement`; the passes go
# to standard output, one section each.
#
#   benchmarks/compare-dawn.sh [--passes 3] LABEL=DIR LABEL=DIR
#
# DIR holds both modules' .js and _bg.wasm, for instance a copy of web/pkg
# made before a change. web/pkg is put back as it was afterwards.
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"
ensure_npm_packages

passes=3
builds=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --passes) passes=$2 && shift 2 ;;
    *=*) builds+=("$1") && shift ;;
    *) log "unknown argument '$1'" && exit 2 ;;
  esac
done
[[ ${#builds[@]} -eq 2 ]] || { log "give two builds, LABEL=DIR LABEL=DIR"; exit 2; }
[[ $passes =~ ^[1-9][0-9]*$ ]] || { log "--passes takes a positive whole number"; exit 2; }
files=(checkerlab_web.js checkerlab_web_bg.wasm checkerlab_cpu.js checkerlab_cpu_bg.wasm)
for build in "${builds[@]}"; do
  label=${build%%=*} dir=${build#*=}
  [[ -n $label ]] || { log "a label is a name before '=' ('$build')"; exit 2; }
  # Each build is copied into web/pkg in turn, so it cannot be web/pkg itself.
  [[ ! -d $dir || $(realpath "$dir") != $(realpath web/pkg) ]] ||
    { log "copy web/pkg elsewhere first: '$dir' is where each build is put"; exit 2; }
  for file in "${files[@]}"; do
    [[ -f $dir/$file ]] || { log "$dir has no $file"; exit 2; }
  done
done

kept=$(mktemp -d)
trap 'cp "$kept"/* web/pkg/ && rm -rf "$kept"' EXIT
for file in "${files[@]}"; do cp "web/pkg/$file" "$kept/"; done

out=$(mktemp)
for pass in $(seq 1 "$passes"); do
  for build in "${builds[@]}"; do
    label=${build%%=*} dir=${build#*=}
    log "pass $pass of $passes: $label"
    for file in "${files[@]}"; do cp "$dir/$file" web/pkg/; done
    node benchmarks/dawn.mjs --adapter null --skip agreement --out "$out" >/dev/null
    echo "## $label, pass $pass"
    echo
    # The harness's title names the adapter, already in this file's; its
    # sections go one level down.
    tail -n +2 "$out" | sed 's/^## /### /'
    echo
  done
done
rm -f "$out"
