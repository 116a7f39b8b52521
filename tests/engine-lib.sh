# Shared by the engine set-up scripts (sourced, not run).

# until_answers WHAT LOG CMD...: run CMD every half second until it succeeds; after $WAIT_S
# seconds say that WHAT did not answer, show the end of LOG, and exit 1.
until_answers() {
  local what=$1 logf=$2
  shift 2
  local deadline=$((SECONDS + WAIT_S))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "$what did not answer within ${WAIT_S}s:"; tail -20 "$logf" >&2 || true; exit 1
    fi
    sleep 0.5
  done
}

# install_missing LOG [--with-recommends] PACKAGE...: apt-get install the Debian packages that are
# not installed yet (nothing when all are); on failure show the end of LOG and exit 1.
install_missing() {
  local logf=$1
  shift
  local opts=(--no-install-recommends)
  if [[ ${1:-} == --with-recommends ]]; then opts=(); shift; fi
  local need=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  ((${#need[@]})) || return 0
  log "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${opts[@]}" "${need[@]}" >"$logf" 2>&1 \
    || { log "apt-get install failed:"; tail -20 "$logf" >&2; exit 1; }
}
