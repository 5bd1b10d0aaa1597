#!/usr/bin/env bash
# The HAProxy fleet of one-call workers, for real: HAProxy on loopback (configuration
# rendered by deploy/haproxy/render.sh from a fleet file made by add-fleet.sh) in front of
# FLEET_SIZE real call-worker processes (MAX_CONCURRENT_CALLS=1, a spool directory each),
# a local OpenAI-wire provider (provider-fake) and simulated Twilio callers (call-simulator).
# Checks, each printed with PASS/FAIL and its figures:
#   1. N concurrent calls land one per worker
#   2. call N+1 gets 503 within the queue timeout
#   3. SIGTERM on a worker mid-call: it leaves rotation, no new call reaches it, its call
#      finishes with its result on disk, calls keep landing on the others, it exits 0
#   4. a rolling restart of every worker under continuous call load loses no call and no
#      result
# Exit status non-zero when a check fails. Run by scripts/test.sh (CI); alone:
#   swift build && scripts/fleet-check.sh         (BIN_DIR=.build/debug by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh

BIN_DIR="${BIN_DIR:-$root/.build/debug}"
N="${FLEET_SIZE:-4}"
LOAD_CALLERS="${LOAD_CALLERS:-2}"
QUEUE_TIMEOUT_S="${QUEUE_TIMEOUT_S:-2}"
started=$SECONDS

for tool in call-worker call-simulator provider-fake; do
    [ -x "$BIN_DIR/$tool" ] || { echo "fleet-check: $BIN_DIR/$tool missing (swift build first)" >&2; exit 2; }
done
if ! command -v haproxy >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq haproxy >/dev/null
fi
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "fleet-check: needs curl and python3" >&2; exit 2; }

work="$(mktemp -d /tmp/fleet-check.XXXXXX)"
declare -a worker_pid worker_port
provider_pid=""
haproxy_pid=""
load_pids=()
cleanup() {
    local status=$?
    for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for i in $(seq 1 "$N"); do [ -n "${worker_pid[$i]:-}" ] && kill -TERM "${worker_pid[$i]}" 2>/dev/null || true; done
    [ -n "$haproxy_pid" ] && kill -USR1 "$haproxy_pid" 2>/dev/null || true
    [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$status" -ne 0 ] || [ "$CHECKS_FAILED" -ne 0 ]; then
        echo "--- last log lines (kept in $work)"
        for f in "$work"/haproxy.log "$work"/w*.log; do [ -f "$f" ] && { echo "# $f"; tail -5 "$f"; }; done
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

make_turns "$work/turns"

# --- the provider and the workers
provider_port="$(free_port)"
"$BIN_DIR/provider-fake" --port "$provider_port" --log-level warning >"$work/provider.log" 2>&1 &
provider_pid=$!
wait_for 30 grep -q listening "$work/provider.log" || { cat "$work/provider.log"; exit 1; }

start_worker() {
    local i="$1"
    mkdir -p "$work/w$i/spool"
    env -i PATH="$PATH" HOST=127.0.0.1 PORT="${worker_port[$i]}" MAX_CONCURRENT_CALLS=1 \
        SPOOL_DIR="$work/w$i/spool" OPENAI_BASE_URL="http://127.0.0.1:$provider_port/v1" OPENAI_API_KEY=sk-dev-local \
        TWILIO_SIGNATURES=off RESULT_WEBHOOK_ALLOW_HTTP=1 RESULT_WEBHOOK_SECRET=dev-webhook-secret \
        DRAIN_TIMEOUT=40 DRAIN_BUDGET=50 LOG_LEVEL=info \
        "$BIN_DIR/call-worker" >>"$work/w$i.log" 2>&1 &
    worker_pid[$i]=$!
}
worker_ready() { is_http_status "http://127.0.0.1:${worker_port[$1]}/health/ready" 200; }
worker_full() { is_http_status "http://127.0.0.1:${worker_port[$1]}/health/ready" 503; }

for i in $(seq 1 "$N"); do
    worker_port[$i]="$(free_port)"
    start_worker "$i"
done
for i in $(seq 1 "$N"); do
    wait_for 60 worker_ready "$i" || { tail -5 "$work/w$i.log"; echo "worker $i did not become ready" >&2; exit 1; }
done

# --- HAProxy: the fleet file by add-fleet.sh, the configuration by render.sh
lb_port="$(free_port)"
stats_port="$(free_port)"
for i in $(seq 1 "$N"); do
    deploy/haproxy/add-fleet.sh "$work/fleet.list" "worker$i=127.0.0.1:${worker_port[$i]}" 2>/dev/null
done
BIND="127.0.0.1:$lb_port" STATS_BIND="127.0.0.1:$stats_port" FORWARDED_PROTO=http QUEUE_TIMEOUT="${QUEUE_TIMEOUT_S}s" \
    CHECK_INTERVAL=500ms deploy/haproxy/render.sh "$work/fleet.list" "$work/haproxy.cfg"
haproxy -W -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
lb="http://127.0.0.1:$lb_port"
ws="ws://127.0.0.1:$lb_port/ws/demo"

# Status of a worker in HAProxy's backend (UP, DOWN, ...), from the stats CSV.
server_status() {
    curl -s -m 2 "http://127.0.0.1:$stats_port/stats;csv" 2>/dev/null |
        awk -F, -v s="worker$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i } $1 == "workers" && $2 == s { print $c }'
}
server_is() { [ "$(server_status "$1")" = "$2" ]; }
server_not_up() { local s; s="$(server_status "$1")"; [ -n "$s" ] && [ "${s%% *}" != UP ]; }
all_up() { local i; for i in $(seq 1 "$N"); do server_is "$i" UP || return 1; done; }
wait_for 30 all_up || { cat "$work/haproxy.log"; echo "HAProxy did not see every worker up" >&2; exit 1; }
echo "fleet: HAProxy $(haproxy -v | head -1 | awk '{print $3}') on $lb, $N workers (maxconn 1 each), queue timeout ${QUEUE_TIMEOUT_S}s, ready in $((SECONDS - started)) s"

# Which worker's spool holds a call's result (its index), or nothing.
result_worker() {
    local i
    for i in $(seq 1 "$N"); do
        result_file "$work/w$i/spool" "$1" >/dev/null && { printf '%s\n' "$i"; return 0; }
    done
    return 1
}
# call SID TURN: one simulated call through HAProxy; the exit status is the simulator's.
call() { "$BIN_DIR/call-simulator" --call-sid "$1" --out /dev/null --wait 30 "$ws" "$work/turns/$2.wav" >"$work/call-$1.log" 2>&1; }
count_full() { local i n=0; for i in $(seq 1 "$N"); do worker_full "$i" && n=$((n + 1)); done; printf '%s\n' "$n"; }
all_full() { [ "$(count_full)" -eq "$N" ]; }

# --- 1. N concurrent calls land one per worker
echo "== 1. $N concurrent calls"
sids=()
pids=()
t0=$(now_ms)
for c in $(seq 1 "$N"); do
    sid="$(new_call_sid "c$c")"
    sids+=("$sid")
    call "$sid" medium &
    pids+=($!)
done
if wait_for 30 all_full; then
    pass "$N concurrent calls: every worker has one" "all $N workers full $(( $(now_ms) - t0 )) ms after the first dial"
else
    fail "$N concurrent calls: every worker has one" "only $(count_full) of $N workers full"
fi

# --- 2. call N+1 gets 503 within the queue timeout
echo "== 2. call $((N + 1)) while the fleet is full"
t1=$(now_ms)
extra_status="$(curl -s -o "$work/extra.body" -m $((QUEUE_TIMEOUT_S + 10)) -w '%{http_code}' \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$lb/ws/demo" || true)"
extra_ms=$(( $(now_ms) - t1 ))
check "call $((N + 1)) refused with 503" "HTTP $extra_status in $extra_ms ms: $(head -c 80 "$work/extra.body" 2>/dev/null)" [ "$extra_status" = 503 ]
check "refusal within the queue timeout" "$extra_ms ms <= ${QUEUE_TIMEOUT_S}000 ms + 1000" [ "$extra_ms" -le $((QUEUE_TIMEOUT_S * 1000 + 1000)) ]
extra_sid="$(new_call_sid x)"
t1=$(now_ms)
if call "$extra_sid" short; then
    fail "simulator's call $((N + 1)) refused" "it was served"
else
    pass "simulator's call $((N + 1)) refused" "$(grep -m1 -i 'fail\|error' "$work/call-$extra_sid.log" | head -c 80) after $(( $(now_ms) - t1 )) ms"
fi

failed_calls=0
for p in "${pids[@]}"; do wait "$p" || failed_calls=$((failed_calls + 1)); done
declare -A used=()
placed=""
for sid in "${sids[@]}"; do
    w="$(wait_for 15 result_worker "$sid" >/dev/null && result_worker "$sid" || echo none)"
    placed+="w$w "
    [ "$w" != none ] && used[$w]=1
done
check "$N calls completed" "$failed_calls simulator failure(s)" [ "$failed_calls" -eq 0 ]
check "one result per worker" "${#used[@]} distinct workers for $N calls (${placed% })" [ "${#used[@]}" -eq "$N" ]
check "call $((N + 1)) reached no worker" "no result for it" [ -z "$(result_worker "$extra_sid" || true)" ]
wait_for 15 all_up || true

# --- 3. SIGTERM on a worker mid-call
echo "== 3. SIGTERM on a worker mid-call"
sid="$(new_call_sid t)"
call "$sid" medium &
term_call_pid=$!
any_full() { local i; for i in $(seq 1 "$N"); do worker_full "$i" && return 0; done; return 1; }
wait_for 20 any_full || true
k=""
for i in $(seq 1 "$N"); do worker_full "$i" && { k="$i"; break; }; done
if [ -z "$k" ]; then
    fail "a worker takes the call" "none became full"
else
    t2=$(now_ms)
    kill -TERM "${worker_pid[$k]}"
    draining() { curl -s -m 1 "http://127.0.0.1:${worker_port[$k]}/health/ready" | grep -q draining; }
    if wait_for 10 draining; then
        pass "worker$k readiness says draining" "$(curl -s -m 1 "http://127.0.0.1:${worker_port[$k]}/health/ready") after $(( $(now_ms) - t2 )) ms"
    else
        fail "worker$k readiness says draining" "$(curl -s -m 1 "http://127.0.0.1:${worker_port[$k]}/health/ready")"
    fi
    if wait_for 10 server_not_up "$k"; then
        pass "draining worker$k leaves rotation" "HAProxy: $(server_status "$k") $(( $(now_ms) - t2 )) ms after SIGTERM"
    else
        fail "draining worker$k leaves rotation" "HAProxy still says $(server_status "$k")"
    fi
    during=()
    during_failed=0
    for c in $(seq 1 $((N - 1))); do
        s="$(new_call_sid "d$c")"
        during+=("$s")
        call "$s" short || during_failed=$((during_failed + 1))
    done
    elsewhere=0
    on_k=0
    for s in "${during[@]}"; do
        w="$(wait_for 15 result_worker "$s" >/dev/null && result_worker "$s" || echo none)"
        if [ "$w" = "$k" ]; then on_k=$((on_k + 1)); elif [ "$w" != none ]; then elsewhere=$((elsewhere + 1)); fi
    done
    check "calls keep landing on the others" "$elsewhere of $((N - 1)) calls during the drain served elsewhere, $during_failed failed" [ "$elsewhere" -eq $((N - 1)) ]
    check "no new call reaches the draining worker" "$on_k on worker$k" [ "$on_k" -eq 0 ]
    call_status=0
    wait "$term_call_pid" || call_status=$?
    w="$(wait_for 15 result_worker "$sid" >/dev/null && result_worker "$sid" || echo none)"
    if [ "$w" = "$k" ]; then
        f="$(result_file "$work/w$k/spool" "$sid")"
        pass "its call finishes with its result" "simulator exit $call_status, result on worker$k: end_reason $(result_field "$f" end_reason), $(result_field "$f" turns) turn(s)"
    else
        fail "its call finishes with its result" "simulator exit $call_status, result on worker ${w}"
    fi
    wait_exit "${worker_pid[$k]}" 60 || true
    exit_status="$WAIT_STATUS"
    check "draining worker exits 0" "exit $exit_status, by $(( $(now_ms) - t2 )) ms after SIGTERM (its call had ended)" [ "$exit_status" = 0 ]
    start_worker "$k"
    wait_for 60 worker_ready "$k" && wait_for 30 server_is "$k" UP || fail "worker$k back after restart" "not ready"
fi

# --- 4. rolling restart of every worker under continuous load
echo "== 4. rolling restart under load ($LOAD_CALLERS callers placing calls back to back)"
stop_file="$work/stop-load"
load_loop() {
    local id="$1" n=0 s status
    while [ ! -e "$stop_file" ]; do
        n=$((n + 1))
        s="$(new_call_sid "l${id}n${n}-")"
        status=0
        call "$s" short || status=$?
        printf '%s %s\n' "$s" "$status" >>"$work/load-$id.list"
    done
}
for l in $(seq 1 "$LOAD_CALLERS"); do
    load_loop "$l" &
    load_pids+=($!)
done
t3=$(now_ms)
restart_report=""
restart_failed=0
for i in $(seq 1 "$N"); do
    t_restart=$(now_ms)
    kill -TERM "${worker_pid[$i]}"
    wait_exit "${worker_pid[$i]}" 60 || true
    status="$WAIT_STATUS"
    [ "$status" = 0 ] || restart_failed=$((restart_failed + 1))
    start_worker "$i"
    if wait_for 60 worker_ready "$i" && wait_for 30 server_is "$i" UP; then
        restart_report+="w$i:exit$status/$(( $(now_ms) - t_restart ))ms "
    else
        restart_failed=$((restart_failed + 1))
        restart_report+="w$i:not-back "
    fi
done
touch "$stop_file"
for p in "${load_pids[@]}"; do wait "$p" || true; done
load_pids=()
check "every worker restarted" "$restart_report(total $(( $(now_ms) - t3 )) ms)" [ "$restart_failed" -eq 0 ]
total=0
lost=0
missing=0
declare -A per_worker=()
while read -r s status; do
    total=$((total + 1))
    [ "$status" = 0 ] || lost=$((lost + 1))
    w="$(wait_for 15 result_worker "$s" >/dev/null && result_worker "$s" || echo none)"
    if [ "$w" = none ]; then missing=$((missing + 1)); else per_worker[$w]=$(( ${per_worker[$w]:-0} + 1 )); fi
done < <(cat "$work"/load-*.list 2>/dev/null)
distribution=""
for i in $(seq 1 "$N"); do distribution+="w$i:${per_worker[$i]:-0} "; done
none_lost() { [ "$total" -gt 0 ] && [ "$lost" -eq 0 ]; }
check "no call lost during the rolling restart" "$total calls, $lost failed ($distribution)" none_lost
check "no result lost during the rolling restart" "$((total - missing)) of $total results on disk" [ "$missing" -eq 0 ]

echo "fleet-check took $((SECONDS - started)) s"
checks_summary "fleet-check"
