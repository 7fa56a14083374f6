#!/usr/bin/env bash
# scripts/check-docs.sh on a copy of the tracked tree, committed to a git
# repository of its own:
#   1. a citation of a file that is not committed fails, as in a fresh clone;
#   2. it never fails without saying why (test files without any class).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

tree="$tmp/tree"
mkdir "$tree"
git -C "$root" ls-files -z | (cd "$root" && tar --null -T - -cf -) | tar -xf - -C "$tree"
cp "$root/scripts/check-docs.sh" "$tree/scripts/check-docs.sh"  # the one under test, as it is now
git -C "$tree" init -q
git -C "$tree" add -A
git -C "$tree" -c user.name=test -c user.email=test@localhost commit -q -m tree

"$tree/scripts/check-docs.sh" >"$tmp/out" 2>&1 || fail "the tree as committed: $(cat "$tmp/out")"

# 1. Cited, present in the directory, not committed.
echo 'int x;' >"$tree/common/only_here.hpp"
echo 'See common/only_here.hpp.' >>"$tree/docs/development.md"
git -C "$tree" -c user.name=test -c user.email=test@localhost commit -q -a -m cite
if "$tree/scripts/check-docs.sh" >"$tmp/out" 2>&1; then
  fail "a citation of an uncommitted file passed: $(cat "$tmp/out")"
fi
grep -q 'no such file or folder: common/only_here.hpp' "$tmp/out" ||
  fail "the uncommitted file is not named: $(cat "$tmp/out")"
rm "$tree/common/only_here.hpp"
git -C "$tree" reset -q --hard HEAD~1

# 2. No class or struct begins a line of any *_test.cpp.
find "$tree/tests" -name '*_test.cpp' -exec sed -i 's/^class /klass /; s/^struct /strukt /' {} +
status=0
"$tree/scripts/check-docs.sh" >"$tmp/out" 2>&1 || status=$?
if [ "$status" -ne 0 ] && [ ! -s "$tmp/out" ]; then
  fail "check-docs.sh ended with status $status and said nothing"
fi
echo "check_docs_test: passed"
