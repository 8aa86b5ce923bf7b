#!/usr/bin/env bash
# The month-end PDF tests read the pack's text with poppler's pdftotext.
# Installs Debian's poppler-utils when it is missing; fails clearly when
# that is impossible (the PDF tests are never skipped).
set -euo pipefail

if command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "error: pdftotext is missing and installing poppler-utils needs root" >&2
  echo "(apt-get install -y --no-install-recommends poppler-utils)" >&2
  exit 1
fi
echo "Installing poppler-utils (pdftotext) from Debian's packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
command -v pdftotext >/dev/null
