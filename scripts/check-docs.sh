#!/usr/bin/env bash
# Fails when README.md, docs/*.md or bench/README.md cite something the tree
# does not have, so that the documentation cannot drift from the code
# unnoticed:
#   - test names: `Suite.Name`, a bare `SomeLongTestName` (three or more
#     capitalised words: a test, a test suite, or a name the code defines),
#     a test binary `foo_test` / `foo_fuzzer`;
#   - file paths: common/..., scripts/..., tests/..., bench/..., docs/...,
#     .ci/... (a trailing :LINE is ignored), bare file names such as
#     `applier.hpp` (some file of that name), and relative Markdown links;
#   - configuration keys (DB_..., REPL_..., TLS_..., ...): in .env.example;
#     SQLREPL_... variables: read somewhere in scripts/, tests/, bench/ or
#     the build files.
# Plain bash, grep and awk; prints FILE:LINE and the missing thing.
set -euo pipefail
# A step that fails stops the script: say which, rather than end in silence.
trap 'status=$?; echo "check-docs.sh: line $LINENO failed (exit status $status): $BASH_COMMAND" >&2' ERR
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

docs=(README.md bench/README.md)
for f in docs/*.md; do [ -e "$f" ] && docs+=("$f"); done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every file of the tree: in a checkout, the tracked ones only, so that a
# citation of a file not committed fails here as it would in a fresh clone.
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done >"$tmp/files"
else
  find . -path ./build -prune -o -path './build-*' -prune -o -type f -print | sed 's|^\./||' >"$tmp/files"
fi

# Test definitions, also when the name is on the next line: "Suite Name".
find tests -name '*.cpp' -print0 | xargs -0 awk '
  /^[[:space:]]*TEST(_F|_P)?[[:space:]]*\(/ { buf = ""; open = 1 }
  open { buf = buf $0; if (index($0, ")")) {
      sub(/^[^(]*\(/, "", buf); sub(/\).*/, "", buf); gsub(/[[:space:]]/, "", buf)
      split(buf, p, ","); print p[1], p[2]; open = 0 } }' >"$tmp/tests"

# Names the code defines, for bare names that are not tests: every word of
# the sources, except the test files, of which only class/struct names count
# (a renamed test must not survive as a word of its own file).
{
  find common tests -name '*.hpp' -print0 | xargs -0 cat
  find common -name '*.cpp' -print0 | xargs -0 cat
  cat Master.cpp Slave.cpp
  find tests -name '*.cpp' ! -name '*_test.cpp' -print0 | xargs -0 cat
} | tr -cs 'A-Za-z0-9_' '\n' | sort -u >"$tmp/words"
# (awk, not grep: no class in them is no error.)
find tests -name '*_test.cpp' -print0 |
  xargs -0 awk 'match($0, /^(class|struct)[[:space:]]+[A-Za-z0-9_]+/) {
    s = substr($0, RSTART, RLENGTH); sub(/^[a-z]+[[:space:]]+/, "", s); print s }' >>"$tmp/words"

grep -oE '^#?[[:space:]]*[A-Z][A-Z0-9_]*=' .env.example | tr -d '#= ' | sort -u >"$tmp/keys"
{ grep -rhoE 'SQLREPL_[A-Z0-9_]+' scripts tests bench CMakeLists.txt .ci 2>/dev/null || true; } |
  sort -u >"$tmp/envvars"

trap - ERR  # from here a failure is the check's verdict, printed by it
awk -v tmp="$tmp" '
function miss(what) { printf "%s:%d: %s\n", FILENAME, FNR, what; bad++ }
function exists(p) { return (p in files) || (p in dirs) }
# The anchor GitHub makes of a heading.
function slug(h) { h = tolower(h); gsub(/[^a-z0-9 _-]/, "", h); gsub(/ /, "-", h); return h }
function check_path(p) {
  sub(/:[0-9]+(-[0-9]+)?$/, "", p); sub(/[.,;:]+$/, "", p)
  if (p ~ /[*{]/) return
  q = p; sub(/\/$/, "", q)
  if (!exists(q)) miss("no such file or folder: " p)
}
function check_code(s,   n, parts, i) {
  if (s ~ /^[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9_]*$/) {
    if (!(s in tests)) miss("no such test: " s)
  } else if (s ~ /^[a-z][a-z0-9_]*_(test|fuzzer)$/) {
    if (!((s ".cpp") in base)) miss("no such test binary: " s)
  } else if (s ~ /^[A-Za-z0-9_]+(::[A-Za-z0-9_]+)+$/) {
    n = split(s, parts, "::")
    for (i = 1; i <= n; i++)
      if (parts[i] ~ /^[A-Z]/ && !(parts[i] in words) && !(parts[i] in tests)) miss("no such name: " parts[i] " (in " s ")")
  } else if (s ~ /^[A-Z][a-z0-9]+[A-Z][a-z0-9]+[A-Z][a-z0-9]+[A-Za-z0-9]*$/) {
    if (!(s in tests) && !(s in words)) miss("no such test or name: " s)
  } else if (s ~ /^[A-Z][A-Z0-9]*_[A-Z0-9_]+=/) {
    # KEY=value: a configuration key, whatever its prefix.
    sub(/=.*/, "", s)
    if (!(s in keys) && !(s in envvars) && !(s in otherenv)) miss("no such .env key (not in .env.example): " s)
  } else if (s ~ /^[A-Za-z0-9_.-]+\.(cpp|hpp|sh|py|awk|md)(:[0-9]+)?$/ && s !~ /\//) {
    sub(/:[0-9]+$/, "", s)
    if (!(s in base)) miss("no file named " s)
  }
}
BEGIN {
  while ((getline l < (tmp "/files")) > 0) {
    files[l] = 1; b = l; sub(/.*\//, "", b); base[b] = 1
    d = l; while (sub(/\/[^\/]*$/, "", d)) dirs[d] = 1
  }
  while ((getline l < (tmp "/tests")) > 0) {
    split(l, p, " "); tests[p[1] "." p[2]] = 1; tests[p[1]] = 1; tests[p[2]] = 1
  }
  while ((getline l < (tmp "/words")) > 0) words[l] = 1
  while ((getline l < (tmp "/keys")) > 0) keys[l] = 1
  while ((getline l < (tmp "/envvars")) > 0) envvars[l] = 1
  # Environment variables of other programs.
  split("ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS NO_COLOR LC_ALL LC_CTYPE", s, " ")
  for (i in s) otherenv[s[i]] = 1
  # SQL words that look like configuration keys.
  split("MASTER_PASSWORD MASTER_POS_WAIT MASTER_GTID_WAIT MASTER_USE_GTID MASTER_LOG_FILE MASTER_LOG_POS", s, " ")
  for (i in s) sqlword[s[i]] = 1
  # The anchors of every Markdown file checked.
  for (i = 1; i < ARGC; i++) {
    inside = 0
    while ((getline l < ARGV[i]) > 0) {
      if (l ~ /^[[:space:]]*```/) inside = !inside
      else if (!inside && l ~ /^#+ /) { sub(/^#+ +/, "", l); anchors[ARGV[i] "#" slug(l)] = 1 }
    }
    close(ARGV[i])
  }
  keyre = "(DB|REPL|META|LISTEN|MASTER|SLAVE|RECONNECT|ACK|UNSAFE|ON_APPLY|TLS|ADMIN|HTTP|ETCD|CLUSTER|LEASE|ADVERTISE|PROMOTION)_[A-Z0-9_]*[A-Z0-9]"
}
FNR == 1 { fence = 0; dir = FILENAME; if (!sub(/\/[^\/]*$/, "", dir)) dir = "" }
/^[[:space:]]*```/ { fence = !fence; next }
{
  line = $0
  # Paths, anywhere (also in code blocks and tables).
  rest = line
  while (match(rest, /(^|[^A-Za-z0-9_.\/-])(common|scripts|tests|bench|docs|\.ci)\/[A-Za-z0-9_.\/-]*/)) {
    tok = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
    sub(/^[^a-z.]*/, "", tok); if (substr(tok, 1, 1) == "." && substr(tok, 1, 4) != ".ci/") sub(/^\.+/, "", tok)
    check_path(tok)
  }
  # Relative Markdown links.
  rest = line
  while (match(rest, /\]\([^)]+\)/)) {
    tok = substr(rest, RSTART + 2, RLENGTH - 3); rest = substr(rest, RSTART + RLENGTH)
    if (tok ~ /^[a-z]+:/) continue
    anchor = ""; if (index(tok, "#")) { anchor = substr(tok, index(tok, "#") + 1); sub(/#.*/, "", tok) }
    target = (tok == "" ? FILENAME : (dir == "" ? tok : dir "/" tok))
    while (sub(/[^\/]+\/\.\.\//, "", target)) {}
    if (!exists(target)) miss("broken link: " tok)
    else if (anchor != "" && target ~ /\.md$/ && !((target "#" anchor) in anchors))
      miss("no heading for the link " tok "#" anchor)
  }
  # Configuration keys and SQLREPL_ variables, not SQL functions.
  rest = line
  while (match(rest, "(^|[^A-Za-z0-9_@.])" keyre)) {
    tok = substr(rest, RSTART, RLENGTH); after = substr(rest, RSTART + RLENGTH, 1)
    rest = substr(rest, RSTART + RLENGTH)
    sub(/^[^A-Z]/, "", tok)
    if (after == "(" || after ~ /[a-z0-9_]/ || (tok in sqlword)) continue
    if (!(tok in keys)) miss("no such .env key (not in .env.example): " tok)
  }
  rest = line
  while (match(rest, /SQLREPL_[A-Z0-9_]*[A-Z0-9]/)) {
    tok = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
    if (!(tok in envvars)) miss("no script or test reads " tok)
  }
  if (fence) next
  # Inline code spans: test names and file names.
  rest = line
  while (match(rest, /`[^`]+`/)) {
    check_code(substr(rest, RSTART + 1, RLENGTH - 2)); rest = substr(rest, RSTART + RLENGTH)
  }
}
END {
  if (bad) { printf "docs: %d citation%s above name%s nothing in the tree\n", bad, bad == 1 ? "" : "s", bad == 1 ? "s" : ""; exit 1 }
}' "${docs[@]}"
echo "docs: every test, file and key cited in ${docs[*]} exists"
