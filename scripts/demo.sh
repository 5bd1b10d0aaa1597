#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine with Swift 6.3, offline and without an API key:
# installs the Debian packages it needs, builds the worker, and runs one simulated phone call
# end to end: a local OpenAI-wire server (SCRIPTED transcripts and replies), espeak-ng speech
# for the caller and the agent, the real call-worker over a real WebSocket, and a simulated
# Twilio caller. Prints the transcript and per-turn latency; writes the call audio to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mkdir -p out
swift build --product call-demo
.build/debug/call-demo out
