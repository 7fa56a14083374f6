#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts three private MariaDB
# servers (scripts/cluster.sh) and runs the master's prompt with two slaves,
# linked over TLS with the private CA and certificate that scripts/cluster.sh
# makes under .cluster/tls/.
#
#   scripts/demo.sh            tmux: one window, three panes (master, slave1, slave2)
#   scripts/demo.sh --no-tmux  master in the foreground, slaves in the background,
#                              logging to .cluster/slave1.log and .cluster/slave2.log
#
# Quitting the master (\q) stops everything this script started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
use_tmux=1
for arg in "$@"; do
  case "$arg" in
    --no-tmux) use_tmux=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[ -t 0 ] && [ -t 1 ] || use_tmux=0  # tmux needs a terminal to attach to

scripts/install-deps.sh
# The first build takes minutes on a small machine: show its progress.
echo "demo: building master and slave in build/ ..."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target master slave | grep --line-buffered -E '^\[ *[0-9]+%\]' || {
  echo "demo: the build failed; run 'cmake --build build' to see why" >&2
  exit 1
}

cluster_was_running=0
status=$(scripts/cluster.sh status 2>/dev/null || true)
case "$status" in *running*) cluster_was_running=1 ;; esac
scripts/cluster.sh start 3

slave_pids=()
session="sqlrepl-demo-$$"
cleanup() {
  for pid in "${slave_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${slave_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  tmux kill-session -t "$session" 2>/dev/null || true
  [ "$cluster_was_running" -eq 1 ] || scripts/cluster.sh stop
}
trap cleanup EXIT

master="build/master --env-file .cluster/master.env"
slave() { echo "build/slave --env-file .cluster/slave$1.env"; }

# The slaves start once the master listens, so that the first statements
# typed reach them (a slave started earlier waits and retries every
# RECONNECT_SECONDS). The port is the master's LISTEN_PORT (environment
# first, as the master reads it). Gives up after 30 s: the slaves then
# start anyway and say they are waiting for the master.
master_port=${LISTEN_PORT:-$(sed -n 's/^LISTEN_PORT=//p' .cluster/master.env | tail -1)}
master_port=${master_port:-8080}
wait_for_master() {
  scripts/wait-for-port.sh "$master_port" 30 ||
    echo "demo: the master is not listening on port $master_port after 30 s; starting the slaves anyway" >&2
}

if [ "$use_tmux" -eq 1 ]; then
  # When the master quits, its pane ends the session, and the slaves with it.
  tmux new-session -d -s "$session" -x 220 -y 50 "$master; tmux kill-session -t $session"
  wait_for_master
  tmux split-window -h -t "$session:0.0" "$(slave 1)"
  tmux split-window -v -t "$session:0.1" "$(slave 2)"
  tmux select-pane -t "$session:0.0"
  if [ -n "${TMUX:-}" ]; then
    tmux switch-client -t "$session" 2>/dev/null ||
      echo "demo: running in tmux session $session; attach with: tmux attach -t $session"
    while tmux has-session -t "$session" 2>/dev/null; do sleep 1; done
  else
    tmux attach-session -t "$session"
  fi
else
  # The master keeps the foreground: each slave waits for it in the
  # background, then becomes that background process (exec), so that the
  # cleanup stops the slave itself.
  for i in 1 2; do
    (wait_for_master && exec $(slave "$i")) </dev/null >".cluster/slave$i.log" 2>&1 &
    slave_pids+=($!)
    echo "demo: slave$i running (pid $!), log: .cluster/slave$i.log"
  done
  $master
fi
