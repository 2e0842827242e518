#!/usr/bin/env bash
# The Python wheel (pyproject.toml: maturin, bindings = "bin"): builds it, installs it into a fresh
# venv and checks the installed `bqflat`: it reports Cargo.toml's version and builds the example
# byte for byte like the release binary cargo builds. maturin is pinned and installed into
# .tools/wheel-venv (git-ignored) on first use; network access to PyPI is needed once. The install
# of the wheel itself is offline. Fails on any mismatch, and when the binary outgrows 20 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

maturin_version=1.9.6
max_binary_bytes=$((20 * 1024 * 1024))
python="${PYTHON:-python3}"
tools_venv="$root/.tools/wheel-venv"
target="${CARGO_TARGET_DIR:-$root/target}"
wheels="$target/wheels"

# Idempotent: a venv that already holds the pinned maturin is used as is.
if [[ "$("$tools_venv/bin/maturin" --version 2>/dev/null || true)" != "maturin $maturin_version" ]]; then
  mkdir -p "$root/.tools"
  [[ -x "$tools_venv/bin/python" ]] || "$python" -m venv "$tools_venv"
  "$tools_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "maturin==$maturin_version"
  echo "wheel: installed maturin $maturin_version into .tools/wheel-venv"
fi

# The version to expect is Cargo.toml's, read the way cargo reads it.
version="$(cargo metadata --locked --no-deps --format-version 1 \
  | "$python" -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "bqflat"))')"

work="$(mktemp -d "${TMPDIR:-/tmp}/bqflat-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The reference is cargo's own release binary (scripts/test.sh builds it and passes it in
# BQFLAT_BIN). maturin builds into the same target/release and replaces that file: keep a copy of
# cargo's first, so the check compares two builds instead of one file with itself.
if [[ -n "${BQFLAT_BIN:-}" ]]; then
  reference="$BQFLAT_BIN"
else
  cargo build --release --locked --quiet
  reference="$target/release/bqflat"
fi
cp "$reference" "$work/cargo-bqflat"

# One wheel in target/wheels: the one this run builds, not one left by an earlier version.
rm -f "$wheels"/bqflat-*.whl
"$tools_venv/bin/maturin" build --release --locked --strip --quiet --out "$wheels"
shopt -s nullglob
built=("$wheels"/bqflat-*.whl)
shopt -u nullglob
[[ ${#built[@]} -eq 1 ]] || { echo "wheel: expected one bqflat wheel in $wheels, found ${#built[@]}" >&2; exit 1; }
wheel="${built[0]}"

# The wheel's name carries the version, and it holds the binary (and only metadata beside it).
name="$(basename "$wheel")"
[[ "$name" == "bqflat-$version-"*.whl ]] || { echo "wheel: $name is not version $version" >&2; exit 1; }
binary_bytes="$("$python" - "$wheel" <<'PY'
import sys, zipfile
entries = zipfile.ZipFile(sys.argv[1]).infolist()
scripts = [e for e in entries if e.filename.endswith(".data/scripts/bqflat")]
others = [e.filename for e in entries if e not in scripts and ".dist-info/" not in e.filename]
if len(scripts) != 1 or others:
    sys.exit(f"wheel: expected the bqflat binary and metadata only, found {[e.filename for e in entries]}")
print(scripts[0].file_size)
PY
)"
wheel_bytes="$(stat -c %s "$wheel")"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "wheel: built ${wheel#"$root"/} ($(mib "$wheel_bytes")), binary inside $(mib "$binary_bytes") (limit $(mib "$max_binary_bytes"))"
if ((binary_bytes > max_binary_bytes)); then
  echo "wheel: the binary is $binary_bytes bytes, over the limit of $max_binary_bytes" >&2
  exit 1
fi

# A fresh venv, as a user's would be; the wheel has no dependencies, so no index is needed.
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-index --no-deps "$wheel"
installed="$work/venv/bin/bqflat"
[[ -x "$installed" ]] || { echo "wheel: pip installed no $installed" >&2; exit 1; }
dist_version="$("$work/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("bqflat"))')"
[[ "$dist_version" == "$version" ]] || { echo "wheel: pip installed bqflat $dist_version, Cargo.toml says $version" >&2; exit 1; }
reported="$("$installed" --version)"
[[ "$reported" == "bqflat $version" ]] || { echo "wheel: installed bqflat --version printed '$reported', expected 'bqflat $version'" >&2; exit 1; }
echo "wheel: installed into a fresh venv: bqflat $dist_version; bqflat --version prints '$reported' (Cargo.toml: $version)"

# The installed binary builds what cargo's does: each on its own copy of the example.
mkdir "$work/wheel" "$work/cargo"
cp -R examples/ga4_ecommerce "$work/wheel/"
cp -R examples/ga4_ecommerce "$work/cargo/"
(cd "$work/wheel/ga4_ecommerce" && "$installed" build --force >/dev/null)
(cd "$work/cargo/ga4_ecommerce" && "$work/cargo-bqflat" build --force >/dev/null)
if ! diff -r "$work/cargo/ga4_ecommerce" "$work/wheel/ga4_ecommerce"; then
  echo "wheel: the installed bqflat's build of examples/ga4_ecommerce differs from target/release/bqflat's" >&2
  exit 1
fi
files="$(find "$work/wheel/ga4_ecommerce/build" -type f | wc -l)"
echo "wheel: bqflat build --force of examples/ga4_ecommerce: $files files, identical to target/release/bqflat's"
