#!/usr/bin/env bash
# SIGTERM with 20 active calls, the webhook down and the capacity registry unreachable
# (issue 14): the worker must exit 0 within its drain budget with 20/20 results durable.
#
#   scripts/drain-results.sh                 # DRAIN_BUDGET=20
#   DRAIN_BUDGET=50 scripts/drain-results.sh
#
# Needs .build/debug/call-worker and .build/debug/call-simulator, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
CALLS=${CALLS:-20}
BUDGET=${DRAIN_BUDGET:-20}
STATE=$(mktemp -d /tmp/drain-results.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
OPENAI_PORT=$(free_port); WEBHOOK_PORT=$(free_port); WORKER_PORT=$(free_port); DEAD_PORT=$(free_port)
FIXTURE_PID=""; WORKER_PID=""; SIMS=()
cleanup() {
    [[ -n $WORKER_PID ]] && kill -9 "$WORKER_PID" 2>/dev/null || true
    for pid in "${SIMS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -n $FIXTURE_PID ]] && kill "$FIXTURE_PID" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
# The receiver reads the mode on every request: replace the file atomically.
set_mode() { echo "$1" > "$STATE/mode.tmp" && mv "$STATE/mode.tmp" "$STATE/mode"; }

set_mode down   # the webhook answers 503 to everything
python3 scripts/crash-results-fixture.py "$STATE" "$OPENAI_PORT" "$WEBHOOK_PORT" whsec-drain > "$STATE/fixture.log" 2>&1 &
FIXTURE_PID=$!
# 60 s of quiet line noise: the caller stays on the line until the worker ends the call.
python3 - "$STATE/quiet.wav" <<'PY'
import random, struct, sys, wave
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", random.randint(-40, 40)) for _ in range(8000 * 60)))
PY

env HOST=127.0.0.1 PORT="$WORKER_PORT" OPENAI_BASE_URL="http://127.0.0.1:$OPENAI_PORT/v1" OPENAI_API_KEY=sk-drain TWILIO_SIGNATURES=off \
    SPOOL_DIR="$STATE/spool" RESULT_WEBHOOK_URL="http://127.0.0.1:$WEBHOOK_PORT/results" RESULT_WEBHOOK_ALLOW_HTTP=1 \
    RESULT_WEBHOOK_SECRET=whsec-drain MAX_CONCURRENT_CALLS="$CALLS" DRAIN_BUDGET="$BUDGET" LOG_LEVEL=info \
    CAPACITY_DATABASE_URL="postgres://fleet@127.0.0.1:$DEAD_PORT/calls?sslmode=disable" WORKER_STREAM_URL="ws://127.0.0.1:$WORKER_PORT/ws" \
    WORKER_ID=drain-w1 "$BIN/call-worker" > "$STATE/worker.log" 2>&1 &
WORKER_PID=$!
for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$WORKER_PORT/health" >/dev/null 2>&1 && break
    sleep 0.05
done

for i in $(seq 1 "$CALLS"); do
    reservation=$(python3 -c 'import uuid; print(uuid.uuid4())')
    "$BIN/call-simulator" --call-sid "$(printf 'CA0d7a19%026d' "$i")" --param "reservation_id=$reservation" --wait 120 \
        --out "$STATE/agent-$i.wav" "ws://127.0.0.1:$WORKER_PORT/ws/demo" "$STATE/quiet.wav" > "$STATE/sim-$i.log" 2>&1 &
    SIMS+=($!)
done
for _ in $(seq 1 400); do
    started=$(grep -c '"msg":"call started"' "$STATE/worker.log" || true)
    [[ $started -ge $CALLS ]] && break
    sleep 0.1
done
echo "active calls: $started"
sleep 2
t0=$(date +%s.%N)
kill -TERM "$WORKER_PID"
status=0; wait "$WORKER_PID" || status=$?
t1=$(date +%s.%N)
WORKER_PID=""
python3 - "$STATE" "$CALLS" "$status" "$t0" "$t1" "$BUDGET" <<'PY'
import glob, json, os, sys
state, calls, status, t0, t1, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
results = {}
for path in glob.glob(os.path.join(state, "spool", "*.json")):
    r = json.load(open(path))
    results[r["identity"]["callID"]] = r["endReason"]
durable = sum(1 for c in results if c.startswith("CA0d7a19"))
seconds = t1 - t0
print(f"drain budget:       {budget:.0f} s")
print(f"exit status:        {status}")
print(f"SIGTERM -> exit:    {seconds:.1f} s")
print(f"results durable:    {durable}/{calls}  (end reasons: {sorted(set(results.values()))})")
print(f"state kept in {state}")
ok = status == 0 and seconds <= budget and durable == calls
sys.exit(0 if ok else 1)
PY
