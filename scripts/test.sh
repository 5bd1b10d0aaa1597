#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine with Swift 6.3:
# installs the Debian packages the project needs, then `swift test` (one debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
