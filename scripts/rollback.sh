#!/usr/bin/env bash
# Rolls an environment back to the tag deployed before the current one (from its deploy
# history): pins the ENV alias to that tag again and deploys it with health checks.
#
#   scripts/rollback.sh ENV [TAG]          (TAG: roll back to a specific earlier tag)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh
# shellcheck source=lib/release.sh
source scripts/lib/release.sh

env="${1:?usage: rollback.sh ENV [TAG]}"
valid_env "$env"
current="$(current_tag "$env")"
target="${2:-$(previous_tag "$env" || true)}"
[ -n "$target" ] || release_die "$env has no earlier deploy in $(history_file "$env")"
[ "$target" != "$current" ] || release_die "$env already runs $target"
pm image exists "$IMAGE_NAME:$target" || [ -n "$REGISTRY" ] || release_die "no image $IMAGE_NAME:$target"
release_log "$env: rolling back from ${current:-nothing} to $target"
pm tag "$IMAGE_NAME:$target" "$IMAGE_NAME:$env"
if [ -n "$REGISTRY" ]; then
    pm tag "$IMAGE_NAME:$target" "$(image_ref "$env")"
    pm push "$(image_ref "$env")"
fi
DEPLOY_KIND=rollback exec scripts/deploy.sh "$env" "$target"
