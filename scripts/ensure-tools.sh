#!/usr/bin/env bash
# Makes sure the programs the test suite runs are present (SPEC §1), ffmpeg, chromium and the
# Prometheus client's text parser: installs them with apt-get when running as root, otherwise
# stops with the one command to run.
set -euo pipefail

needed=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || needed+=(ffmpeg)
# Browser playback tests drive Debian's Chromium through playwright-core (no browser download).
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || needed+=(chromium)
# /metrics is read back with the official Prometheus client's parser, under Debian's own python3.
/usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1 || needed+=(python3-prometheus-client)

if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test tools: ${needed[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
  exit 0
fi

echo "The tests need: ${needed[*]}. Install with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y ${needed[*]}" >&2
exit 1
