#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through chromedriver. Installs
# both from Debian's packages when they are missing; fails clearly when
# that is impossible (browser tests are never skipped).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "error: chromium and chromium-driver are missing and installing them needs root" >&2
  echo "(apt-get install -y --no-install-recommends chromium chromium-driver)" >&2
  exit 1
fi
echo "Installing Chromium and ChromeDriver from Debian's packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
command -v chromedriver >/dev/null
