#!/usr/bin/env bash
# Compiles the dbt and Dataform projects of one bqflat build with the real tools and writes the
# BigQuery scripts they would run, for the ZetaSQL harness:
#   compile.sh <build dir> <gen dir for dbt> <gen dir for dataform>
# A target the build lacks is skipped. Exits non-zero when a tool rejects the project.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
build="$1"
if [[ -d "$build/dbt" ]]; then
  "$repo/.tools/dbt-bq-venv/bin/python" "$here/dbt_sql.py" "$build" "$2"
fi
if [[ -d "$build/dataform" ]]; then
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/bqflat-dataform.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  status=0
  # `dataform compile` copies the project into TMPDIR and installs @dataform/core there from the
  # npm cache the install filled, without the network.
  (cd "$build/dataform" && TMPDIR="$scratch" npm_config_cache="$repo/.tools/dataform/npm-cache" \
    npm_config_offline=true npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false \
    "$repo/.tools/dataform/node_modules/.bin/dataform" compile --json .) >"$scratch/compiled.json" || status=$?
  if [[ "$status" != 0 ]]; then
    echo "dataform compile failed (exit $status):" >&2
    head -c 4000 "$scratch/compiled.json" >&2
    exit 1
  fi
  node "$here/dataform_sql.js" "$scratch/compiled.json" "$build" "$3"
fi
