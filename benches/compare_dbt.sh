#!/usr/bin/env bash
# Side by side: bqflat build vs dbt compile (dbt-core 1.11 + dbt-duckdb, no network) on the same
# generated N-event projects, median of 3 runs each, and the ratio. Takes minutes; not part of
# the test command.
#   benches/compare_dbt.sh [SIZES]      default "100 1000"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$root/.tools/dbt-venv"
sizes="${1:-100 1000}"

if [[ ! -x "$venv/bin/dbt" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "dbt-core==1.11.16" "dbt-duckdb==1.11.1"
fi
(cd "$root" && cargo build --release --locked --quiet)
bqflat="${CARGO_TARGET_DIR:-$root/target}/release/bqflat"
work="$(mktemp -d "${TMPDIR:-/tmp}/bqflat-vs-dbt.XXXXXX")"
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
run() { # prints "seconds peak_MiB" of one command
  /usr/bin/time -f "%e %M" "$@" >/dev/null 2>"$work/time" || { cat "$work/time" >&2; exit 1; }
  tail -n 1 "$work/time" | awk '{ printf "%s %.1f\n", $1, $2 / 1024 }'
}

echo "$("$venv/bin/dbt" --version | head -n 2 | tr '\n' ' ')"
printf '%7s  %-22s %9s %9s\n' events tool "median s" "peak MiB"
for n in $sizes; do
  python3 "$here/generate.py" "$n" "$work/bq$n" --dbt "$work/dbt$n"
  bq=(); dbt=()
  for _ in 1 2 3; do
    rm -rf "$work/bq$n/build"
    bq+=("$(run "$bqflat" build "$work/bq$n")")
    rm -rf "$work/dbt$n/target"
    dbt+=("$(cd "$work/dbt$n" && run "$venv/bin/dbt" compile --profiles-dir . --quiet)")
  done
  bq_s=$(printf '%s\n' "${bq[@]}" | awk '{print $1}' | median)
  bq_m=$(printf '%s\n' "${bq[@]}" | awk '{print $2}' | sort -n | tail -n 1)
  dbt_s=$(printf '%s\n' "${dbt[@]}" | awk '{print $1}' | median)
  dbt_m=$(printf '%s\n' "${dbt[@]}" | awk '{print $2}' | sort -n | tail -n 1)
  printf '%7s  %-22s %9s %9s\n' "$n" "bqflat build (cold)" "$bq_s" "$bq_m"
  printf '%7s  %-22s %9s %9s\n' "$n" "dbt compile (cold)" "$dbt_s" "$dbt_m"
  awk -v a="$dbt_s" -v b="$bq_s" -v n="$n" 'BEGIN { printf "%7s  dbt / bqflat: %.1fx\n", n, a / b }'
done
