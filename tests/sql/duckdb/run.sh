#!/usr/bin/env bash
# Tier 2 of the SQL conformance suite: builds bqflat, generates the BigQuery scripts of the test
# projects (and of examples/ga4_ecommerce) into a temp dir, executes them on DuckDB through
# sqlglot and checks the rows they compute. The `targets` scenario also compiles a build's dbt and
# Dataform projects with the real tools (../targets/install.sh installs them into .tools/, once)
# and executes the SQL they would run. Extra arguments go to run.py:
#   --only NAME                                 run some scenarios (repeatable): interpreter, full, incremental,
#                                               rollback, example, discover, catalog, targets, lifecycle, cost
#   --mutations                                 check that mutated SQL is caught (slow, ~2 min)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
start=$(date +%s)

"$here/install.sh"
# scripts/test.sh builds the release binary once for both tiers and passes it in BQFLAT_BIN.
if [[ -n "${BQFLAT_BIN:-}" ]]; then
  bqflat="$BQFLAT_BIN"
else
  (cd "$root" && cargo build --release --locked --quiet)
  bqflat="${CARGO_TARGET_DIR:-$root/target}/release/bqflat"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/bqflat-duckdb.XXXXXX")"

# run.py prints the wall time since $BQFLAT_DUCKDB_START (install and build included) just
# before its two summary lines, which stay the last lines of the output.
BQFLAT_DUCKDB_START=$start exec "$root/.tools/venv/bin/python" -B "$here/run.py" --bqflat "$bqflat" --work "$work" "$@"
