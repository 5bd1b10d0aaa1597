#!/usr/bin/env bash
# Tests release.sh, deploy.sh and rollback.sh locally with podman: deploy A, deploy B,
# roll back -> A running and healthy. A is the image scripts/container-check.sh built
# ($IMAGE_NAME:<git-sha>); B is the same build re-labelled (a one-layer image FROM A with a
# different org.opencontainers.image.revision), which is enough to tell the two apart and
# avoids a second full build. Uses its own environment name, port, state directory and
# data volume; removes them afterwards. Needs provider-fake in BIN_DIR (.build/debug).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh
# shellcheck source=lib/release.sh
source scripts/lib/release.sh

BIN_DIR="${BIN_DIR:-$root/.build/debug}"
export IMAGE_NAME="${IMAGE_NAME:-localhost/call-worker}"
tag_a="${TAG_A:-$(git rev-parse --short=12 HEAD)}"
tag_b="${tag_a}-relabel"
env="check$$"
work="$(mktemp -d /tmp/release-check.XXXXXX)"
export RELEASE_STATE_DIR="$work/state"
DEPLOY_PORT="$(free_port)"
export DEPLOY_PORT
export DEPLOY_ENV_FILE="$work/env"
export HEALTH_TIMEOUT=60 STOP_TIMEOUT=30
provider_pid=""
started=$SECONDS
cleanup() {
    pm rm -f -t 0 "call-worker-$env" >/dev/null 2>&1 || true
    pm volume rm -f "call-worker-$env-data" >/dev/null 2>&1 || true
    pm rmi "$IMAGE_NAME:$env" "$IMAGE_NAME:$tag_b" >/dev/null 2>&1 || true
    [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null && wait "$provider_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

pm image exists "$IMAGE_NAME:$tag_a" || { echo "release-check: no $IMAGE_NAME:$tag_a (run scripts/container-check.sh, or TAG_A=...)" >&2; exit 2; }
printf 'FROM %s\nLABEL org.opencontainers.image.revision="%s"\n' "$IMAGE_NAME:$tag_a" "$tag_b" >"$work/Containerfile"
pm build -q --pull=never --format docker -t "$IMAGE_NAME:$tag_b" -f "$work/Containerfile" "$work" >/dev/null

provider_port="$(free_port)"
"$BIN_DIR/provider-fake" --host 0.0.0.0 --port "$provider_port" --log-level warning >"$work/provider.log" 2>&1 &
provider_pid=$!
wait_for 30 grep -q listening "$work/provider.log"
cat >"$DEPLOY_ENV_FILE" <<ENV
OPENAI_BASE_URL=http://host.containers.internal:$provider_port/v1
OPENAI_API_KEY=sk-dev-local
TWILIO_SIGNATURES=off
RESULT_WEBHOOK_ALLOW_HTTP=1
RESULT_WEBHOOK_SECRET=dev-webhook-secret
ENV

running_revision() { pm inspect --format '{{index .Config.Labels "org.opencontainers.image.revision"}}' "call-worker-$env" 2>/dev/null; }
running_tag() { pm inspect --format '{{index .Config.Labels "call-pipeline.tag"}}' "call-worker-$env" 2>/dev/null; }
ready() { is_http_status "http://127.0.0.1:$DEPLOY_PORT/health/ready" 200; }
rev_a="$(pm image inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE_NAME:$tag_a")"

step() {
    local name="$1" want_tag="$2" want_rev="$3"; shift 3
    local t=$SECONDS
    if "$@" >"$work/step.log" 2>&1 && [ "$(running_tag)" = "$want_tag" ] && [ "$(running_revision)" = "$want_rev" ] && ready; then
        pass "$name" "running $want_tag (revision ${want_rev:0:20}), /health/ready 200, $((SECONDS - t)) s"
    else
        fail "$name" "running $(running_tag || echo none); $(tail -3 "$work/step.log" | tr '\n' ' ')"
    fi
}
step "release A to $env + deploy" "$tag_a" "$rev_a" sh -c "scripts/release.sh --tag $tag_a $env && scripts/deploy.sh $env"
step "release B to $env + deploy" "$tag_b" "$tag_b" sh -c "scripts/release.sh --tag $tag_b $env && scripts/deploy.sh $env"
step "rollback $env" "$tag_a" "$rev_a" scripts/rollback.sh "$env"
alias_id="$(image_id "$IMAGE_NAME:$env")"
check "alias $env pinned to A again" "$IMAGE_NAME:$env = $alias_id" [ "$alias_id" = "$(image_id "$IMAGE_NAME:$tag_a")" ]
check "history records deploy, deploy, rollback" "$(awk '{print $2 "/" $4}' "$RELEASE_STATE_DIR/$env.history" | tr '\n' ' ')" \
    [ "$(awk '{print $4}' "$RELEASE_STATE_DIR/$env.history" | tr '\n' ' ')" = "deploy deploy rollback " ]
# A deploy that fails its health checks goes back to what ran before.
printf 'FROM %s\nENV PORT=9\n' "$IMAGE_NAME:$tag_a" >"$work/Containerfile.bad"
pm build -q --pull=never --format docker -t "$IMAGE_NAME:$tag_a-broken" -f "$work/Containerfile.bad" "$work" >/dev/null
if HEALTH_TIMEOUT=10 scripts/deploy.sh "$env" "$tag_a-broken" >"$work/bad.log" 2>&1; then
    fail "unhealthy deploy refused" "deploy.sh succeeded"
else
    check "unhealthy deploy refused, previous tag back" "running $(running_tag), ready: $(ready && echo yes || echo no)" [ "$(running_tag)" = "$tag_a" ]
fi
pm rmi "$IMAGE_NAME:$tag_a-broken" >/dev/null 2>&1 || true
echo "release-check took $((SECONDS - started)) s"
checks_summary "release-check"
