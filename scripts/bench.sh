#!/usr/bin/env bash
# Builds master and slave (RelWithDebInfo, in build/) and runs the benchmark
# harness with the same arguments: bench/run.sh [STATEMENTS] [--reps N] ...
# bench/README.md explains the options and how to read the output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target master slave >/dev/null
exec bench/run.sh "$@"
