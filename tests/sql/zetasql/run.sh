#!/usr/bin/env bash
# Tier 1 SQL conformance: analyze every statement of every script bqflat generates (examples/*/
# and tests/fixtures/projects/*/) with Google's GoogleSQL frontend, the ZetaSQL analyzer.
#
#   tests/sql/zetasql/run.sh
#
# Installs the pinned analyzer if needed (install.sh → .tools/zetasql), builds bqflat
# (cargo build --release --locked; set BQFLAT_BIN to use another binary), generates the SQL into a
# temporary folder, starts the analyzer server on 127.0.0.1 (a free port), runs check.js (the
# generated scripts, the mutated templates of mutations.tsv, the negative cases of negative/),
# stops the server and exits non-zero when any check failed.
set -euo pipefail

t_start=$(date +%s.%N)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
server="$repo/.tools/zetasql/node_modules/@fivetrandevelopers/zetasql/lib/zetasql/remote_server.so"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "zetasql: the pinned analyzer server runs on Linux x86-64 only" >&2; exit 2 ;;
esac

"$here/install.sh"

if [[ -z "${BQFLAT_BIN:-}" ]]; then
  echo "zetasql: cargo build --release --locked" >&2
  (cd "$repo" && cargo build --release --locked --quiet)
  BQFLAT_BIN="${CARGO_TARGET_DIR:-$repo/target}/release/bqflat"
fi
[[ -x "$BQFLAT_BIN" ]] || { echo "zetasql: no bqflat binary at $BQFLAT_BIN" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/bqflat-zetasql.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build() { # out_dir, then the build arguments
  local out="$1"
  shift
  if ! "$BQFLAT_BIN" build "$@" --out "$out" >"$work/build.log" 2>&1; then
    echo "zetasql: bqflat build $* failed:" >&2
    cat "$work/build.log" >&2
    exit 1
  fi
}

# 1. Generate the SQL of every example and fixture project: a project folder with bqflat.yaml,
#    or an original-tool config.yaml built with --config.
plan="$work/plan.tsv"
: >"$plan"
for dir in "$repo"/examples/*/ "$repo"/tests/fixtures/projects/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  case "$dir" in
    "$repo"/examples/*) label="examples/$name" ;;
    *) label="fixtures/$name" ;;
  esac
  if [[ -f "$dir/bqflat.yaml" ]]; then
    config="$dir/bqflat.yaml"
    build "$work/gen/$label" "$dir"
  elif [[ -f "$dir/config.yaml" ]]; then
    config="$dir/config.yaml"
    build "$work/gen/$label" --config "$config"
  elif [[ "$dir" == "$repo"/examples/* ]]; then
    continue # not a project (examples/ci holds CI and scheduler files)
  else
    echo "zetasql: error: $dir has neither bqflat.yaml nor config.yaml" >&2
    exit 1
  fi
  printf 'positive\t%s\t%s\t%s\t\t%s\n' "$label" "$dir" "$work/gen/$label" "$config" >>"$plan"
done

# 1b. Migrations: each plan fixture's `before` project is built, then its `after` project is
#     built over it with --allow-breaking, so every kind of migration script is generated.
for dir in "$repo"/tests/fixtures/plans/*/; do
  dir="${dir%/}"
  label="plans/$(basename "$dir")"
  proj="$work/plans/$label"
  mkdir -p "$proj"
  cp -r "$dir/before/." "$proj/"
  build "$proj/build" "$proj"
  rm -rf "$proj/events"
  cp -r "$dir/after/." "$proj/"
  build "$proj/build" "$proj" --allow-breaking
  printf 'positive\t%s\t%s\t%s\t\t%s\n' "$label" "$proj" "$proj/build" "$proj/bqflat.yaml" >>"$plan"
done

# 1c. The discovery query (`bqflat discover-sql`), for the sharded example, a partitioned source
#     and two sources: each is checked like a generated script (no tables of its own).
discover() { # label, config file
  local gen="$work/gen/$1"
  mkdir -p "$gen/bigquery"
  (cd "$(dirname "$2")" && "$BQFLAT_BIN" discover-sql --config "$(basename "$2")" --start-date 2025-07-01) >"$gen/bigquery/discover.sql"
  echo '{"artifacts": []}' >"$gen/manifest.json"
  printf 'positive\t%s\t%s\t%s\t\t%s\n' "$1" "$(dirname "$2")" "$gen" "$2" >>"$plan"
}
discover discover/ga4_ecommerce "$repo/examples/ga4_ecommerce/bqflat.yaml"
discover discover/partitioned_source "$repo/tests/fixtures/projects/partitioned_source/bqflat.yaml"
discover discover/ga4_web_and_app "$repo/examples/ga4_web_and_app/bqflat.yaml"

# 1d. The dbt and Dataform targets, compiled by the real tools (../targets/install.sh pins them):
#     the SQL dbt and Dataform would run is checked like a generated script, first runs and later
#     (incremental) runs. The examples build every target; fixtures with hostile keys, a
#     partitioned source, a param dedupe key, a TIMESTAMP partition and several sources build them
#     on request;
#     targets_all asks for them itself, with text that is Jinja and JavaScript template syntax.
"$here/../targets/install.sh"
targets() { # label, project dir, build dir, config file
  if ! "$here/../targets/compile.sh" "$3" "$work/gen/dbt/$1" "$work/gen/dataform/$1" 2>"$work/targets.log"; then
    echo "zetasql: the real dbt or Dataform rejected the output of $1:" >&2
    cat "$work/targets.log" >&2
    exit 1
  fi
  grep -E '^(dbt|dataform):' "$work/targets.log" | sed "s|^|zetasql: $1: |" >&2 || true
  for t in dbt dataform; do
    [[ -d "$work/gen/$t/$1" ]] && printf 'positive\t%s\t%s\t%s\t\t%s\n' "$t/$1" "$2" "$work/gen/$t/$1" "$4" >>"$plan"
  done
  return 0
}
targets examples/ga4_ecommerce "$repo/examples/ga4_ecommerce" "$work/gen/examples/ga4_ecommerce" "$repo/examples/ga4_ecommerce/bqflat.yaml"
targets examples/ga4_web_and_app "$repo/examples/ga4_web_and_app" "$work/gen/examples/ga4_web_and_app" "$repo/examples/ga4_web_and_app/bqflat.yaml"
for name in targets_all hostile_param_keys partitioned_source dedupe_param_key partition_options sources; do
  dir="$repo/tests/fixtures/projects/$name"
  build "$work/targets/$name" "$dir" --target bigquery,dbt,dataform
  targets "fixtures/$name" "$dir" "$work/targets/$name" "$dir/bqflat.yaml"
done

# 2. Mutated templates: examples/ga4_ecommerce with one broken built-in template as a project
#    override; each must be rejected.
base="$repo/examples/ga4_ecommerce"
while IFS=$'\t' read -r name template from to expected; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  proj="$work/mut/$name/project"
  mkdir -p "$proj/templates/$(dirname "$template")"
  cp "$base/bqflat.yaml" "$base/catalog.json" "$proj/"
  cp -r "$base/events" "$proj/"
  [[ -d "$base/templates" ]] && cp -r "$base/templates/." "$proj/templates/"
  if ! node -e '
    const fs = require("fs");
    const [src, from, to, dst] = process.argv.slice(1);
    const s = fs.readFileSync(src, "utf8");
    if (!s.includes(from)) process.exit(3);
    fs.writeFileSync(dst, s.split(from).join(to));
  ' "$repo/templates/$template" "$from" "$to" "$proj/templates/$template"; then
    echo "zetasql: mutation $name: \"$from\" no longer occurs in templates/$template (update mutations.tsv)" >&2
    exit 1
  fi
  build "$work/mut/$name/build" "$proj"
  printf 'mutation\t%s\t%s\t%s\t%s\t%s\n' "$name" "$proj" "$work/mut/$name/build" "$expected" "$proj/bqflat.yaml" >>"$plan"
done <"$here/mutations.tsv"

# 3. Start the analyzer on 127.0.0.1, on a free port.
port="$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
"$server" 127.0.0.1 "$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q "Server listening" "$work/server.log" 2>/dev/null && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "zetasql: the analyzer server exited:" >&2
    cat "$work/server.log" >&2
    exit 2
  fi
  sleep 0.1
done

# 4. Analyze.
status=0
node "$here/check.js" --port "$port" --plan "$plan" --negative "$here/negative" --known "$here/known_failures.tsv" || status=$?

t_end=$(date +%s.%N)
printf 'zetasql: wall time %.1f s (install check, cargo build, generation, server, analysis)\n' "$(echo "$t_end - $t_start" | bc)"
exit "$status"
