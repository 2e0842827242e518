#!/usr/bin/env bash
# The whole test suite: the Rust tests (unit, snapshot, CLI), then the SQL proof suite.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets
