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
