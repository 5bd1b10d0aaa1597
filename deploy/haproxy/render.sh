#!/usr/bin/env bash
# Renders haproxy.cfg for a fleet of one-call workers from haproxy.cfg.template.
#
#   deploy/haproxy/render.sh FLEET_FILE [OUT]      (OUT defaults to stdout)
#
# FLEET_FILE: one worker per line, `NAME ADDRESS:PORT` (# comments and blank lines ignored);
# deploy/haproxy/add-fleet.sh appends to it. Settings (environment, with defaults):
#   BIND=*:8080               the public frontend (TLS usually ends in front of HAProxy)
#   QUEUE_TIMEOUT=2s          longest wait for a free worker before 503
#   TUNNEL_TIMEOUT=1h         longest call (WebSocket idle/total tunnel timeout)
#   CHECK_INTERVAL=1s         /health/ready check interval while a worker is up
#   FORWARDED_PROTO=https     X-Forwarded-Proto sent to the workers (http for plain local use)
#   STATS_BIND=127.0.0.1:8404 the stats page (/stats, ;csv for scripts)
#   DNS_RESOLVE=0             1: worker addresses are DNS names re-resolved at run time
#                             (compose, container networks): resolvers from /etc/resolv.conf,
#                             HAProxy starts even when a worker is not resolvable yet
# The result is checked with `haproxy -c` when haproxy is installed (VALIDATE=0 skips it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fleet="${1:?usage: render.sh FLEET_FILE [OUT]}"
out="${2:-}"
template="${TEMPLATE:-$here/haproxy.cfg.template}"

BIND="${BIND:-*:8080}"
QUEUE_TIMEOUT="${QUEUE_TIMEOUT:-2s}"
TUNNEL_TIMEOUT="${TUNNEL_TIMEOUT:-1h}"
CHECK_INTERVAL="${CHECK_INTERVAL:-1s}"
FORWARDED_PROTO="${FORWARDED_PROTO:-https}"
STATS_BIND="${STATS_BIND:-127.0.0.1:8404}"
DNS_RESOLVE="${DNS_RESOLVE:-0}"
resolvers=""
server_options=""
if [ "$DNS_RESOLVE" = 1 ]; then
    resolvers=$'resolvers local\n    parse-resolv-conf\n    hold valid 5s\n    hold nx 2s\n'
    server_options=" resolvers local init-addr last,libc,none"
fi

die() { printf 'render.sh: %s\n' "$*" >&2; exit 1; }
duration='^[0-9]+(ms|s|m|h|d)?$'
for pair in "QUEUE_TIMEOUT=$QUEUE_TIMEOUT" "TUNNEL_TIMEOUT=$TUNNEL_TIMEOUT" "CHECK_INTERVAL=$CHECK_INTERVAL"; do
    [[ "${pair#*=}" =~ $duration ]] || die "${pair%%=*} must be an HAProxy duration like 2s, got '${pair#*=}'"
done
[[ "$FORWARDED_PROTO" =~ ^(http|https)$ ]] || die "FORWARDED_PROTO must be http or https"
[[ "$BIND" =~ ^[^[:space:]]+:[0-9]+$ ]] || die "BIND must be ADDRESS:PORT, got '$BIND'"
[[ "$STATS_BIND" =~ ^[^[:space:]]+:[0-9]+$ ]] || die "STATS_BIND must be ADDRESS:PORT, got '$STATS_BIND'"
[ -f "$fleet" ] || die "no fleet file $fleet"

servers=""
declare -A seen_names=() seen_addresses=()
line_number=0
while IFS= read -r line || [ -n "$line" ]; do
    line_number=$((line_number + 1))
    line="${line%%#*}"
    read -r name address extra <<<"$line" || true
    [ -z "${name:-}" ] && continue
    [ -z "${extra:-}" ] || die "$fleet:$line_number: expected 'NAME ADDRESS:PORT'"
    [[ "$name" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "$fleet:$line_number: bad worker name '$name'"
    [[ "${address:-}" =~ ^[A-Za-z0-9_.-]+:[0-9]{1,5}$ ]] || die "$fleet:$line_number: bad address '${address:-}' (HOST:PORT)"
    [ -z "${seen_names[$name]:-}" ] || die "$fleet:$line_number: duplicate worker name $name"
    [ -z "${seen_addresses[$address]:-}" ] || die "$fleet:$line_number: duplicate address $address"
    seen_names[$name]=1
    seen_addresses[$address]=1
    servers+="    server ${name} ${address}"$'\n'
done <"$fleet"
[ -n "$servers" ] || die "$fleet lists no workers"

rendered="$(sed \
    -e "s|@BIND@|${BIND}|g" \
    -e "s|@QUEUE_TIMEOUT@|${QUEUE_TIMEOUT}|g" \
    -e "s|@TUNNEL_TIMEOUT@|${TUNNEL_TIMEOUT}|g" \
    -e "s|@CHECK_INTERVAL@|${CHECK_INTERVAL}|g" \
    -e "s|@FORWARDED_PROTO@|${FORWARDED_PROTO}|g" \
    -e "s|@STATS_BIND@|${STATS_BIND}|g" \
    "$template")"
rendered="${rendered/@SERVERS@/${servers%$'\n'}}"
rendered="${rendered/@RESOLVERS@/$resolvers}"
rendered="${rendered/@SERVER_OPTIONS@/$server_options}"

if [ -n "$out" ]; then
    tmp="$(mktemp "${out}.XXXXXX")"
    chmod 0644 "$tmp"  # read by HAProxy running as its own user (a container bind mount)
    printf '%s\n' "$rendered" >"$tmp"
    if [ "${VALIDATE:-1}" = 1 ] && command -v haproxy >/dev/null 2>&1; then
        haproxy -c -q -f "$tmp" || { rm -f "$tmp"; die "haproxy -c rejected the rendered configuration"; }
    fi
    mv "$tmp" "$out"
    printf 'render.sh: %s: %d worker(s)\n' "$out" "${#seen_names[@]}" >&2
else
    printf '%s\n' "$rendered"
fi
