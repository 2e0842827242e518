#!/usr/bin/env bash
# Installs the pinned ZetaSQL (GoogleSQL) analyzer server and its Node gRPC client libraries into
# <repo>/.tools/zetasql (git-ignored), from package.json + package-lock.json in this folder.
# Idempotent: does nothing when the installed package files match the committed ones.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
prefix="$repo/.tools/zetasql"
stamp="$prefix/.installed-lock.sha256"
server="$prefix/node_modules/@fivetrandevelopers/zetasql/lib/zetasql/remote_server.so"

# Current when an install finished (the stamp) from the pinned files the prefix holds: compared
# by content, so checkouts at other paths sharing one .tools see it as current.
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && -x "$server" ]] \
  && cmp -s "$here/package.json" "$prefix/package.json" \
  && cmp -s "$here/package-lock.json" "$prefix/package-lock.json"; then
  exit 0
fi

command -v npm >/dev/null || { echo "install.sh: npm is required (Node >= 18)" >&2; exit 1; }
echo "zetasql: installing @fivetrandevelopers/zetasql (pinned in package-lock.json) into $prefix" >&2
mkdir -p "$prefix"
rm -f "$stamp"
cp "$here/package.json" "$here/package-lock.json" "$prefix/"
# The npm cache lives under .tools too and is dropped afterwards (the package is ~340 MB).
npm ci --prefix "$prefix" --cache "$prefix/npm-cache" --no-audit --no-fund --loglevel=error >&2
rm -rf "$prefix/npm-cache"
[[ -e "$server" ]] || { echo "install.sh: $server missing after npm ci" >&2; exit 1; }
chmod +x "$server" 2>/dev/null || true
echo "$want" > "$stamp"
