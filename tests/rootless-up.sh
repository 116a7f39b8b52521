#!/usr/bin/env bash
# Bring up a rootless Docker engine for the test suite, beside the rootful one (which it never
# stops, restarts or reconfigures). Idempotent and quick when already up.
#   1. apt-get install rootlesskit slirp4netns uidmap (only missing ones)
#   2. user itui-rootless with subordinate uid/gid ranges, its XDG_RUNTIME_DIR
#   3. /dev/net/tun mode 0666 (no udev on this kind of machine: slirp4netns needs it)
#   4. dockerd-rootless.sh started detached as that user, when its socket does not answer
#   5. the test images copied from the rootful engine (`docker save | docker load`)
# Prints nothing on success but progress on stderr; the socket is
# unix:///run/user/<uid of itui-rootless>/docker.sock.
set -euo pipefail

USER_NAME=itui-rootless
LOG="${ITUI_ROOTLESS_LOG:-/tmp/internals-tui-rootless-dockerd.log}"
WAIT_S="${ITUI_WAIT_S:-90}"
source "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"
log() { printf '[rootless-up] %s\n' "$*" >&2; }
DOCKER=/usr/bin/docker
[[ -x $DOCKER ]] || DOCKER="$(command -v docker)"

install_missing /tmp/internals-tui-apt-rootless.log rootlesskit slirp4netns uidmap

id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/bash "$USER_NAME"
grep -q "^$USER_NAME:" /etc/subuid || usermod --add-subuids 100000-165535 "$USER_NAME"
grep -q "^$USER_NAME:" /etc/subgid || usermod --add-subgids 100000-165535 "$USER_NAME"
RL_UID=$(id -u "$USER_NAME")
RUN_DIR=/run/user/$RL_UID
install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$RUN_DIR"
[[ -c /dev/net/tun ]] && chmod 0666 /dev/net/tun

HOST="unix://$RUN_DIR/docker.sock"
answers() { timeout 10 "$DOCKER" -H "$HOST" info >/dev/null 2>&1; }
alive() {  # the rootless dockerd of a previous run, still running (not a zombie)
  local pid
  pid=$(cat "$RUN_DIR/docker.pid" 2>/dev/null) || return 1
  [[ -r /proc/$pid/status && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] \
    && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

if answers; then
  log "rootless engine answering"
else
  if alive; then
    log "rootless dockerd starting; waiting"
  else
    rm -f "$RUN_DIR/docker.pid"
    log "starting rootless dockerd as $USER_NAME (log: $LOG)"
    (cd / && setsid runuser -u "$USER_NAME" -- env -i HOME="/home/$USER_NAME" USER="$USER_NAME" \
      LOGNAME="$USER_NAME" XDG_RUNTIME_DIR="$RUN_DIR" \
      PATH=/usr/share/docker.io/contrib:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
      dockerd-rootless.sh --data-root "/home/$USER_NAME/.local/share/docker" \
      >>"$LOG" 2>&1 </dev/null &)  # from /: never inside a checkout
  fi
  until_answers "rootless dockerd" "$LOG" answers
  log "rootless engine answering"
fi

for image in itui/mini:latest itui/layered:latest itui/files:latest; do
  if ! "$DOCKER" -H "$HOST" image inspect "$image" >/dev/null 2>&1; then
    log "loading $image"
    "$DOCKER" save "$image" | "$DOCKER" -H "$HOST" load -q >/dev/null
  fi
done
log "ready: $HOST"
