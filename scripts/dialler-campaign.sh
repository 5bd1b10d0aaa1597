#!/usr/bin/env bash
# Issue 16's campaign proof with every part a real process (Examples/DiallerCampaign):
# a throwaway PostgreSQL (.ci/postgres.sh) for the capacity registry and the dialler's tables,
# provider-fake, twilio-fake (Examples/TwilioFakeServer), 4 call-worker processes x 5 slots in
# the registry and `call-dialler serve` placing 200 leads of 3 campaigns (campaign and client
# quotas, a CPS pace) through the Twilio fake, with scripted busy / no-answer / failed /
# invalid-number / machine / human answers, one 429, and one worker SIGKILLed mid-campaign.
# Prints one PASS/FAIL line per check with its figures; exit status non-zero when one fails.
#
#   scripts/dialler-campaign.sh                 # debug build of the 5 products, then the run
#   BIN_DIR=.build/release scripts/dialler-campaign.sh --cps 10   # options go to dialler-campaign
#
# With CALL_CAPACITY_DATABASE_URL already set, that server is used (schemas campaign_capacity
# and campaign_dialler are dropped and recreated) and no PostgreSQL is started.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
started=$SECONDS
BIN_DIR="${BIN_DIR:-$root/.build/debug}"

if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN_DIR" = "$root/.build/debug" ]; then
    # One product per invocation: `swift build` builds only the last of several --product options.
    for product in call-worker call-dialler provider-fake twilio-fake dialler-campaign; do
        echo "dialler-campaign.sh: swift build --product $product"
        build_log="$(mktemp /tmp/dialler-campaign-build.XXXXXX)"
        if ! swift build --product "$product" >"$build_log" 2>&1; then
            tail -30 "$build_log"
            echo "dialler-campaign.sh: build of $product failed" >&2
            exit 2
        fi
        grep -E '^Build' "$build_log" || true
        rm -f "$build_log"
    done
fi
for tool in dialler-campaign twilio-fake call-dialler call-worker provider-fake; do
    [ -x "$BIN_DIR/$tool" ] || { echo "dialler-campaign.sh: $BIN_DIR/$tool missing" >&2; exit 2; }
done
build_s=$((SECONDS - started))

if [ -z "${CALL_CAPACITY_DATABASE_URL:-}" ]; then
    # shellcheck source=../.ci/postgres.sh
    source .ci/postgres.sh
    pg_start
    trap pg_stop EXIT
fi

status=0
"$BIN_DIR/dialler-campaign" --database-url "$CALL_CAPACITY_DATABASE_URL" --bin-dir "$BIN_DIR" "$@" || status=$?
echo "dialler-campaign.sh: exit $status; build ${build_s} s, run $((SECONDS - started - build_s)) s"
exit "$status"
