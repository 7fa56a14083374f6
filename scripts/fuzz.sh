#!/usr/bin/env bash
# Fuzzes with libFuzzer for a bounded time: the SQL front end (lexer,
# splitter, classifier) for half of it, and the replication link (frame
# decoder, message decoders, both sides of the handshake) for the rest.
#   scripts/fuzz.sh [SECONDS]   (default 60, in all)
# Fails on any crash, hang (10 s per input), broken invariant or sanitizer
# report; the failing input is kept and its path printed. New inputs found in
# the run go to a temporary folder; the committed seeds (tests/fuzz/corpus
# for SQL, tests/fuzz/link/<target> for the link) are only read.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }

targets=(sql_fuzzer frame_fuzzer messages_fuzzer handshake_fuzzer)
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSQLREPL_FUZZ=ON -DSQLREPL_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" >/dev/null

# run TARGET SECONDS SEEDS MAX_LEN
run() {
  local target=$1 time=$2 seeds=$3 max_len=$4 work status=0
  work=$(mktemp -d "/tmp/sqlrepl-fuzz-$target-XXXXXX")
  mkdir -p "$work/corpus"
  echo "-- $target for $time s"
  build-fuzz/"$target" -max_total_time="$time" -timeout=10 -max_len="$max_len" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" \
    >"$work/fuzz.log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)" "$work/fuzz.log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$work/fuzz.log"
    echo "fuzz: $target FAILED (exit $status); log and failing input kept in $work" >&2
    return 1
  fi
  rm -rf "$work"
}

half=$(( seconds / 2 > 0 ? seconds / 2 : 1 ))
sixth=$(( seconds / 6 > 0 ? seconds / 6 : 1 ))
run sql_fuzzer "$half" tests/fuzz/corpus 4096
run frame_fuzzer "$sixth" tests/fuzz/link/frame 4096
run messages_fuzzer "$sixth" tests/fuzz/link/messages 4096
run handshake_fuzzer "$sixth" tests/fuzz/link/handshake 4096
echo "fuzz: clean after $seconds s"
