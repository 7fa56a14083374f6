#!/usr/bin/env bash
# Fuzzes the lexer, splitter and classifier with libFuzzer for a bounded time.
#   scripts/fuzz.sh [SECONDS]   (default 60)
# Fails on any crash, hang (10 s per input), broken invariant or sanitizer
# report; the failing input is kept and its path printed. New inputs found in
# the run go to a temporary folder; the committed seeds in tests/fuzz/corpus
# are only read.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSQLREPL_FUZZ=ON -DSQLREPL_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target sql_fuzzer >/dev/null

work=$(mktemp -d /tmp/sqlrepl-fuzz-XXXXXX)
mkdir -p "$work/corpus"
status=0
build-fuzz/sql_fuzzer -max_total_time="$seconds" -timeout=10 -max_len=4096 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" tests/fuzz/corpus \
  >"$work/fuzz.log" 2>&1 || status=$?
grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)" "$work/fuzz.log" || true
grep -E "#[0-9]+.*(DONE|cov:)" "$work/fuzz.log" | tail -1 || true
if [ "$status" -ne 0 ]; then
  tail -40 "$work/fuzz.log"
  echo "fuzz: FAILED (exit $status); log and failing input kept in $work" >&2
  exit 1
fi
rm -rf "$work"
echo "fuzz: clean after $seconds s"
