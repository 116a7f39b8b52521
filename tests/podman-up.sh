#!/usr/bin/env bash
# Bring up a rootful Podman with its Docker-compatible API for the test suite, beside the
# rootful Docker engine (which it never stops, restarts or reconfigures). Idempotent.
#   1. apt-get install podman (only when missing)
#   2. /etc/containers/containers.conf: default ulimits at or below this machine's hard limits
#      (root here lacks CAP_SYS_RESOURCE; podman's defaults make runc fail "setting rlimit")
#   3. `podman system service --time=0` on unix:///run/podman/podman.sock, detached
#   4. the test images copied from the Docker engine (`docker save | podman load`)
set -euo pipefail

SOCK=/run/podman/podman.sock
HOST="unix://$SOCK"
LOG="${ITUI_PODMAN_LOG:-/tmp/internals-tui-podman.log}"
WAIT_S="${ITUI_WAIT_S:-90}"
source "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"
log() { printf '[podman-up] %s\n' "$*" >&2; }
DOCKER=/usr/bin/docker
[[ -x $DOCKER ]] || DOCKER="$(command -v docker)"

install_missing /tmp/internals-tui-apt-podman.log --with-recommends podman

CONF=/etc/containers/containers.conf
if ! grep -qs 'internals-tui' "$CONF"; then
  mkdir -p /etc/containers
  if [[ -s $CONF ]]; then
    log "$CONF exists and was not written here: leaving it as it is"
  else
    nofile=$(ulimit -Hn)
    [[ $nofile == unlimited || $nofile -gt 1048576 ]] && nofile=1048576
    cat >"$CONF" <<CONFEOF
# written by internals-tui tests/podman-up.sh: podman's default rlimits exceed what root may
# set on a machine without CAP_SYS_RESOURCE, and runc then fails to start any container.
[containers]
default_ulimits = [
  "nofile=$nofile:$nofile",
  "nproc=32768:32768",
]
CONFEOF
  fi
fi

answers() { timeout 10 "$DOCKER" -H "$HOST" version >/dev/null 2>&1; }
if answers; then
  log "podman service answering"
else
  if pgrep -f "podman system service --time=0 $HOST" >/dev/null; then
    log "podman service starting; waiting"
  else
    mkdir -p /run/podman
    rm -f "$SOCK"
    log "starting podman system service (log: $LOG)"
    # from /: conmon inherits the service's working directory and fails ("Failed to get
    # working directory") once a checkout it was started in is deleted
    (cd / && setsid nohup podman system service --time=0 "$HOST" >>"$LOG" 2>&1 </dev/null &)
  fi
  until_answers "podman" "$LOG" answers
  log "podman service answering"
fi

for image in itui/mini:latest itui/layered:latest itui/files:latest; do
  if ! podman image exists "localhost/$image"; then
    log "loading $image"
    "$DOCKER" save "$image" | podman load -q >/dev/null
  fi
done
log "ready: $HOST"
