#!/usr/bin/env bash
# Brings up the local stack of compose.yaml with podman-compose and serves one simulated call
# end to end: call-simulator (in the dev image, on the stack's network) -> HAProxy -> a worker
# -> the provider fake -> the result webhook receiver; the workers registered in PostgreSQL.
#
#   scripts/compose-check.sh              # build images (cached), up, check, down
#   KEEP_UP=1 scripts/compose-check.sh    # leave the stack running afterwards
#
# Not part of .ci/run (it needs the container images: a release build, 10-20+ minutes).
# Creates .env from .env.example when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh

project=call-pipeline
started=$SECONDS
pm_install podman runc debootstrap podman-compose
[ -f .env ] || { cp .env.example .env; echo "compose-check: created .env from .env.example"; }
set -a
# shellcheck disable=SC1091
source .env
set +a
CALL_WORKER_IMAGE="${CALL_WORKER_IMAGE:-localhost/call-worker:dev}"
CALL_DEV_IMAGE="${CALL_DEV_IMAGE:-localhost/call-worker-dev:dev}"
HAPROXY_STATS_PORT="${HAPROXY_STATS_PORT:-8404}"
WEBHOOK_PORT="${WEBHOOK_PORT:-8090}"
work="$(mktemp -d /tmp/compose-check.XXXXXX)"
pm_containers_conf "$work/containers.conf" >/dev/null
compose() { podman-compose -p "$project" -f compose.yaml "$@"; }
cleanup() {
    if [ "${KEEP_UP:-0}" != 1 ]; then compose down >"$work/down.log" 2>&1 || cat "$work/down.log"; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== images"
bash scripts/container-bases.sh debian swift postgres haproxy
t=$SECONDS
pm_build_image runtime "$CALL_WORKER_IMAGE" "$work/build-runtime.log" || { tail -30 "$work/build-runtime.log"; exit 1; }
pm_build_image dev "$CALL_DEV_IMAGE" "$work/build-dev.log" || { tail -30 "$work/build-dev.log"; exit 1; }
pass "images built" "$CALL_WORKER_IMAGE, $CALL_DEV_IMAGE in $((SECONDS - t)) s"

echo "== up"
DNS_RESOLVE=1 FORWARDED_PROTO=http BIND='*:8080' STATS_BIND='*:8404' \
    deploy/haproxy/render.sh deploy/compose/fleet.list deploy/compose/haproxy.cfg
t=$SECONDS
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "podman-compose up" "see above"; exit 1; }
workers_up() {
    [ "$(curl -s -m 2 "http://127.0.0.1:$HAPROXY_STATS_PORT/stats;csv" |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i } $1 == "workers" && $2 ~ /^worker/ && $c == "UP"' | wc -l)" -eq 3 ]
}
if wait_for 120 workers_up; then
    pass "stack up, HAProxy sees 3 workers UP" "$((SECONDS - t)) s after podman-compose up"
else
    fail "stack up, HAProxy sees 3 workers UP" "$(curl -s -m 2 "http://127.0.0.1:$HAPROXY_STATS_PORT/stats;csv" | awk -F, '$1 == "workers" {print $2, $18}' | tr '\n' ' ')"
    compose ps || true
    for s in worker1 haproxy; do pm logs --tail 10 "${project}_${s}_1" 2>&1 || true; done
    exit 1
fi
registered="$(pm exec "${project}_postgres_1" psql -U capacity -d capacity -Atc 'SELECT count(*) FROM call_capacity.workers WHERE NOT draining' 2>/dev/null || echo 0)"
check "workers registered in PostgreSQL" "$registered worker row(s) in call_capacity.workers" [ "$registered" -eq 3 ]

echo "== one simulated call end to end"
make_turns "$work/turns"
chmod -R a+rX "$work/turns"
call_sid="$(new_call_sid compose)"
t=$(now_ms)
if pm run --rm "${PODMAN_ULIMITS[@]}" --network "${project}_default" -v "$work/turns:/turns:ro" "$CALL_DEV_IMAGE" \
    call-simulator --call-sid "$call_sid" --out /tmp/agent.wav ws://haproxy:8080/ws/demo /turns/short.wav >"$work/call.log" 2>&1; then
    pass "simulated call through HAProxy" "$(( $(now_ms) - t )) ms; $(grep '^summary' "$work/call.log")"
else
    fail "simulated call through HAProxy" "$(tail -3 "$work/call.log" | tr '\n' ' ')"
fi
delivered() { curl -s -m 2 "http://127.0.0.1:$WEBHOOK_PORT/results" | grep -q "$call_sid"; }
if wait_for 30 delivered; then
    pass "result delivered to the webhook receiver" "$(curl -s -m 2 "http://127.0.0.1:$WEBHOOK_PORT/results" | python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['call_id']=='$call_sid'][0]; print('end_reason', r['end_reason'], 'turns', r['turns'], 'signature header', r['signature_header'])")"
else
    fail "result delivered to the webhook receiver" "nothing for $call_sid"
    pm logs --tail 10 "${project}_webhook_1" || true
fi
served_by=""
for s in worker1 worker2 worker3; do
    if pm logs "${project}_${s}_1" 2>&1 | grep -c "$call_sid" >/dev/null; then served_by+="$s "; fi
done
check "one worker served it" "${served_by:-none}" [ "$(wc -w <<<"$served_by")" -eq 1 ]

echo "compose-check took $((SECONDS - started)) s"
checks_summary "compose-check"
