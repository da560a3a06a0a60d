#!/usr/bin/env bash
# Navigation to the first reconstruction for two page addresses, in
# alternating passes (`benchmarks/start.mjs --query`), so that a change in
# the machine's speed during the run falls on both. The table goes to
# standard output.
#
#   benchmarks/compare-start.sh [--passes 3] [--loads 9] QUERY QUERY
#
# QUERY is an address's query, such as '?warm-up-rounds=0', or '' for none.
set -euo pipefail
source "$(dirname "$0")/../scripts/toolchain.sh"
cd "$repo_root"
ensure_chromium
ensure_npm_packages

passes=3 loads=9
queries=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --passes) passes=$2 && shift 2 ;;
    --loads) loads=$2 && shift 2 ;;
    *) queries+=("$1") && shift ;;
  esac
done
[[ ${#queries[@]} -eq 2 ]] || { log "give two queries ('' for none)"; exit 2; }
for count in "$passes" "$loads"; do
  [[ $count =~ ^[1-9][0-9]*$ ]] || { log "--passes and --loads take positive whole numbers"; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rows=()
for pass in $(seq 1 "$passes"); do
  for at in 0 1; do
    query=${queries[$at]}
    log "pass $pass of $passes: page '/$query'"
    node benchmarks/start.mjs --loads "$loads" --query "$query" --json "$work/$pass-$at.json" >/dev/null
    rows+=("$pass:$work/$pass-$at.json:/$query")
  done
done

printf "# Navigation to the first reconstruction, two addresses alternating, %s\n\n" "$(date -u +%F)"
printf '%s\n\n' "\`benchmarks/compare-start.sh --passes $passes --loads $loads ${queries[*]@Q}\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)): each pass loads each page $loads times in fresh browser contexts (\`benchmarks/start.mjs\`)."
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  console.log("| page | pass | navigation to the first reconstruction (ms, median) |");
  console.log("| --- | --- | --- |");
  for (const row of process.argv.slice(1)) {
    const [pass, file, ...page] = row.split(":");
    const { firstMs } = JSON.parse(readFileSync(file, "utf8"));
    console.log(`| \`${page.join(":")}\` | ${pass} | ${firstMs.toFixed(0)} |`);
  }' "${rows[@]}"
