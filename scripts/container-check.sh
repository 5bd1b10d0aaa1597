#!/usr/bin/env bash
# Builds the call-worker container image with podman and runs it here, then checks it:
#   /health and /health/ready through a published port; the HEALTHCHECK; PID 1 is tini and
#   the worker runs as a non-root uid; the root file system is read-only; a simulated call
#   through the container against a local provider (provider-fake on the host), its result
#   on the volume; SIGTERM during a call -> the call ends with a `drain` result on the volume
#   and the container exits 0 within the drain budget; OCI labels; the image size.
#
#   scripts/container-check.sh                 # build (cached layers) + run the checks
#   SKIP_BUILD=1 IMAGE=... EXPECTED_REVISION=<sha> scripts/container-check.sh
#                                              # check an image built before
#
# Not part of .ci/run: the release build inside the container takes 10-20+ minutes.
# Needs: podman, runc, debootstrap (installed when missing), espeak-ng, python3, curl, and the
# host's debug build of provider-fake and call-simulator (BIN_DIR, default .build/debug;
# `swift build --product provider-fake && swift build --product call-simulator`).
# When no registry is reachable, scripts/container-bases.sh makes local stand-ins for
# swift:6.3-bookworm and debian:bookworm-slim first (once; they are cached in podman's store).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh

BIN_DIR="${BIN_DIR:-$root/.build/debug}"
GIT_SHA="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
IMAGE="${IMAGE:-localhost/call-worker:${GIT_SHA:0:12}}"
SWIFT_PACKAGE_MIRROR="${SWIFT_PACKAGE_MIRROR:-/opt/swift-packages}"
DRAIN_BUDGET_S="${DRAIN_BUDGET_S:-15}"
# The issue's aim is < 150 MB; the binary alone is ~90 MB (the static Swift standard library
# with Foundation and ICU's data, ~47 MB of it), the slim base ~78 MB. The check guards
# against growth beyond SIZE_LIMIT_MB and prints the aim separately.
SIZE_AIM_MB=150
SIZE_LIMIT_MB="${SIZE_LIMIT_MB:-200}"
started=$SECONDS

for tool in provider-fake call-simulator; do
    [ -x "$BIN_DIR/$tool" ] || { echo "container-check: $BIN_DIR/$tool missing (swift build --product $tool)" >&2; exit 2; }
done

work="$(mktemp -d /tmp/container-check.XXXXXX)"
container="call-worker-check-$$"
provider_pid=""
cleanup() {
    pm rm -f -t 0 "$container" >/dev/null 2>&1 || true
    [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null && wait "$provider_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

pm_install podman runc debootstrap
echo "== base images"
bash scripts/container-bases.sh debian swift

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== podman build $IMAGE (release, static Swift stdlib; log: ${BUILD_LOG:-/tmp/container-check-build.log})"
    build_started=$SECONDS
    build_log="${BUILD_LOG:-/tmp/container-check-build.log}"
    if ! pm_build_image runtime "$IMAGE" "$build_log"; then
        tail -40 "$build_log"
        fail "image builds" "see the build log above"
        exit 1
    fi
    pass "image builds" "$IMAGE in $((SECONDS - build_started)) s"
fi

echo "== image"
size_bytes="$(pm image inspect --format '{{.Size}}' "$IMAGE")"
size_mb=$((size_bytes / 1000000))
binary_mb="$(pm run --rm "${PODMAN_ULIMITS[@]}" --entrypoint /bin/stat "$IMAGE" -c %s /usr/local/bin/call-worker 2>/dev/null | awk '{printf "%.1f", $1/1000000}')"
compressed_mb="$(pm save "$IMAGE" 2>/dev/null | gzip -6 | wc -c | awk '{printf "%.1f", $1/1000000}')"
aim="aim < ${SIZE_AIM_MB} MB $([ "$size_mb" -lt "$SIZE_AIM_MB" ] && echo met || echo 'NOT met')"
check "image size < ${SIZE_LIMIT_MB} MB" "${size_mb} MB (${aim}); binary ${binary_mb} MB; ${compressed_mb} MB gzipped" [ "$size_mb" -lt "$SIZE_LIMIT_MB" ]
revision="$(pm image inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE")"
expected_revision="${EXPECTED_REVISION:-$GIT_SHA}"
check "OCI label revision = git SHA" "$revision" [ "$revision" = "$expected_revision" ]
stop_signal="$(pm image inspect --format '{{.Config.StopSignal}}' "$IMAGE")"
check "STOPSIGNAL SIGTERM" "$stop_signal" [ "$stop_signal" = SIGTERM ]
healthcheck="$(pm image inspect --format '{{if .Config.Healthcheck}}{{join .Config.Healthcheck.Test " "}}{{end}}' "$IMAGE" 2>/dev/null || true)"
check "HEALTHCHECK defined" "$healthcheck" [ -n "$healthcheck" ]
user="$(pm image inspect --format '{{.Config.User}}' "$IMAGE")"
non_root() { [ -n "$1" ] && [ "${1%%:*}" != 0 ] && [ "${1%%:*}" != root ]; }
check "image user is not root" "USER $user" non_root "$user"
secrets="$(pm run --rm "${PODMAN_ULIMITS[@]}" --entrypoint /bin/sh "$IMAGE" -c 'find / -xdev \( -name ".env" -o -name ".env.*" -o -name "Package.swift" \) 2>/dev/null' 2>/dev/null || true)"
check "no .env or sources in the image" "${secrets:-none found}" [ -z "$secrets" ]

echo "== run"
make_turns "$work/turns"
provider_port="$(free_port)"
"$BIN_DIR/provider-fake" --host 0.0.0.0 --port "$provider_port" --log-level warning >"$work/provider.log" 2>&1 &
provider_pid=$!
wait_for 30 grep -q "listening" "$work/provider.log" || { cat "$work/provider.log"; echo "provider-fake did not start" >&2; exit 1; }
worker_port="$(free_port)"
data="$work/data"
mkdir -p "$data/spool" "$data/recordings"
chown -R 10001:10001 "$data"
run_started=$(now_ms)
pm run -d --name "$container" "${PODMAN_ULIMITS[@]}" --read-only \
    -v "$data:/var/lib/call-worker" -p "127.0.0.1:$worker_port:8080" \
    -e OPENAI_BASE_URL="http://host.containers.internal:$provider_port/v1" -e OPENAI_API_KEY=sk-dev-local \
    -e TWILIO_SIGNATURES=off -e RESULT_WEBHOOK_ALLOW_HTTP=1 -e RESULT_WEBHOOK_SECRET=dev-webhook-secret \
    -e DRAIN_TIMEOUT=2 -e DRAIN_BUDGET="$DRAIN_BUDGET_S" -e LOG_LEVEL=info \
    "$IMAGE" >/dev/null 2> >(grep -v 'systemd connection' >&2)
base="http://127.0.0.1:$worker_port"
if wait_http "$base/health" 200 60; then
    pass "/health 200" "$(( $(now_ms) - run_started )) ms after podman run"
else
    fail "/health 200" "got $(http_status "$base/health")"
    pm logs "$container" | tail -20
    exit 1
fi
ready="$(curl -s -m 3 "$base/health/ready" || true)"
check "/health/ready 200, ready" "$ready" [ "$(http_status "$base/health/ready")" = 200 ]
if pm healthcheck run "$container" >/dev/null 2>&1; then pass "HEALTHCHECK passes" "podman healthcheck run"; else fail "HEALTHCHECK passes" "podman healthcheck run failed"; fi

pid1="$(pm exec "$container" cat /proc/1/comm)"
check "PID 1 is tini" "$pid1" [ "$pid1" = tini ]
worker_uid="$(pm exec "$container" sh -c 'for s in /proc/[0-9]*/status; do if grep -q "^Name:[[:space:]]*call-worker" "$s"; then awk "/^Uid:/ {print \$2}" "$s"; fi; done' | head -1)"
check "worker runs as a non-root uid" "uid ${worker_uid:-?}" non_root "$worker_uid"
worker_parent="$(pm exec "$container" sh -c 'for s in /proc/[0-9]*/status; do if grep -q "^Name:[[:space:]]*call-worker" "$s"; then awk "/^PPid:/ {print \$2}" "$s"; fi; done' | head -1)"
check "worker is tini's child" "ppid ${worker_parent:-?}" [ "$worker_parent" = 1 ]
if pm exec "$container" sh -c 'touch /usr/local/bin/x' 2>/dev/null; then
    fail "root file system read-only" "a write to /usr/local/bin succeeded"
else
    pass "root file system read-only" "write to /usr/local/bin refused; spool on the volume"
fi

echo "== simulated call through the container"
call_sid="$(new_call_sid 1)"
call_started=$(now_ms)
if "$BIN_DIR/call-simulator" --call-sid "$call_sid" --out "$work/agent.wav" "ws://127.0.0.1:$worker_port/ws/demo" "$work/turns/short.wav" >"$work/call1.log" 2>&1; then
    replies="$(grep -o 'summary: [0-9]* repl' "$work/call1.log" | grep -o '[0-9]*' || echo 0)"
    check "simulated call completes" "$(( $(now_ms) - call_started )) ms, $replies reply(ies): $(grep 'latency' "$work/call1.log" | tail -1 | sed 's/^ *//')" [ "${replies:-0}" -ge 1 ]
else
    fail "simulated call completes" "call-simulator failed: $(tail -3 "$work/call1.log" | tr '\n' ' ')"
fi
if wait_for 30 result_file "$data/spool" "$call_sid" >/dev/null; then
    file="$(result_file "$data/spool" "$call_sid")"
    pass "result on the volume" "$(basename "$file"): end_reason $(result_field "$file" end_reason), $(result_field "$file" turns) turn(s)"
else
    fail "result on the volume" "no result for $call_sid in $data/spool"
fi

echo "== SIGTERM during a call"
call_sid="$(new_call_sid 2)"
"$BIN_DIR/call-simulator" --call-sid "$call_sid" --wait 60 --out "$work/agent2.wav" "ws://127.0.0.1:$worker_port/ws/demo" "$work/turns/long.wav" >"$work/call2.log" 2>&1 &
caller_pid=$!
if wait_http "$base/health/ready" 503 30; then
    pass "call in progress" "/health/ready 503: $(curl -s -m 2 "$base/health/ready")"
else
    fail "call in progress" "/health/ready never said full"
fi
term_started=$(now_ms)
pm kill --signal TERM "$container" >/dev/null
exit_code="$(timeout $((DRAIN_BUDGET_S + 30)) podman "${PODMAN_GLOBAL_FLAGS[@]}" wait "$container" 2>/dev/null || echo timeout)"
elapsed=$(( $(now_ms) - term_started ))
check "exit status 0 after SIGTERM" "exit $exit_code" [ "$exit_code" = 0 ]
check "exited within the drain budget" "${elapsed} ms <= ${DRAIN_BUDGET_S} s" [ "$elapsed" -le $((DRAIN_BUDGET_S * 1000)) ]
wait_exit "$caller_pid" 30 || kill "$caller_pid" 2>/dev/null || true
if file="$(result_file "$data/spool" "$call_sid")"; then
    reason="$(result_field "$file" end_reason)"
    check "drain result on the volume" "$(basename "$file"): end_reason $reason" [ "$reason" = drain ]
else
    fail "drain result on the volume" "no result for $call_sid in $data/spool"
fi
if pm logs "$container" 2>&1 | grep -q '"draining'; then pass "worker logged the drain" "$(pm logs "$container" 2>&1 | grep -c 'drain') drain log line(s)"; else fail "worker logged the drain" "no drain log line"; fi

echo "== image $IMAGE: $size_mb MB ($compressed_mb MB gzipped); checks took $((SECONDS - started)) s"
checks_summary "container-check"
