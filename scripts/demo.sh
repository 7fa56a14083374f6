#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts three private MariaDB
# servers (scripts/cluster.sh) and runs the master's prompt with two slaves,
# linked over TLS with the private CA and certificate that scripts/cluster.sh
# makes under .cluster/tls/. Each slave's server is set up by `slave --setup`
# (run by scripts/cluster.sh as root over the node's socket), so the build
# comes first.
#
#   scripts/demo.sh            tmux: one window, three panes (master, slave1, slave2)
#   scripts/demo.sh --no-tmux  master in the foreground, slaves in the background,
#                              logging to .cluster/slave1.log and .cluster/slave2.log
#
# A program that ends (\q at the master, a slave stopped) leaves its pane
# open with a line that says how to start it again, so that a person can
# restart the master alone, or a slave in place, and watch them resume. The
# servers run until the demo ends: every pane closed (Ctrl-D where a program
# ended), or `tmux kill-session -t NAME` (the name is in the status line).
# Without tmux the master runs in the foreground; once it ended, Ctrl-D ends
# the demo. Each node logs to .cluster/NODE/NODE.log (scripts/cluster.sh).
# The master's page and API run beside its prompt: the demo prints their
# address and token first (scripts/cluster.sh page), in the master's pane too.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
use_tmux=1
for arg in "$@"; do
  case "$arg" in
    --no-tmux) use_tmux=0 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
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
scripts/cluster.sh page | sed 's/^/demo: /' || echo "demo: the page's address is unknown; the prompt works without it" >&2

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

# Each program runs through scripts/run-again.sh: when it ends, its pane
# stays, with a line that says how to start it again.
again() { echo "scripts/run-again.sh $1 'close this pane' $2"; }

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
  # Each pane outlives its program; the session ends with its last pane.
  tmux new-session -d -s "$session" -x 220 -y 50 "scripts/cluster.sh page; $(again master "$master")"
  tmux set-option -t "$session" status-right " end the demo: tmux kill-session -t $session " >/dev/null
  tmux set-option -t "$session" status-right-length 80 >/dev/null
  wait_for_master
  tmux split-window -h -t "$session:0.0" "$(again slave1 "$(slave 1)")"
  tmux split-window -v -t "$session:0.1" "$(again slave2 "$(slave 2)")"
  tmux select-pane -t "$session:0.0"
  if [ -n "${TMUX:-}" ]; then
    tmux switch-client -t "$session" 2>/dev/null ||
      echo "demo: running in tmux session $session; attach with: tmux attach -t $session"
  else
    tmux attach-session -t "$session" || true
  fi
  # Detached, the demo goes on: the servers stay until the session ends.
  if tmux has-session -t "$session" 2>/dev/null; then
    echo "demo: still running in tmux session $session (tmux attach -t $session);" \
      "the servers stop when it ends (tmux kill-session -t $session), or on Ctrl-C here"
  fi
  while tmux has-session -t "$session" 2>/dev/null; do sleep 1; done
else
  # The master keeps the foreground: each slave waits for it in the
  # background, then becomes that background process (exec), so that the
  # cleanup stops the slave itself.
  for i in 1 2; do
    (wait_for_master && exec $(slave "$i")) </dev/null >".cluster/slave$i.log" 2>&1 &
    slave_pids+=($!)
    echo "demo: slave$i running (pid $!), log: .cluster/slave$i.log"
  done
  scripts/run-again.sh master "end the demo" $master
fi
