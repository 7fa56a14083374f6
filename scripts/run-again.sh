#!/usr/bin/env bash
# Runs a program, and each time it ends says so and how to start it again:
# Enter starts it again, end of input (Ctrl-D) ends this script. The demo
# runs each program of a pane through it, so that the pane survives \q at
# the master or a slave that stopped, and the person can restart it in place.
#
#   scripts/run-again.sh NAME WHAT-CTRL-D-DOES COMMAND [ARG ...]
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: scripts/run-again.sh NAME WHAT-CTRL-D-DOES COMMAND [ARG ...]" >&2; exit 2; }
name=$1 after=$2
shift 2
while :; do
  "$@"
  status=$?
  echo
  echo "demo: $name ended (exit status $status). Press Enter to start it again ($*), or Ctrl-D to $after."
  read -r _ || break
done
