#!/usr/bin/env bash
# Installs the Debian packages sqlrepl needs (docs/design.md, "Dependencies").
# Idempotent: does nothing, silently, when every package is present.
# Never downloads anything but Debian packages.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libasio-dev default-libmysqlclient-dev libssl-dev openssl libedit-dev
  libgtest-dev libgmock-dev libcxxopts-dev libfmt-dev
  libcpp-httplib-dev nlohmann-json3-dev prometheus
  mariadb-server mariadb-client
  clang libclang-rt-14-dev
  tmux
  iproute2 nftables
  # tests/scripts/install_test.sh: systemd-analyze verify on the installed units
  systemd
  # tests/browser: the page in headless Chromium, driven over its DevTools protocol
  chromium python3-websocket
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# policy-rc.d keeps the package from starting a system-wide MariaDB: we only run private servers.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[ "$created_policy" -eq 1 ] && $sudo rm -f "$policy"
exit "$status"
