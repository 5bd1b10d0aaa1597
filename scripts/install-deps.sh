#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing (non-interactive).
set -euo pipefail
packages=(libsoxr-dev libssl-dev pkg-config espeak-ng haproxy curl python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
