# shellcheck shell=bash
# Shared by release.sh, deploy.sh and rollback.sh. Meant to be `source`d after podman.sh.
#
# Images are `$IMAGE_NAME:<git-sha>` (12 hex digits), immutable; the environments are
# aliases on them (`$IMAGE_NAME:staging`, `$IMAGE_NAME:production`). Every deploy is
# appended to the environment's history, `$RELEASE_STATE_DIR/<env>.history`:
#   <UTC time> <tag> <image id> <deploy|rollback>
# With REGISTRY set (e.g. registry.example.com/call-pipeline) tags are pushed there and
# deploys pull from it; without it everything stays in the local podman store.

IMAGE_NAME="${IMAGE_NAME:-localhost/call-worker}"
RELEASE_STATE_DIR="${RELEASE_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/call-pipeline}"
REGISTRY="${REGISTRY:-}"

release_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
release_die() { release_log "$*"; exit 1; }

valid_env() { [[ "$1" =~ ^[a-z][a-z0-9-]{0,30}$ ]] || release_die "bad environment name '$1'"; }

# The full image reference for a tag, in the registry when one is configured.
image_ref() {
    if [ -n "$REGISTRY" ]; then printf '%s/call-worker:%s\n' "$REGISTRY" "$1"; else printf '%s:%s\n' "$IMAGE_NAME" "$1"; fi
}

image_id() { pm image inspect --format '{{.Id}}' "$1" 2>/dev/null | cut -c1-12; }

history_file() { printf '%s/%s.history\n' "$RELEASE_STATE_DIR" "$1"; }

record_deploy() {
    local env="$1" tag="$2" kind="$3"
    mkdir -p "$RELEASE_STATE_DIR"
    printf '%s %s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$tag" "$(image_id "$(image_ref "$tag")")" "$kind" >>"$(history_file "$env")"
}

# The tag deployed now in an environment (last history line), or nothing.
current_tag() { local f; f="$(history_file "$1")"; [ -f "$f" ] && tail -1 "$f" | awk '{print $2}'; return 0; }

# The tag that was running before the current one (the latest different tag in the history).
previous_tag() {
    local f current
    f="$(history_file "$1")"
    [ -f "$f" ] || return 1
    current="$(current_tag "$1")"
    awk -v c="$current" '$2 != c { t = $2 } END { if (t != "") print t; else exit 1 }' "$f"
}
