#!/usr/bin/env bash
# Fuzzes "bytes → load → validate → render → verify" with libFuzzer (cargo fuzz), for event specs
# (target `spec`), bqflat.yaml (`project`) and catalog.json (`catalog`).
#   scripts/fuzz.sh [SECONDS] [TARGET]      default 1800 seconds, target spec
# Installs cargo-fuzz if missing. cargo fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP lets the
# stable toolchain accept them. New inputs go to fuzz/work (ignored); crashes to fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-1800}"
target="${2:-spec}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "fuzz/work/$target"
cd fuzz
RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
