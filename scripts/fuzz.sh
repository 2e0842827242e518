#!/usr/bin/env bash
# Fuzzes "spec bytes → load → validate → render → verify" with libFuzzer (cargo fuzz).
#   scripts/fuzz.sh [SECONDS]      default 1800
# Installs cargo-fuzz if missing. cargo fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP lets the
# stable toolchain accept them. New inputs go to fuzz/work (ignored); crashes to fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-1800}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p fuzz/work
cd fuzz
RUSTC_BOOTSTRAP=1 cargo fuzz run spec work corpus/spec -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
