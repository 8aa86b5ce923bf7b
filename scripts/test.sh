#!/usr/bin/env bash
# Runs Consol's whole test suite: unit tests, every storage and HTTP test on
# both SQLite and PostgreSQL, the browser tests in headless Chromium, and
# the month-end PDF tests (which read the PDF with poppler's pdftotext).
# This is the README's test command, and .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-poppler.sh
bash scripts/ensure-smtp.sh

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "cargo-nextest is missing; installing it from crates.io..." >&2
  cargo install cargo-nextest --locked
fi

# Benches are built by clippy and run with `cargo bench`; they are not tests.
cargo nextest run --lib --bins --tests --profile ci "$@"
