#!/usr/bin/env bash
# Shared set-up for scripts/run and scripts/test: a virtual environment with clusterkg
# installed (editable), and the system programs the product or its tests need.
# Usage: source scripts/setup.sh [EXTRAS]   (EXTRAS e.g. "test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

apt_install() {
    # Install Debian packages when a program is missing (needs root, as on CI and the
    # project's machines); elsewhere say what to install.
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing $* (Debian packages)" >&2
        if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' 2>/dev/null | head -1)" ]; then
            apt-get update -qq >&2
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || {
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
        }
    else
        echo "please install: $* (Debian/Ubuntu package names)" >&2
        return 1
    fi
}

need() {  # need PROGRAM PACKAGE...
    local program="$1"; shift
    command -v "$program" >/dev/null 2>&1 || apt_install "$@"
}

# Java runs HermiT, the OWL reasoner the build uses.
need java default-jre-headless

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
EXTRAS="${1:-}"
if [ -n "$EXTRAS" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]"
else
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
export PATH="$ROOT/.venv/bin:$PATH"
