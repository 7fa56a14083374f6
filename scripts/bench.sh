#!/usr/bin/env bash
# Builds (release) and runs the benchmark harness: bench/run.sh [STATEMENTS].
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target master slave >/dev/null
exec bench/run.sh "$@"
