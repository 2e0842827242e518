#!/usr/bin/env bash
# The whole test suite: the Rust tests (unit, snapshot, CLI), the Python wheel, then the SQL proof
# suite: tier 1 analyzes every generated statement with the ZetaSQL (GoogleSQL) analyzer, tier 2
# executes the generated scripts on GA4-shaped data. The wheel check and the tiers install their
# pinned tools into .tools/ on first use (Node and Python packages; network access to npm and PyPI
# needed once).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets

# The wheel check and the tiers use the release binary; build it once for all three.
cargo build --release --locked --quiet
export BQFLAT_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/bqflat"
# The Python wheel ships that binary to users without Cargo: build it, install it into a fresh venv
# and check that it builds the example exactly as the binary above does (installs maturin into
# .tools/ on first use). maturin reuses the release build, so this takes seconds.
# The wheel check and both tiers run even when one fails, so one run reports everything.
status=0
scripts/wheel.sh || status=1
tests/sql/zetasql/run.sh || status=1
tests/sql/duckdb/run.sh || status=1
exit "$status"
