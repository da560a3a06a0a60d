# Shared set-up, sourced by the other scripts: installs what a fresh machine
# lacks. Tool versions come from the lockfiles (Cargo.lock for
# wasm-bindgen, package-lock.json for npm), so they cannot drift apart.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where `cargo install` puts wasm-bindgen-cli.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The wasm-bindgen-cli must match the wasm-bindgen crate exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$repo_root/Cargo.lock"
}

ensure_wasm_toolchain() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  local want
  want="$(wasm_bindgen_version)"
  if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $want" ]]; then
    log "installing wasm-bindgen-cli $want (once per machine, about 6 minutes)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_npm_packages() {
  if [[ ! -x "$repo_root/node_modules/.bin/wasm-opt" || ! -d "$repo_root/node_modules/playwright-core" \
        || "$repo_root/package-lock.json" -nt "$repo_root/node_modules/.package-lock.json" ]]; then
    log "installing npm packages from package-lock.json"
    (cd "$repo_root" && npm ci --no-audit --no-fund)
  fi
}

# Mesa's lavapipe: a Vulkan driver that computes on the CPU, for the native
# GPU path's test (crates/cli/tests/gpu.rs).
ensure_lavapipe() {
  if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then
    log "installing Mesa's Vulkan drivers (lavapipe) for the native GPU test"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    log "installing Debian's Chromium for the browser tests"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}
