#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every CTest test
# (unit, and integration on private MariaDB servers the tests start;
# install_test installs into a scratch prefix, verifies the systemd units
# and runs the installed programs once), then
# every test again with all binaries built with AddressSanitizer and
# UndefinedBehaviorSanitizer, then the fuzzer for a bounded time. Exits
# non-zero on any failure.
#
#   scripts/test.sh                 everything
#   SQLREPL_FUZZ_SECONDS=0 scripts/test.sh   skip the fuzz run
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh

step "layering (scripts/check-layers.sh)"
scripts/check-layers.sh

step "documentation (scripts/check-docs.sh)"
scripts/check-docs.sh

step "build (build/)"
start=$SECONDS
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSQLREPL_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
echo "built in $((SECONDS - start)) s"

step "all tests"
start=$SECONDS
(cd build && ctest --output-on-failure -j "$jobs")
echo "tests ran in $((SECONDS - start)) s"

# A user's or packager's build is Release (-O3), where GCC 12 warns of
# things -O2 does not see: the two programs build there without a warning.
step "Release build of the programs, warnings as errors (build-release/)"
start=$SECONDS
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSQLREPL_TESTS=OFF -DSQLREPL_WERROR=ON >/dev/null
cmake --build build-release -j "$jobs"
echo "built in $((SECONDS - start)) s"

step "all tests again under ASan+UBSan (build-sanitize/)"
start=$SECONDS
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DSQLREPL_SANITIZE=ON -DSQLREPL_WERROR=ON >/dev/null
cmake --build build-sanitize -j "$jobs"
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure)
echo "sanitizer run took $((SECONDS - start)) s"

if [ -x scripts/fuzz.sh ] && [ "${SQLREPL_FUZZ_SECONDS:-60}" != 0 ]; then
  step "fuzzing"
  scripts/fuzz.sh "${SQLREPL_FUZZ_SECONDS:-60}"
fi
step "all passed"
