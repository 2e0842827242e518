#!/usr/bin/env bash
# Installs the real dbt and Dataform tools the target checks run, into <repo>/.tools (git-ignored):
#   .tools/dbt-bq-venv   dbt-core + dbt-bigquery (requirements.txt)
#   .tools/dataform      @dataform/cli + @dataform/core (package.json + package-lock.json), and an
#                        npm cache holding @dataform/core, which `dataform compile` installs into
#                        its scratch copy of the project on every run (offline from this cache).
# Idempotent: does nothing when the pinned files have not changed since the last install.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

venv="$repo/.tools/dbt-bq-venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if ! [[ -x "$venv/bin/dbt" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "targets: installing dbt (requirements.txt) into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$here/requirements.txt"
  echo "$want" >"$stamp"
fi

prefix="$repo/.tools/dataform"
# The install is current when it finished (the stamp) from the pinned files the prefix holds:
# compared by content, so checkouts at other paths sharing one .tools see it as current.
stamp="$prefix/.installed-lock.sha256"
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if ! [[ -f "$stamp" && -x "$prefix/node_modules/.bin/dataform" ]] \
  || ! cmp -s "$here/package.json" "$prefix/package.json" \
  || ! cmp -s "$here/package-lock.json" "$prefix/package-lock.json"; then
  command -v npm >/dev/null || { echo "targets: npm is required (Node >= 18)" >&2; exit 1; }
  echo "targets: installing @dataform/cli and @dataform/core into $prefix" >&2
  mkdir -p "$prefix"
  rm -f "$stamp"
  cp "$here/package.json" "$here/package-lock.json" "$prefix/"
  npm ci --prefix "$prefix" --cache "$prefix/npm-cache" --no-audit --no-fund --loglevel=error >&2
  core="$(node -p 'require(process.argv[1]).dependencies["@dataform/core"]' "$here/package.json")"
  npm cache add "@dataform/core@$core" --cache "$prefix/npm-cache" --loglevel=error >&2
  echo "$want" >"$stamp"
fi
