#!/usr/bin/env bash
# The e-mail tests deliver to a real SMTP server process: Debian's
# python3-aiosmtpd, started by the tests with tests/smtp_sink.py. Installs
# it when missing; fails clearly when that is impossible (the e-mail tests
# are never skipped and never use a mock transport).
set -euo pipefail

# Debian's own interpreter: the package installs for it, not for a python3
# that a version manager may put first on PATH (the tests use it too).
if /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "error: python3-aiosmtpd is missing and installing it needs root" >&2
  echo "(apt-get install -y --no-install-recommends python3-aiosmtpd)" >&2
  exit 1
fi
echo "Installing python3-aiosmtpd from Debian's packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends python3-aiosmtpd >/dev/null
/usr/bin/python3 -c 'import aiosmtpd'
