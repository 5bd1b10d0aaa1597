#!/usr/bin/env bash
# Adds workers to a fleet file (see render.sh), then optionally re-renders haproxy.cfg and
# reloads a running HAProxy (master-worker mode: SIGUSR2 to the master; calls in progress
# stay on the old process until they end, new calls see the new fleet).
#
#   deploy/haproxy/add-fleet.sh FLEET_FILE NAME=HOST:PORT [NAME=HOST:PORT ...]
#   deploy/haproxy/add-fleet.sh FLEET_FILE --range PREFIX HOST FIRST_PORT COUNT
#       [--render OUT] [--reload MASTER_PID]
#
# A name or address already in the file is an error (nothing is written).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
die() { printf 'add-fleet.sh: %s\n' "$*" >&2; exit 1; }
fleet="${1:?usage: add-fleet.sh FLEET_FILE NAME=HOST:PORT... | --range PREFIX HOST FIRST_PORT COUNT [--render OUT] [--reload PID]}"
shift
entries=()
render_out=""
reload_pid=""
while [ $# -gt 0 ]; do
    case "$1" in
        --range)
            [ $# -ge 5 ] || die "--range needs PREFIX HOST FIRST_PORT COUNT"
            prefix="$2" host="$3" first="$4" count="$5"
            [[ "$first" =~ ^[0-9]+$ && "$count" =~ ^[0-9]+$ ]] || die "--range FIRST_PORT and COUNT must be numbers"
            for ((i = 0; i < count; i++)); do entries+=("${prefix}$((i + 1)) ${host}:$((first + i))"); done
            shift 5 ;;
        --render) render_out="${2:?--render needs a path}"; shift 2 ;;
        --reload) reload_pid="${2:?--reload needs the HAProxy master pid}"; shift 2 ;;
        *=*) entries+=("${1%%=*} ${1#*=}"); shift ;;
        *) die "unexpected argument '$1'" ;;
    esac
done
[ ${#entries[@]} -gt 0 ] || die "no workers given"
touch "$fleet"

existing="$(sed -e 's/#.*//' "$fleet")"
for entry in "${entries[@]}"; do
    read -r name address <<<"$entry"
    [[ "$name" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "bad worker name '$name'"
    [[ "$address" =~ ^[A-Za-z0-9_.-]+:[0-9]{1,5}$ ]] || die "bad address '$address' (HOST:PORT)"
    if awk -v n="$name" -v a="$address" '$1 == n || $2 == a { found = 1 } END { exit !found }' <<<"$existing"; then
        die "$name or $address is already in $fleet"
    fi
    existing+=$'\n'"$name $address"
done
printf '%s\n' "${entries[@]}" >>"$fleet"
printf 'add-fleet.sh: added %d worker(s) to %s\n' "${#entries[@]}" "$fleet" >&2

if [ -n "$render_out" ]; then
    "$here/render.sh" "$fleet" "$render_out"
fi
if [ -n "$reload_pid" ]; then
    [ -n "$render_out" ] || die "--reload needs --render"
    kill -USR2 "$reload_pid"
    printf 'add-fleet.sh: reloaded HAProxy (master pid %s)\n' "$reload_pid" >&2
fi
