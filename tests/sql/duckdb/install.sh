#!/usr/bin/env bash
# Installs the Tier 2 (DuckDB) tools into .tools/venv (git-ignored). Idempotent: when the venv
# already holds the pinned versions it only checks them and exits.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.tools/venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  for p in python3.11 python3.12 python3.13 python3; do
    if command -v "$p" >/dev/null 2>&1; then python="$p"; break; fi
  done
fi
[[ -n "$python" ]] || { echo "install.sh: no python3 found" >&2; exit 1; }

mkdir -p "$root/.tools"
if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
"$venv/bin/python" -c 'import sqlglot, duckdb; print("installed sqlglot", sqlglot.__version__, "duckdb", duckdb.__version__)'
echo "$want" > "$stamp"
