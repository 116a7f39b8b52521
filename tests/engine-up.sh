#!/usr/bin/env bash
# Bring up a local Docker Engine for the test suite and build its images offline.
#
# Idempotent: each step checks before it acts.
#   1. apt-get install docker.io containerd runc busybox-static iptables (only missing ones)
#   2. start dockerd in the background when no engine answers (no systemd here)
#   3. wait (bounded) until `docker info` answers
#   4. itui/mini:latest     - `docker import` of a busybox-static rootfs (one layer)
#   5. itui/layered:latest  - legacy `DOCKER_BUILDKIT=0 docker build` FROM itui/mini
#                             (several layers, a whiteout and an opaque directory)
#   6. itui/files:latest    - FROM itui/layered, one layer of hostile files: symlinks out of the
#                             root (absolute and ../), a FIFO, a device node, a name with an escape
#                             and a newline, a directory of 50 000 entries
# Everything it creates carries the label internals-tui.test=1.
# Never pass `--bridge none` to a second dockerd: it deletes the host's docker0.
set -euo pipefail

LABEL="internals-tui.test=1"
LOG="${ITUI_DOCKERD_LOG:-/tmp/internals-tui-dockerd.log}"
WAIT_S="${ITUI_WAIT_S:-90}"
source "$(dirname "${BASH_SOURCE[0]}")/engine-lib.sh"
log() { printf '[engine-up] %s\n' "$*" >&2; }

install_missing /tmp/internals-tui-apt.log docker.io containerd runc busybox-static iptables
DOCKER=/usr/bin/docker
[[ -x $DOCKER ]] || DOCKER="$(command -v docker)"

engine_ok() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }
# a dockerd that is really running: not a stale pid file, not a zombie left by a killed session
dockerd_alive() {
  local pid=$1
  [[ -n $pid && -r /proc/$pid/status && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] \
    && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

if engine_ok; then
  log "engine answering"
else
  pidf=/var/run/docker.pid
  if [[ -s $pidf ]] && dockerd_alive "$(cat "$pidf")"; then
    log "dockerd $(cat "$pidf") starting; waiting"
  else
    if ! iptables -t nat -L -n >/dev/null 2>&1 && [[ -x /usr/sbin/iptables-legacy ]]; then
      log "iptables-nft unusable; using iptables-legacy"
      update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
      update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null || true
    fi
    rm -f "$pidf"
    log "starting dockerd (log: $LOG)"
    (cd / && setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &)  # from /: never inside a checkout
  fi
  until_answers "dockerd" "$LOG" engine_ok
  log "engine answering"
fi

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

if ! have_image itui/mini:latest; then
  BUSYBOX=""
  for b in /bin/busybox /usr/bin/busybox; do
    if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; break; fi
  done
  [[ -n $BUSYBOX ]] || { log "no static busybox (install busybox-static)"; exit 1; }
  log "building itui/mini:latest (docker import of $BUSYBOX)"
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root,var,run}
  chmod 1777 "$rootfs/tmp"
  cp "$BUSYBOX" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
    --change 'CMD ["sh"]' --change 'ENV PATH=/bin' --change "LABEL $LABEL" \
    -m "busybox-static rootfs" - itui/mini:latest >/dev/null
  rm -rf "$rootfs"; trap - EXIT
fi

if ! have_image itui/layered:latest; then
  log "building itui/layered:latest (DOCKER_BUILDKIT=0)"
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  mkdir -p "$ctx/payload"
  echo keep >"$ctx/payload/keep.txt"
  echo doomed >"$ctx/payload/doomed.txt"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM itui/mini:latest
LABEL $LABEL
COPY payload/ /opt/payload/
RUN mkdir -p /data/opq && echo a >/data/opq/a.txt
RUN rm /opt/payload/doomed.txt
RUN rm -rf /data/opq && mkdir /data/opq && echo fresh >/data/opq/new.txt
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["sleep 100000"]
DOCKERFILE
  DOCKER_BUILDKIT=0 "$DOCKER" build -q --network none --force-rm -t itui/layered:latest "$ctx" \
    >/dev/null 2>/tmp/internals-tui-build.err \
    || { log "docker build failed:"; cat /tmp/internals-tui-build.err >&2; exit 1; }
  rm -rf "$ctx"; trap - EXIT
fi
if ! have_image itui/files:latest; then
  log "building itui/files:latest (DOCKER_BUILDKIT=0)"
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM itui/layered:latest
RUN mkdir /hostile && cd /hostile && ln -s /etc/shadow abs-link && ln -s ../../../../../etc/shadow rel-link \
 && mkfifo fifo && mknod null c 1 3 && touch "$(printf 'esc\033[31mred\nline')" \
 && mkdir /many && cd /many && seq 1 50000 | xargs touch
DOCKERFILE
  DOCKER_BUILDKIT=0 "$DOCKER" build -q --network none --force-rm --label "$LABEL" -t itui/files:latest "$ctx" \
    >/dev/null 2>/tmp/internals-tui-build.err \
    || { log "docker build failed:"; cat /tmp/internals-tui-build.err >&2; exit 1; }
  rm -rf "$ctx"; trap - EXIT
fi
"$DOCKER" info --format 'engine {{.ServerVersion}} driver={{.Driver}} cgroup={{.CgroupDriver}} v{{.CgroupVersion}}' >&2
log "ready"
