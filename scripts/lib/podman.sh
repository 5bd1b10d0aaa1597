# shellcheck shell=bash
# Podman as it runs on these Debian 12 machines (rootful, no systemd, cgroups v1/hybrid):
# runc instead of crun, cgroupfs instead of systemd, and explicit ulimits (the defaults
# cannot be set: "setrlimit: Operation not permitted"). Meant to be `source`d.
#
#   pm run ...        podman with the global flags
#   pm_run_flags      the per-container flags (ulimits) for `pm run` / `pm create`
#   pm_build_flags    the same for `pm build` (its RUN steps are containers too)

PODMAN_GLOBAL_FLAGS=(--runtime runc --cgroup-manager=cgroupfs)
# A container cannot get more open files than this shell's hard limit.
_pm_nofile="$(ulimit -Hn)"
if [ "$_pm_nofile" = unlimited ] || [ "$_pm_nofile" -gt 65536 ]; then _pm_nofile=65536; fi
PODMAN_ULIMITS=(--ulimit "nofile=${_pm_nofile}:${_pm_nofile}" --ulimit nproc=4096:4096)

pm() { podman "${PODMAN_GLOBAL_FLAGS[@]}" "$@"; }

# Installs podman and friends from Debian when missing.
pm_install() {
    local missing=() p
    for p in podman runc debootstrap "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# Writes a containers.conf with the same settings and exports CONTAINERS_CONF, for tools
# that run podman themselves (podman-compose). Prints the file's path.
pm_containers_conf() {
    local file="${1:-$(mktemp /tmp/containers-conf.XXXXXX)}"
    cat >"$file" <<CONF
[containers]
default_ulimits = ["nofile=${_pm_nofile}:${_pm_nofile}", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
    export CONTAINERS_CONF="$file"
    printf '%s\n' "$file"
}

# pm_build_image TARGET TAG [LOG]: builds the Dockerfile's TARGET (runtime or dev) as TAG
# with the git SHA in the OCI labels. The stand-in builder reaches the Swift packages
# through the machine's mirror, mounted read-only (SWIFT_PACKAGE_MIRROR).
pm_build_image() {
    local target="$1" tag="$2" log="${3:-/dev/stderr}" mirror="${SWIFT_PACKAGE_MIRROR:-/opt/swift-packages}" mounts=()
    [ -d "$mirror" ] && mounts=(-v "$mirror:$mirror:ro")
    local sha
    sha="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
    pm build --format docker --pull=never "${PODMAN_ULIMITS[@]}" "${mounts[@]}" \
        --build-arg "GIT_SHA=$sha" --build-arg "VERSION=${VERSION:-${sha:0:12}}" \
        --build-arg "BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        --target "$target" -t "$tag" -f Dockerfile . >"$log" 2>&1
}
