#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine with Swift 6.3: install what the project needs,
# synthesize a short phrase with espeak-ng, and run it through the phone audio path
# (22.05 kHz PCM -> 8 kHz mu-law -> back) with CallAudio, printing levels.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
mkdir -p out
espeak-ng -w out/phrase.wav "Hello, this is your AI phone agent. How can I help you today?"
swift build --product audio-convert
.build/debug/audio-convert out/phrase.wav out
