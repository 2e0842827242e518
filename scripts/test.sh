#!/usr/bin/env bash
# The whole test suite: the Rust tests (unit, snapshot, CLI), then the SQL proof suite:
# tier 1 analyzes every generated statement with the ZetaSQL (GoogleSQL) analyzer, tier 2
# executes the generated scripts on GA4-shaped data. The tiers install their pinned tools into
# .tools/ on first use (Node and Python packages; network access to npm and PyPI needed once).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets

# The tiers use the release binary; build it once for both.
cargo build --release --locked --quiet
export BQFLAT_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/bqflat"
# Both tiers run even when the first fails, so one run reports everything.
status=0
tests/sql/zetasql/run.sh || status=1
tests/sql/duckdb/run.sh || status=1
exit "$status"
