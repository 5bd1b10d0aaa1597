#!/usr/bin/env bash
# Hostile-peer probe of issue 13, the long version: 2,000 slow-header connections plus
# 1,000 aborted (signed) WebSocket upgrades against one worker (connection cap 1024, header
# timeout 25 s so all are open at once, signatures and stream tokens on), while a signed call is admitted and greeted.
# Prints the figures (lines starting with HOSTILE-PEERS). CI runs the same probe at 1/10 scale.
#   bash scripts/hostile-peers.sh            # scale 10 (2,000 + 1,000)
#   HOSTILE_PEERS_SCALE=20 bash scripts/hostile-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000 2>/dev/null || true
swift build --build-tests 2>&1 | tail -3
HOSTILE_PEERS_SCALE="${HOSTILE_PEERS_SCALE:-10}" swift test --skip-build \
    --filter 'HostilePeersProbeTests' 2>&1 | grep -E 'HOSTILE-PEERS|Test run|✘|recorded an issue'
