#!/usr/bin/env bash
# Deploys a tag of the call-worker image to an environment on this host, with health checks.
#
#   scripts/deploy.sh ENV [TAG]            (TAG defaults to what the ENV alias points at)
#
# Pulls TAG when REGISTRY is set, then replaces the container `call-worker-ENV`: the old
# one gets SIGTERM and drains its call (podman stop, up to STOP_TIMEOUT=60 s), the new one
# starts with the same port, environment file and data volume (the result spool survives
# deploys) and must pass /health and /health/ready within HEALTH_TIMEOUT (60 s). If it does
# not, the previous tag is started again and the deploy fails. A successful deploy is
# recorded in the environment's history (scripts/rollback.sh reads it).
#   DEPLOY_PORT=8080           host port (127.0.0.1 only unless DEPLOY_BIND is set)
#   DEPLOY_ENV_FILE=.env       environment file for the worker (skipped when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh
# shellcheck source=lib/release.sh
source scripts/lib/release.sh
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh

env="${1:?usage: deploy.sh ENV [TAG]}"
valid_env "$env"
kind="${DEPLOY_KIND:-deploy}"
port="${DEPLOY_PORT:-8080}"
bind="${DEPLOY_BIND:-127.0.0.1}"
env_file="${DEPLOY_ENV_FILE:-.env}"
health_timeout="${HEALTH_TIMEOUT:-60}"
stop_timeout="${STOP_TIMEOUT:-60}"
container="call-worker-$env"
volume="call-worker-$env-data"

if [ -n "${2:-}" ]; then
    tag="$2"
else
    # The alias resolves to the SHA tag it was released as.
    alias_id="$(image_id "$IMAGE_NAME:$env")"
    [ -n "$alias_id" ] || release_die "no $IMAGE_NAME:$env (scripts/release.sh $env first)"
    tag="$(pm image inspect --format '{{range .RepoTags}}{{println .}}{{end}}' "$IMAGE_NAME:$env" |
        sed -n "s|^$IMAGE_NAME:||p" | grep -v -x -e staging -e production -e latest | head -1)"
    [ -n "$tag" ] || release_die "$IMAGE_NAME:$env has no SHA tag"
fi
if [ -n "$REGISTRY" ]; then
    pm pull "$(image_ref "$tag")"
    pm tag "$(image_ref "$tag")" "$IMAGE_NAME:$tag"
fi
pm image exists "$IMAGE_NAME:$tag" || release_die "no image $IMAGE_NAME:$tag"

run_container() {
    local run_tag="$1" args=()
    [ -f "$env_file" ] && args+=(--env-file "$env_file")
    pm volume exists "$volume" || pm volume create "$volume" >/dev/null
    pm run -d --name "$container" "${PODMAN_ULIMITS[@]}" --read-only --restart on-failure:3 \
        -v "$volume:/var/lib/call-worker" -p "$bind:$port:8080" \
        --label "call-pipeline.env=$env" --label "call-pipeline.tag=$run_tag" \
        "${args[@]}" ${DEPLOY_EXTRA_ARGS:-} "$IMAGE_NAME:$run_tag" >/dev/null 2> >(grep -v 'systemd connection' >&2)
}

healthy() {
    local base="http://127.0.0.1:$port"
    wait_http "$base/health" 200 "$health_timeout" && wait_http "$base/health/ready" 200 "$health_timeout"
}

stop_container() {
    if pm container exists "$container"; then
        release_log "stopping $container ($(pm inspect --format '{{index .Config.Labels "call-pipeline.tag"}}' "$container")): SIGTERM, drain up to ${stop_timeout} s"
        pm stop -t "$stop_timeout" "$container" >/dev/null || true
        pm rm -f "$container" >/dev/null
    fi
}

previous="$(pm inspect --format '{{index .Config.Labels "call-pipeline.tag"}}' "$container" 2>/dev/null || true)"
stop_container
release_log "starting $container from $IMAGE_NAME:$tag on $bind:$port"
run_container "$tag"
if healthy; then
    record_deploy "$env" "$tag" "$kind"
    release_log "$env: $IMAGE_NAME:$tag healthy ($(curl -s -m 2 "http://127.0.0.1:$port/health/ready"))"
    exit 0
fi
release_log "$IMAGE_NAME:$tag failed its health checks; logs:"
pm logs --tail 20 "$container" >&2 || true
pm rm -f "$container" >/dev/null
if [ -n "$previous" ] && [ "$previous" != "$tag" ]; then
    release_log "starting the previous tag $previous again"
    run_container "$previous"
    healthy && release_log "$env: back on $previous" || release_log "$env: $previous is not healthy either"
fi
exit 1
