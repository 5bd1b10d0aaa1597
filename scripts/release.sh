#!/usr/bin/env bash
# Tags a release of the call-worker image and points an environment alias at it.
#
#   scripts/release.sh [--build] [--tag TAG] ENV
#
# TAG defaults to the git SHA of HEAD (12 hex digits); the image $IMAGE_NAME:TAG must exist
# (scripts/container-check.sh builds it) or is built with --build. The alias
# $IMAGE_NAME:ENV (staging, production) is moved to it; with REGISTRY set both are pushed.
# Then run scripts/deploy.sh ENV on each host.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh
# shellcheck source=lib/release.sh
source scripts/lib/release.sh

build=0
tag=""
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build=1; shift ;;
        --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) release_die "unknown option $1" ;;
        *) break ;;
    esac
done
env="${1:?usage: release.sh [--build] [--tag TAG] ENV}"
valid_env "$env"
tag="${tag:-$(git rev-parse --short=12 HEAD)}"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || release_die "bad tag '$tag'"
case "$tag" in staging|production|latest) release_die "release a SHA tag, not the alias '$tag'" ;; esac

if ! pm image exists "$IMAGE_NAME:$tag"; then
    [ "$build" = 1 ] || release_die "no image $IMAGE_NAME:$tag (build it: scripts/container-check.sh, or pass --build)"
    pm_build_image runtime "$IMAGE_NAME:$tag"
fi
pm tag "$IMAGE_NAME:$tag" "$IMAGE_NAME:$env"
if [ -n "$REGISTRY" ]; then
    pm tag "$IMAGE_NAME:$tag" "$(image_ref "$tag")"
    pm push "$(image_ref "$tag")"
    pm tag "$IMAGE_NAME:$tag" "$(image_ref "$env")"
    pm push "$(image_ref "$env")"
fi
release_log "$env -> $IMAGE_NAME:$tag (image $(image_id "$IMAGE_NAME:$tag"), revision $(pm image inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE_NAME:$tag"))"
