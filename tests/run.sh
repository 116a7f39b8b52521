#!/usr/bin/env bash
# Set up everything the test suite needs and run it (the README's test command; CI runs this).
#   1. the three engines the suite runs against, with the offline-built test images: rootful
#      Docker (tests/engine-up.sh), rootless Docker (tests/rootless-up.sh) and Podman's
#      Docker-compatible API (tests/podman-up.sh); the last two never touch the first
#   2. a virtualenv at .venv with the project and its test dependencies
#   3. pytest over tests/ (unit, integration against the engine, UI, SVG snapshots)
# Extra arguments go to pytest, e.g. `bash tests/run.sh -k overview`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tests/engine-up.sh
bash tests/rootless-up.sh
bash tests/podman-up.sh

PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  if ! "$PY" -m venv .venv >/dev/null 2>&1; then
    echo "[run] installing python3-venv" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    rm -rf .venv && "$PY" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v '^WARNING: Location' >&2 || true
.venv/bin/python -c 'import textual, docker, pytest' # fail early if the install did not work

exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
