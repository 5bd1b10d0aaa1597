#!/usr/bin/env bash
# Hostile-peer and hostile-provider battery of issue 13 against release call-worker processes
# with fake providers. Prints one table row per probe (each beside a well-behaved control
# call): crashes, slots leaked, the probe's figures (seconds until a stuck peer's slot is
# free, frames dropped, garbage bytes played), the control call's late frames and p95 reply
# latency change against a baseline call, and the worker's RSS change.
#   bash scripts/hostile-battery.sh                     # everything (about 10 minutes)
#   BATTERY_PARTS=peers bash scripts/hostile-battery.sh # or: providers
#   BATTERY_MESSAGES=20000 BATTERY_ARGS="--flood-seconds 10" bash scripts/hostile-battery.sh
# Needs python3 (standard library only) and espeak-ng (installed if missing). Release binaries
# are built once (`swift build -c release --product call-worker` / `provider-fake`) unless
# BIN_DIR points at existing ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh
ulimit -n 20000 2>/dev/null || true

PARTS="${BATTERY_PARTS:-peers providers}"
MODES="${BATTERY_PROVIDER_MODES:-retry-inf retry-huge retry-date sse-50mb-line endless-deltas pcm-200mb tts-html}"
if [ -z "${BIN_DIR:-}" ]; then
    BIN_DIR="$root/.build/release"
    for product in call-worker provider-fake; do
        swift build -c release --product "$product" 2>&1 | grep -E 'error|Compiling|complete' | tail -2
    done
fi

work="$(mktemp -d /tmp/hostile-battery.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "logs kept in $work"
}
trap cleanup EXIT

make_turns "$work/turns"

# start_worker NAME OPENAI_BASE_URL: starts a worker (its pid in worker_pid, port in worker_port).
start_worker() {
    worker_port="$(free_port)"
    mkdir -p "$work/$1/spool"
    env -i PATH="$PATH" HOST=127.0.0.1 PORT="$worker_port" MAX_CONCURRENT_CALLS=64 \
        SPOOL_DIR="$work/$1/spool" OPENAI_BASE_URL="$2" OPENAI_API_KEY=sk-dev-local \
        TWILIO_SIGNATURES=off RESULT_WEBHOOK_ALLOW_HTTP=1 RESULT_WEBHOOK_SECRET=dev-webhook-secret LOG_LEVEL=info \
        "$BIN_DIR/call-worker" >"$work/$1.log" 2>&1 &
    worker_pid=$!
    pids+=("$worker_pid")
}

status=0
args=(--speech "$work/turns/short.wav")
if [[ " $PARTS " == *" peers "* ]]; then
    provider_port="$(free_port)"
    "$BIN_DIR/provider-fake" --port "$provider_port" --log-level warning >"$work/provider.log" 2>&1 &
    pids+=($!)
    wait_for 30 grep -q listening "$work/provider.log" || { cat "$work/provider.log"; exit 1; }
    start_worker peers "http://127.0.0.1:$provider_port/v1"
    wait_http "http://127.0.0.1:$worker_port/health/ready" 200 60 || { tail -5 "$work/peers.log"; exit 1; }
    args+=(--worker "http://127.0.0.1:$worker_port" --worker-pid "$worker_pid" --messages "${BATTERY_MESSAGES:-100000}")
fi
if [[ " $PARTS " == *" providers "* ]]; then
    hostile_port="$(free_port)"
    python3 scripts/lib/hostile_provider.py --port "$hostile_port" >"$work/hostile-provider.log" 2>&1 &
    pids+=($!)
    wait_for 30 grep -q listening "$work/hostile-provider.log" || { cat "$work/hostile-provider.log"; exit 1; }
    for mode in $MODES; do
        start_worker "provider-$mode" "http://127.0.0.1:$hostile_port/$mode/v1"
        if wait_http "http://127.0.0.1:$worker_port/health/ready" 200 60; then
            args+=(--provider-worker "$mode,http://127.0.0.1:$worker_port,$worker_pid")
        else
            echo "BATTERY provider $mode: the worker did not become ready: $(tail -2 "$work/provider-$mode.log")"
            kill -0 "$worker_pid" 2>/dev/null || { echo "BATTERY provider $mode: the worker exited"; status=1; }
        fi
    done
fi
# shellcheck disable=SC2086 # BATTERY_ARGS is a list of extra options
python3 scripts/lib/hostile_battery.py "${args[@]}" ${BATTERY_ARGS:-} || status=1
for log in "$work"/*.log; do
    if grep -qE 'Fatal error|Illegal instruction|Segmentation fault' "$log"; then
        echo "BATTERY crash in $(basename "$log"):"; grep -m3 -E 'Fatal error|Illegal|Segmentation' "$log"; status=1
    fi
done
exit "$status"
