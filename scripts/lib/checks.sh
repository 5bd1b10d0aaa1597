# shellcheck shell=bash
# Helpers shared by the deployment checks (fleet-check.sh, container-check.sh,
# compose-check.sh, release tests). Meant to be `source`d. Every wait is on a condition
# (an HTTP status, a file, a process exit) re-checked every 100 ms until a deadline; no
# step waits a fixed time and hopes.

# shellcheck disable=SC2034 # WAIT_STATUS is read by the scripts that source this file
WAIT_STATUS=""
CHECKS_PASSED=0
CHECKS_FAILED=0
CHECK_LOG=()

# pass|fail NAME DETAILS: prints one result line and counts it.
pass() { CHECKS_PASSED=$((CHECKS_PASSED + 1)); CHECK_LOG+=("PASS  $1"); printf 'PASS  %-46s %s\n' "$1" "${2:-}"; }
fail() { CHECKS_FAILED=$((CHECKS_FAILED + 1)); CHECK_LOG+=("FAIL  $1"); printf 'FAIL  %-46s %s\n' "$1" "${2:-}"; }
# check NAME DETAILS COMMAND...: pass when the command succeeds.
check() { local name="$1" details="$2"; shift 2; if "$@"; then pass "$name" "$details"; else fail "$name" "$details"; fi; }

# Prints the summary and returns non-zero when a check failed.
checks_summary() {
    local what="$1"
    printf '%s: %d passed, %d failed\n' "$what" "$CHECKS_PASSED" "$CHECKS_FAILED"
    [ "$CHECKS_FAILED" -eq 0 ]
}

now_ms() { date +%s%3N; }

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# HTTP status of a GET (000 when nothing answers).
http_status() { curl -s -o /dev/null -m "${2:-3}" -w '%{http_code}' "$1" 2>/dev/null || true; }

# The pause between two evaluations of a condition.
poll_pause() { sleep 0.1; }

# wait_for SECONDS COMMAND...: waits until the command succeeds, at most SECONDS.
wait_for() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    shift
    while [ "$(now_ms)" -le "$deadline" ]; do
        "$@" && return 0
        poll_pause
    done
    return 1
}

# wait_http URL STATUS SECONDS: waits until GET URL answers STATUS.
is_http_status() { [ "$(http_status "$1" 1)" = "$2" ]; }
wait_http() { wait_for "$3" is_http_status "$1" "$2"; }

# wait_exit PID SECONDS: waits for a child process of this shell to exit, at most SECONDS;
# sets WAIT_STATUS to its exit status, or to "timeout" (and returns 1) if it still runs.
# Call it directly, not in $(...): a subshell cannot wait for its parent's children.
wait_exit() {
    local pid="$1" deadline=$(( $(now_ms) + $2 * 1000 ))
    WAIT_STATUS=timeout
    while kill -0 "$pid" 2>/dev/null; do
        [ "$(now_ms)" -le "$deadline" ] || return 1
        poll_pause
    done
    WAIT_STATUS=0
    wait "$pid" 2>/dev/null || WAIT_STATUS=$?
}

# The spooled result file (JSON) of a call in a spool directory, by its call id (CallSid).
result_file() {
    local dir="$1" call_id="$2" file
    for file in "$dir"/*.json; do
        [ -f "$file" ] || continue
        grep -q "\"callID\":\"$call_id\"" "$file" 2>/dev/null && { printf '%s\n' "$file"; return 0; }
    done
    return 1
}

# A field of a result file: end_reason|turns|call_id.
result_field() {
    python3 - "$1" "$2" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
field = sys.argv[2]
if field == "end_reason":
    print(result.get("endReason", ""))
elif field == "turns":
    print(len(result.get("turns", [])))
elif field == "call_id":
    print(result.get("identity", {}).get("callID", ""))
PY
}

# Caller turns for simulated calls: espeak-ng speech as WAV (installs espeak-ng if missing).
make_turns() {
    local dir="$1"
    mkdir -p "$dir"
    if ! command -v espeak-ng >/dev/null 2>&1; then
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq espeak-ng >/dev/null
    fi
    [ -s "$dir/short.wav" ] || espeak-ng -w "$dir/short.wav" "I would like to book a table for two tonight, please."
    # About 7 s of speech: calls that overlap.
    [ -s "$dir/medium.wav" ] || espeak-ng -s 150 -w "$dir/medium.wav" "I am calling about the reservation for Friday evening, for a party of six, near the window if possible."
    # About 30 s of speech: the caller is still talking when a drain starts.
    [ -s "$dir/long.wav" ] || espeak-ng -s 150 -w "$dir/long.wav" "$(printf 'I am calling about the reservation for Friday evening, for a party of six, near the window if possible. %.0s' 1 2 3 4 5)"
}

# A Twilio-style call id for a check.
# A call SID of Twilio's shape (CA + 32 hex digits, which the worker checks): the tag's bytes in
# hex first (at most 8 bytes), random hex after, so each check's calls stay recognisable.
new_call_sid() {
    local tag random
    tag="$(printf '%s' "$1" | head -c 8 | od -An -tx1 | tr -d ' \n')"
    random="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    printf 'CA%s\n' "$(printf '%s%s' "$tag" "$random" | head -c 32)"
}
