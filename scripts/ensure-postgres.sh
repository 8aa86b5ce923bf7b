#!/usr/bin/env bash
# Makes sure the PostgreSQL that the tests use is reachable: starts the
# machine's cluster when it is installed but stopped, installs it from
# Debian's packages when it is missing, and otherwise fails with a clear
# message. PostgreSQL tests are never skipped.
set -euo pipefail

url="${CONSOL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

reachable() {
  command -v psql >/dev/null 2>&1 && psql "$url" -Atqc 'select 1' >/dev/null 2>&1
}

if reachable; then exit 0; fi

if [ -z "${CONSOL_TEST_POSTGRES_URL:-}" ]; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL is not installed; installing it from Debian's packages..." >&2
    if [ "$(id -u)" != 0 ]; then
      echo "error: installing PostgreSQL needs root; install it or set CONSOL_TEST_POSTGRES_URL" >&2
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    # Local test server: trust connections from this machine only.
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  for ver in $(ls /etc/postgresql); do
    echo "Starting PostgreSQL $ver..." >&2
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 30); do
    if psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null 2>&1; then break; fi
    sleep 1
  done
  # The default URL names the database `test`; create it when missing.
  psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc \
    "select 1 from pg_database where datname = 'test'" 2>/dev/null | grep -q 1 ||
    psql "postgres://postgres@127.0.0.1:5432/postgres" -qc 'create database test' >/dev/null 2>&1 || true
fi

if reachable; then exit 0; fi
echo "error: PostgreSQL is not reachable at $url." >&2
echo "Start it (pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)" >&2
echo "or point CONSOL_TEST_POSTGRES_URL at a server where the tests may create schemas." >&2
exit 1
