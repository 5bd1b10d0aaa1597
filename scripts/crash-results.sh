#!/usr/bin/env bash
# Crash injection for post-call results (issue 14): runs N simulated calls against the real
# call-worker and kills the worker with SIGKILL at a random moment around each call's end
# (before, during and after the last turn and the delivery), with the webhook up, down or slow
# (cycling). After each kill the worker restarts on the same spool: it recovers checkpoints of
# interrupted calls (end reason worker_lost) and redelivers. At the end the webhook is up and
# the worker restarted once more; then every call the worker started must have its result
# delivered (signature verified by the receiver) or still durable in the spool.
#
#   scripts/crash-results.sh            # N=20, a quick run
#   N=200 scripts/crash-results.sh      # the full proof
#
# Needs .build/debug/call-worker and .build/debug/call-simulator (swift build), python3 and
# espeak-ng (scripts/install-deps.sh). Prints the figures; exits 1 if any result was lost.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
BIN=${BIN:-.build/debug}
for tool in "$BIN/call-worker" "$BIN/call-simulator"; do
    [[ -x $tool ]] || { echo "missing $tool: run swift build first" >&2; exit 2; }
done
STATE=$(mktemp -d /tmp/crash-results.XXXXXX)
SECRET=whsec-crash-$RANDOM$RANDOM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
OPENAI_PORT=$(free_port); WEBHOOK_PORT=$(free_port); WORKER_PORT=$(free_port)
FIXTURE_PID=""; WORKER_PID=""
cleanup() {
    [[ -n $WORKER_PID ]] && kill -9 "$WORKER_PID" 2>/dev/null || true
    [[ -n $FIXTURE_PID ]] && kill "$FIXTURE_PID" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
# The receiver reads the mode on every request: replace the file atomically.
set_mode() { echo "$1" > "$STATE/mode.tmp" && mv "$STATE/mode.tmp" "$STATE/mode"; }

set_mode up
python3 scripts/crash-results-fixture.py "$STATE" "$OPENAI_PORT" "$WEBHOOK_PORT" "$SECRET" > "$STATE/fixture.log" 2>&1 &
FIXTURE_PID=$!
espeak-ng -w "$STATE/turn.wav" "I would like to book a table for two, please." 2>/dev/null

start_worker() {
    env HOST=127.0.0.1 PORT="$WORKER_PORT" OPENAI_BASE_URL="http://127.0.0.1:$OPENAI_PORT/v1" OPENAI_API_KEY=sk-crash TWILIO_SIGNATURES=off \
        SPOOL_DIR="$STATE/spool" RESULT_WEBHOOK_URL="http://127.0.0.1:$WEBHOOK_PORT/results" RESULT_WEBHOOK_ALLOW_HTTP=1 \
        RESULT_WEBHOOK_SECRET="$SECRET" MAX_CONCURRENT_CALLS=2 DRAIN_BUDGET=10 LOG_LEVEL=info \
        "$BIN/call-worker" >> "$STATE/worker.log" 2>&1 &
    WORKER_PID=$!
    for _ in $(seq 1 200); do
        curl -fsS "http://127.0.0.1:$WORKER_PORT/health" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "worker did not start; see $STATE/worker.log" >&2; exit 2
}

modes=(up down slow)
kills=0
start_worker
for i in $(seq 1 "$N"); do
    mode=${modes[$(( (i - 1) % 3 ))]}
    set_mode "$mode"
    sid=$(printf 'CA0c7a5b%026d' "$i")
    "$BIN/call-simulator" --call-sid "$sid" --wait 8 --quiet-ms 500 --out "$STATE/agent-$i.wav" \
        "ws://127.0.0.1:$WORKER_PORT/ws/demo" "$STATE/turn.wav" > "$STATE/sim-$i.log" 2>&1 &
    sim=$!
    # A random moment in 1.5-9.5 s after dialling: the greeting, the turn, the reply, the
    # hang-up and the delivery all fall in this window.
    delay=$(python3 -c "import random; print(f'{random.uniform(1.5, 9.5):.2f}')")
    sleep "$delay"
    kill -9 "$WORKER_PID" 2>/dev/null && kills=$((kills + 1)) || true
    wait "$WORKER_PID" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
    printf 'call %3d %s webhook=%-4s killed at %5ss\n' "$i" "$sid" "$mode" "$delay"
    start_worker
done

# Final: webhook up, a fresh worker (every entry due at once), let it deliver.
set_mode up
kill -9 "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true
start_worker
for _ in $(seq 1 600); do
    pending=$(find "$STATE/spool" -maxdepth 1 \( -name '*.json' -o -name '*.checkpoint' \) | wc -l)
    [[ $pending -eq 0 ]] && break
    sleep 0.1
done
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" || true; WORKER_PID=""

python3 - "$STATE" "$N" "$kills" <<'PY'
import json, os, sys, glob
state, n, kills = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
started = set()
for line in open(os.path.join(state, "worker.log"), errors="replace"):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    if entry.get("msg") == "call started" and entry.get("call_sid", "").startswith("CA0c7a5b"):
        started.add(entry["call_sid"])
path = os.path.join(state, "deliveries.txt")
deliveries = [l.split() for l in open(path)] if os.path.exists(path) else []
deliveries = [d for d in deliveries if len(d) >= 3]
verified = [d for d in deliveries if d[2] == "ok"]
delivered = {d[0] for d in verified}
bad = [d for d in deliveries if d[2] != "ok"]
spooled = set()
for path in glob.glob(os.path.join(state, "spool", "*.json")) + glob.glob(os.path.join(state, "spool", "dead-letter", "*")):
    try:
        spooled.add(json.load(open(path))["identity"]["callID"])
    except Exception:
        pass
reasons = {}
for d in verified:
    reasons.setdefault(d[0], set()).add(d[1])
lost = sorted(started - delivered - spooled)
worker_lost = sum(1 for c in delivered if "worker_lost" in reasons.get(c, ()))
print()
print(f"calls dialled:                 {n}")
print(f"SIGKILLs:                      {kills}")
print(f"calls the worker started:      {len(started)}")
print(f"results delivered (verified):  {len(delivered & started)}  ({len(verified)} deliveries, {len(verified) - len(delivered)} duplicates)")
print(f"  of which worker_lost:        {worker_lost}")
print(f"results still spooled:         {len((spooled - delivered) & started)}")
print(f"deliveries rejected by receiver (bad/missing signature): {len(bad)}")
print(f"results LOST:                  {len(lost)} {' '.join(lost)}")
print(f"state kept in {state}")
sys.exit(1 if lost or bad else 0)
PY
