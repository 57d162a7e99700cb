#!/usr/bin/env bash
# Prints the folder cargo builds into (CARGO_TARGET_DIR, a config file, or ./target), so scripts
# find the binaries wherever they are.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
