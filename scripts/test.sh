#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine with Swift 6.3:
# installs the Debian packages the project needs, starts a throwaway PostgreSQL 15
# cluster on 127.0.0.1 for the CallCapacity tests (stopped on exit), then one debug
# build and `swift test`, then (in CI or with FUZZ=1) `scripts/fuzz.sh` (libFuzzer, 60 s per
# parser, FUZZ_SECONDS to change). Deployment checks: the Kubernetes manifests against the API
# schemas (first, it takes seconds) and, after the tests, the HAProxy fleet of real
# call-worker processes (scripts/fleet-check.sh, a few minutes) and the 200-lead dialler
# campaign through real processes (scripts/dialler-campaign.sh, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/k8s-validate.sh
# shellcheck source=../.ci/postgres.sh
source .ci/postgres.sh
pg_start
trap pg_stop EXIT
swift build --build-tests
swift test --skip-build
# libFuzzer targets of the network parsers (Fuzz/, issue 13): in CI, or with FUZZ=1. 60 s per
# target (5 min), after a libFuzzer+ASan release build of Fuzz/ (~10 min on 2 free cores);
# `bash scripts/fuzz.sh 600` (or longer) by hand.
if [ "${CI:-}" = "true" ] || [ "${FUZZ:-}" = "1" ]; then
    bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
bash scripts/fleet-check.sh
# Issue 16's campaign proof through real processes (dialler, Twilio fake, 4 workers, one
# SIGKILLed), on the debug binaries built above and this PostgreSQL (about 1 minute).
SKIP_BUILD=1 bash scripts/dialler-campaign.sh
