#!/usr/bin/env bash
# First run: make sure there is something to look at. Used by the README's first command.
#   1. no engine answers at DOCKER_HOST (or the default socket): bring up a local one with
#      tests/engine-up.sh (the script the tests use); an engine that answers is left alone,
#      except that the offline-built images itui/mini and itui/layered are added when missing
#   2. the engine has no container at all: start one like the walkthrough's,
#      `docker run --name itui-demo -d --memory=256m --cpus=2 itui/layered` (label
#      internals-tui.demo=1; remove it with `docker rm -f itui-demo`)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf '[demo-up] %s\n' "$*" >&2; }

DOCKER="$(command -v docker || echo /usr/bin/docker)"
if [[ -z ${DOCKER_HOST:-} ]] || ! timeout 10 "$DOCKER" info >/dev/null 2>&1; then
  bash tests/engine-up.sh
  DOCKER="$(command -v docker || echo /usr/bin/docker)"
fi
if [[ -z "$("$DOCKER" ps -aq | head -1)" ]]; then
  log "the engine has no containers: starting itui-demo (--memory=256m --cpus=2, label internals-tui.demo=1)"
  "$DOCKER" run -d --name itui-demo --label internals-tui.demo=1 --memory=256m --cpus=2 \
    itui/layered:latest >/dev/null
else
  log "the engine has containers: no demo container started"
fi
