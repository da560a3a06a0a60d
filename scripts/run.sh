#!/usr/bin/env bash
# The README's "run the app": build everything, then serve the page.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$repo_root"
scripts/build-web.sh
exec node scripts/serve.mjs "${PORT:-8000}"
