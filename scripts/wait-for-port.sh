#!/usr/bin/env bash
# Waits until a program listens on TCP port PORT of this machine, at most
# SECONDS. Exits 0 once it listens, 1 when the time is up. scripts/demo.sh
# starts the slaves with it once the master listens.
#
#   scripts/wait-for-port.sh PORT SECONDS
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 PORT SECONDS" >&2
  exit 2
fi
port=$1
deadline=$((SECONDS + $2))
listening() {
  if command -v ss >/dev/null; then
    [ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]
  else
    grep -qi ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null
  fi
}
until listening; do
  [ "$SECONDS" -lt "$deadline" ] || exit 1
  sleep 0.1
done
