#!/usr/bin/env bash
# Makes local stand-ins for the public base images the Dockerfile and compose.yaml name,
# when they cannot be pulled (no registry reachable), from Debian's own packages:
#
#   debian:bookworm-slim        debootstrap --variant=minbase, trimmed like the official slim
#                               image (no docs, man pages, locales or apt lists)
#   swift:6.3-bookworm          that + the toolchain's build dependencies + /opt/swift, with
#                               git pointed at the package mirror /opt/swift-packages
#   postgres:15-bookworm        that + postgresql-15, same env contract (POSTGRES_USER, ...)
#   haproxy:2.6                 that + haproxy, config at /usr/local/etc/haproxy/haproxy.cfg
#
# Each one is skipped when an image of that name exists already (pulled or made before).
#   scripts/container-bases.sh              # all of them
#   scripts/container-bases.sh debian swift # only those
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/podman.sh
source scripts/lib/podman.sh

MIRROR="${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SWIFT_TOOLCHAIN="${SWIFT_TOOLCHAIN:-/opt/swift}"
SWIFT_PACKAGE_MIRROR="${SWIFT_PACKAGE_MIRROR:-/opt/swift-packages}"
WORK="$(mktemp -d /tmp/container-bases.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

log() { printf 'container-bases: %s\n' "$*" >&2; }

# True when an image is present locally, or can be pulled.
have_image() {
    local name="$1"
    if pm image exists "$name"; then return 0; fi
    if [ "${TRY_PULL:-1}" = 1 ] && timeout 60 podman "${PODMAN_GLOBAL_FLAGS[@]}" pull -q "docker.io/library/$name" >/dev/null 2>&1; then
        log "pulled $name"
        return 0
    fi
    return 1
}

# Tags an image under both the short and the fully qualified Docker Hub name, so
# `FROM debian:bookworm-slim` resolves to it without a registry.
tag_both() {
    local image="$1" name="$2"
    pm tag "$image" "docker.io/library/$name"
    pm tag "$image" "localhost/$name"
}

make_debian() {
    local name=debian:bookworm-slim
    have_image "$name" && { log "$name present"; return; }
    log "$name: debootstrap --variant=minbase bookworm from $MIRROR (about 2-3 min)"
    local rootfs="$WORK/debian"
    local started=$SECONDS
    pm_install debootstrap
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
    # What the official slim image does: keep docs, man pages and locales out, clean apt.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources" 2>/dev/null || true
    [ -s "$rootfs/etc/apt/sources.list.d/debian.sources" ] && rm -f "$rootfs/etc/apt/sources.list"
    find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    tar -C "$rootfs" -c . | pm import \
        --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - "localhost/debian-bookworm-slim-standin" >/dev/null
    tag_both localhost/debian-bookworm-slim-standin "$name"
    log "$name ready in $((SECONDS - started)) s: $(pm run --rm "${PODMAN_ULIMITS[@]}" "$name" cat /etc/debian_version), $(image_size "$name")"
}

image_size() { pm image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1/1000000}'; }

# Builds a stand-in from a Containerfile under deploy/stand-ins (FROM debian:bookworm-slim).
make_from_containerfile() {
    local name="$1" file="$2"; shift 2
    have_image "$name" && { log "$name present"; return; }
    log "$name: building from $file"
    local started=$SECONDS
    pm build "${PODMAN_ULIMITS[@]}" --pull=never -f "$file" -t "localhost/${name//[:.]/-}-standin" "$@" deploy/stand-ins >&2
    tag_both "localhost/${name//[:.]/-}-standin" "$name"
    log "$name ready in $((SECONDS - started)) s, $(image_size "$name")"
}

make_swift() {
    local name=swift:6.3-bookworm
    have_image "$name" && { log "$name present"; return; }
    [ -x "$SWIFT_TOOLCHAIN/usr/bin/swift" ] || { log "no toolchain at $SWIFT_TOOLCHAIN"; exit 1; }
    log "$name: debian:bookworm-slim + build dependencies + $SWIFT_TOOLCHAIN ($(du -sh "$SWIFT_TOOLCHAIN" | cut -f1))"
    local started=$SECONDS
    # The toolchain goes in through the build context (a hard-linked copy when possible).
    local context="$WORK/swift-context"
    mkdir -p "$context"
    cp deploy/stand-ins/swift.Containerfile "$context/Containerfile"
    cp -al "$SWIFT_TOOLCHAIN" "$context/toolchain" 2>/dev/null || cp -a "$SWIFT_TOOLCHAIN" "$context/toolchain"
    pm build "${PODMAN_ULIMITS[@]}" --pull=never -f "$context/Containerfile" -t localhost/swift-6.3-bookworm-standin "$context" >&2
    tag_both localhost/swift-6.3-bookworm-standin "$name"
    log "$name ready in $((SECONDS - started)) s: $(pm run --rm "${PODMAN_ULIMITS[@]}" "$name" swift --version 2>&1 | head -1), $(image_size "$name")"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(debian swift postgres haproxy)
pm_install debootstrap
for target in "${targets[@]}"; do
    case "$target" in
        debian) make_debian ;;
        swift) make_debian; make_swift ;;
        postgres) make_debian; make_from_containerfile postgres:15-bookworm deploy/stand-ins/postgres.Containerfile ;;
        haproxy) make_debian; make_from_containerfile haproxy:2.6 deploy/stand-ins/haproxy.Containerfile ;;
        *) log "unknown image $target (debian, swift, postgres, haproxy)"; exit 2 ;;
    esac
done
