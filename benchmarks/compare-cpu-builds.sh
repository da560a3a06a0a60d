#!/usr/bin/env bash
# Two CPU builds of the lab (checkerlab_cpu, as scripts/build-web.sh writes
# it to web/pkg), timed in turn in the browser: passes alternate the builds so
# that a change in the machine's speed during the run falls on both. Each pass
# is `benchmarks/browser.mjs --systems checkerlab --backends cpu`; the table
# goes to standard output.
#
#   benchmarks/compare-cpu-builds.sh [--passes 3] [--steps 20] [--updates 200] LABEL=DIR[@1][@rounds=N] LABEL=DIR[...]
#
# DIR holds checkerlab_cpu.js and checkerlab_cpu_bg.wasm, for instance a copy
# of web/pkg made before a change. web/pkg is put back as it was afterwards.
# `@1` times that build training in one worker (`--training-workers 1`),
# `@rounds=N` with N rounds of the second worker's warm-up
# (`--warm-up-rounds N`): the same DIR twice, once with one, compares them.
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"
ensure_chromium
ensure_npm_packages

passes=3 steps=20 updates=200
builds=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --passes) passes=$2 && shift 2 ;;
    --steps) steps=$2 && shift 2 ;;
    --updates) updates=$2 && shift 2 ;;
    *=*) builds+=("$1") && shift ;;
    *) log "unknown argument '$1'" && exit 2 ;;
  esac
done
[[ ${#builds[@]} -eq 2 ]] || { log "give two builds, LABEL=DIR LABEL=DIR"; exit 2; }
[[ $passes =~ ^[1-9][0-9]*$ ]] || { log "--passes takes a positive whole number"; exit 2; }
# The browser.mjs options a build's `@` suffixes ask for, in `flags`.
flags_for() {
  flags=()
  local suffixes=${1#*@}
  [[ $1 == *@* ]] || return 0
  local IFS=@
  for suffix in $suffixes; do
    case "$suffix" in
      1) flags+=(--training-workers 1) ;;
      rounds=[0-9] | rounds=[0-9][0-9]) flags+=(--warm-up-rounds "${suffix#rounds=}") ;;
      *) log "unknown build suffix '@$suffix' (give @1 or @rounds=N)" && exit 2 ;;
    esac
  done
}

for build in "${builds[@]}"; do
  label=${build%%=*} dir=${build#*=}
  flags_for "$dir"
  dir=${dir%%@*}
  [[ -n $label && $label != *:* ]] || { log "a label is a name without ':' ('$label')"; exit 2; }
  # Each build is copied into web/pkg in turn, so it cannot be web/pkg itself.
  [[ ! -d $dir || $(realpath "$dir") != $(realpath web/pkg) ]] ||
    { log "copy web/pkg elsewhere first: '$dir' is where each build is put"; exit 2; }
  for file in checkerlab_cpu.js checkerlab_cpu_bg.wasm; do
    [[ -f $dir/$file ]] || { log "$dir has no $file"; exit 2; }
  done
done

work="$(mktemp -d)"
cp -r web/pkg "$work/pkg"
trap 'rm -rf web/pkg; cp -r "$work/pkg" web/pkg; rm -rf "$work"' EXIT

runs=()
for pass in $(seq 1 "$passes"); do
  for build in "${builds[@]}"; do
    label=${build%%=*} dir=${build#*=}
    flags_for "$dir"
    dir=${dir%%@*}
    log "pass $pass of $passes: $label ($dir${flags[*]:+, ${flags[*]}})"
    cp "$dir"/checkerlab_cpu.js "$dir"/checkerlab_cpu_bg.wasm web/pkg/
    json="$work/$pass-${#runs[@]}.json"
    node benchmarks/browser.mjs --systems checkerlab --backends cpu --steps "$steps" --updates "$updates" \
      "${flags[@]}" --json "$json" >/dev/null
    runs+=("$label:$pass:$json")
  done
done

printf "# Two CPU builds, alternating, %s\n\n" "$(date -u +%F)"
printf '%s\n\n' "\`benchmarks/compare-cpu-builds.sh --passes $passes --steps $steps --updates $updates ${builds[*]}\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)): each pass times each build by \`benchmarks/browser.mjs --systems checkerlab --backends cpu --steps $steps --updates $updates\` (the lab's worker, Burn flex in wasm; batch 128, Adam)."
# One row per build and pass, from the runs' JSON: no figure copied by hand.
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  console.log("| build | pass | training workers | warm-up rounds | training step, upsample (ms, median, range) | transposed | first three steps, upsample (ms) | transposed | update, both decoders (ms, median) | every decoder |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const arg of process.argv.slice(1)) {
    const [label, pass, file] = arg.split(":");
    const [run] = JSON.parse(readFileSync(file, "utf8")).runs;
    const step = (decoder) => {
      const [low, high] = run.stepRangeMs[decoder];
      return `${run.stepMs[decoder].toFixed(0)} (${low.toFixed(0)}-${high.toFixed(0)})`;
    };
    const first = (decoder) => run.stepSeriesMs[decoder].slice(0, 3).map((ms) => ms.toFixed(0)).join(", ");
    console.log(`| ${label} | ${pass} | ${run.trainingWorkers} | ${run.warmUpRounds} | ${step("upsample")} | ${step("transposed")} | ${first("upsample")} | ${first("transposed")} | ${run.updateMs.toFixed(1)} | ${run.updateEveryMs?.toFixed(1) ?? "-"} |`);
  }' "${runs[@]}"
