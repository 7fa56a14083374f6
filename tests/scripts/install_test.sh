#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then:
#   1. every file is where docs/operations.md says ("Running as a service"),
#      the example configuration is .env.example as it is in the tree;
#   2. the installed systemd units pass `systemd-analyze verify` and name the
#      installed programs (verify also checks that ExecStart= is executable),
#      and the check itself sees a broken unit: an unknown key, a program
#      that is not there;
#   3. the installed programs run: --help and --version exit 0.
#
#   install_test.sh CMAKE BUILD_DIR SOURCE_DIR
#
# systemd-analyze verify needs no running systemd (it works in a container
# whose PID 1 is not systemd); --man=no skips looking for man pages, and
# --recursive-errors=no judges our units, not the system's units they are
# ordered after. With the default --recursive-errors=yes, systemd 252 exits
# 0 on a key it ignores, with a warning: so any output fails the test too.
set -euo pipefail
cmake=$1 build=$2 source=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix" out="$tmp/out"
"$cmake" --install "$build" --prefix "$prefix" >"$out" 2>&1 ||
  fail "cmake --install: $(cat "$out")"

# 1. The files.
units="$prefix/lib/systemd/system"
for f in bin/master bin/slave; do
  [ -x "$prefix/$f" ] || fail "$f is not installed (or not executable)"
done
for f in share/doc/sqlrepl/examples/env.example lib/systemd/system/sqlrepl-master.service \
  lib/systemd/system/sqlrepl-slave@.service; do
  [ -f "$prefix/$f" ] || fail "$f is not installed; installed: $(cd "$prefix" && find . -type f)"
done
cmp -s "$source/.env.example" "$prefix/share/doc/sqlrepl/examples/env.example" ||
  fail "share/doc/sqlrepl/examples/env.example differs from .env.example"

# 2. The units.
grep -q "^ExecStart=$prefix/bin/master --serve --env-file /etc/sqlrepl/master.env\$" \
  "$units/sqlrepl-master.service" || fail "sqlrepl-master.service: $(grep ExecStart "$units/sqlrepl-master.service")"
grep -q "^ExecStart=$prefix/bin/slave --env-file /etc/sqlrepl/slave%i.env\$" \
  "$units/sqlrepl-slave@.service" || fail "sqlrepl-slave@.service: $(grep ExecStart "$units/sqlrepl-slave@.service")"
if grep -n '@[A-Z_]*@' "$units"/*.service; then fail "a placeholder was left in a unit"; fi

# verify UNIT_PATH: fails with what systemd-analyze said, if it said anything.
verify() {
  local said status=0
  said=$(SYSTEMD_LOG_LEVEL=info systemd-analyze verify --man=no --recursive-errors=no "$1" 2>&1) ||
    status=$?
  if [ "$status" -ne 0 ] || [ -n "$said" ]; then
    echo "systemd-analyze verify $1: exit status $status: $said"
    return 1
  fi
}
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (Debian package systemd)"
# The template, and an instance of it (%i filled in).
for unit in sqlrepl-master.service sqlrepl-slave@.service sqlrepl-slave@1.service; do
  said=$(verify "$units/$unit") || fail "$said"
done

# The check sees a broken unit (copies; the installed ones stay as they are).
broken="$tmp/broken"
mkdir "$broken"
sed 's/^Restart=on-failure$/Restart=on-failure\nRestartTypo=1/' "$units/sqlrepl-master.service" \
  >"$broken/sqlrepl-master.service"
if verify "$broken/sqlrepl-master.service" >/dev/null; then
  fail "verify passed a unit with an unknown key"
fi
sed "s|$prefix/bin/slave|$prefix/bin/no-such-slave|" "$units/sqlrepl-slave@.service" \
  >"$broken/sqlrepl-slave@.service"
if verify "$broken/sqlrepl-slave@1.service" >/dev/null; then
  fail "verify passed a unit whose program is missing"
fi

# 3. The installed programs run.
for program in master slave; do
  "$prefix/bin/$program" --help >"$out" 2>&1 || fail "$program --help: $(cat "$out")"
  grep -q -- '--env-file' "$out" || fail "$program --help: $(cat "$out")"
  "$prefix/bin/$program" --version >"$out" 2>&1 || fail "$program --version: $(cat "$out")"
  grep -q "^$program (sqlrepl) " "$out" || fail "$program --version: $(cat "$out")"
done
echo "install_test: installed into a scratch prefix; units verified; programs run"
