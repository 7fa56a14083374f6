#!/usr/bin/env bash
# Private MariaDB servers for the demo: one per node (master, slave1, ...),
# each with its own data folder under .cluster/, loopback only, its own port
# and socket, the `school` database with a `students` table, a database user
# for the programs and a generated .env (mode 0600) per node. A slave node's
# user holds only what applying needs (README "Privileges"): `slave --setup`
# makes its META_SCHEMA and grants, as root over the node's socket, which is
# why it builds the slave program when it is missing (build/slave, or
# SQLREPL_SLAVE_BIN). The replication link runs over TLS: a
# private CA and the master's certificate (for 127.0.0.1 and localhost) are
# made once under .cluster/tls/ with the openssl command
# (scripts/tls-certs.sh), and the .env files point at them. Each node's
# program logs to .cluster/NODE/NODE.log (MASTER_LOG, SLAVE_LOG). The
# master serves its page and API over HTTPS (same certificate) on
# 127.0.0.1:8081 with a generated HTTP_TOKEN; `page` prints both.
#
#   scripts/cluster.sh start [N]   start N servers (default 3: master, slave1, slave2)
#   scripts/cluster.sh stop        stop the servers this script started, by PID
#   scripts/cluster.sh status      show each node
#   scripts/cluster.sh page        the master's page address and HTTP token
#   scripts/cluster.sh destroy     stop, then delete .cluster/
#
# Environment: SQLREPL_CLUSTER_DIR (default <repo>/.cluster),
# SQLREPL_DB_BASE_PORT (default 13306), SQLREPL_LISTEN_PORT (default 8080),
# SQLREPL_HTTP_PORT (default 8081), SQLREPL_SLAVE_BIN (default <repo>/build/slave).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SQLREPL_CLUSTER_DIR:-$root/.cluster}
base_port=${SQLREPL_DB_BASE_PORT:-13306}
listen_port=${SQLREPL_LISTEN_PORT:-8080}
http_port=${SQLREPL_HTTP_PORT:-8081}
slave_bin=${SQLREPL_SLAVE_BIN:-$root/build/slave}

die() { echo "cluster: $*" >&2; exit 1; }

node_name() { if [ "$1" -eq 0 ]; then echo master; else echo "slave$1"; fi; }

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

find_mariadbd() {
  command -v mariadbd 2>/dev/null || { [ -x /usr/sbin/mariadbd ] && echo /usr/sbin/mariadbd; } ||
    die "mariadbd not found: run scripts/install-deps.sh"
}

# The PID of the node's server if it is running and is ours (its command
# line names our data folder); empty otherwise.
running_pid() {
  local node=$1 pidfile="$dir/$1/mariadbd.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--datadir=$dir/$node/data"; then
    echo "$pid"
  fi
}

sql() { mariadb --no-defaults -uroot -S "$dir/$1/mysqld.sock" -N -B -e "$2"; }

start_node() {
  local i=$1 node port pid
  node=$(node_name "$i")
  port=$((base_port + i))
  mkdir -p "$dir/$node"
  pid=$(running_pid "$node")
  if [ -n "$pid" ]; then
    echo "cluster: $node already running (pid $pid, port $port)"
    return 0
  fi
  # A private tmpdir: installs and servers sharing /tmp can break each other.
  mkdir -p "$dir/$node/tmp"
  if [ ! -d "$dir/$node/data/mysql" ]; then
    rm -rf "$dir/$node/data"
    mariadb-install-db --no-defaults --datadir="$dir/$node/data" --tmpdir="$dir/$node/tmp" \
      --auth-root-authentication-method=socket \
      --skip-test-db >"$dir/$node/install.log" 2>&1 ||
      die "mariadb-install-db failed for $node, see $dir/$node/install.log"
  fi
  (
    cd "$dir/$node"
    setsid "$MARIADBD" --no-defaults --datadir="$dir/$node/data" --tmpdir="$dir/$node/tmp" \
      --socket="$dir/$node/mysqld.sock" \
      --port="$port" --bind-address=127.0.0.1 --user=root --pid-file="$dir/$node/mariadbd.pid" \
      --log-error="$dir/$node/error.log" --innodb-buffer-pool-size=64M --skip-name-resolve \
      --server-id=$((i + 1)) </dev/null >/dev/null 2>&1 &
  )
  local deadline=$((SECONDS + 60))
  until sql "$node" "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$node did not start within 60 s, see $dir/$node/error.log"
    sleep 0.2
  done
  provision "$i"
  echo "cluster: $node running (pid $(running_pid "$node"), port $port)"
}

provision() {
  local i=$1 node port pass grants
  node=$(node_name "$i")
  port=$((base_port + i))
  local env="$dir/$node.env"
  if [ -f "$env" ]; then
    pass=$(sed -n "s/^DB_PASS='\(.*\)'$/\1/p" "$env")
  else
    pass=$(random_hex 16)
  fi
  if [ "$i" -eq 0 ]; then
    # The master runs the user's statements: it is the user's account.
    grants="GRANT ALL PRIVILEGES ON *.* TO 'sqlrepl'@'localhost', 'sqlrepl'@'127.0.0.1';"
  else
    # The slave's account gets its grants from `slave --setup` below.
    grants=""
  fi
  sql "$node" "
    CREATE DATABASE IF NOT EXISTS school CHARACTER SET utf8mb4;
    CREATE TABLE IF NOT EXISTS school.students (
      id INT AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      age INT
    ) ENGINE=InnoDB CHARACTER SET utf8mb4;
    CREATE USER IF NOT EXISTS 'sqlrepl'@'localhost' IDENTIFIED BY '$pass';
    CREATE USER IF NOT EXISTS 'sqlrepl'@'127.0.0.1' IDENTIFIED BY '$pass';
    $grants"
  local token http_token
  token=$(cat "$dir/token")
  http_token=$(cat "$dir/http_token")
  (
    umask 077
    {
      echo "# Generated by scripts/cluster.sh for node $node. Holds secrets: keep mode 0600."
      echo "DB_HOST=127.0.0.1"
      echo "DB_PORT=$port"
      echo "DB_USER=sqlrepl"
      echo "DB_PASS='$pass'"
      echo "DB_NAME=school"
      echo "REPL_TOKEN='$token'"
      # Each node its own operational log, beside its server's files (the
      # defaults would all write ./master_log.txt or ./slave_log.txt).
      if [ "$i" -eq 0 ]; then
        echo "MASTER_LOG='$dir/$node/$node.log'"
        echo "LISTEN_HOST=127.0.0.1"
        echo "LISTEN_PORT=$listen_port"
        echo "TLS_CERT='$dir/tls/master.crt'"
        echo "TLS_KEY='$dir/tls/master.key'"
        echo "HTTP_LISTEN=127.0.0.1:$http_port"
        echo "HTTP_TOKEN='$http_token'"
      else
        echo "MASTER_HOST=127.0.0.1"
        echo "MASTER_PORT=$listen_port"
        echo "SLAVE_ID=$node"
        echo "SLAVE_LOG='$dir/$node/$node.log'"
        echo "TLS_CA='$dir/tls/ca.crt'"
      fi
    } >"$env.tmp"
    mv "$env.tmp" "$env"
  )
  if [ "$i" -ne 0 ]; then
    # Least privilege (README "Privileges"): the slave's account reads and
    # changes rows of school and of its META_SCHEMA tables, nothing else,
    # so a statement its policy misread still cannot change a schema, an
    # account or a setting. Root's socket login serves this step alone: it
    # is given in the environment, never written to the .env.
    ADMIN_DB_USER=root ADMIN_DB_SOCKET="$dir/$node/mysqld.sock" \
      "$slave_bin" --env-file "$env" --setup >"$dir/$node/setup.log" 2>&1 ||
      die "slave --setup failed for $node: $(cat "$dir/$node/setup.log")"
  fi
}

stop_node() {
  local node=$1 pid
  pid=$(running_pid "$node")
  [ -n "$pid" ] || return 0
  kill -TERM "$pid"
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "cluster: $node (pid $pid) did not stop within 60 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  echo "cluster: $node stopped"
}

nodes() { [ -d "$dir" ] && find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name tls -printf '%f\n' | sort; }

cmd=${1:-}
case "$cmd" in
  start)
    count=${2:-3}
    [[ "$count" =~ ^[1-9][0-9]?$ ]] || die "start takes a number of servers from 1 to 99, got '$count'"
    MARIADBD=$(find_mariadbd)
    if [ "$count" -gt 1 ] && [ ! -x "$slave_bin" ] && [ -z "${SQLREPL_SLAVE_BIN:-}" ]; then
      # `slave --setup` grants the slaves' accounts: build the program once.
      echo "cluster: building the slave program for slave --setup ($slave_bin)"
      cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build "$root/build" --target slave -j "$(nproc)" >/dev/null ||
        die "building $slave_bin failed: run 'cmake --build build --target slave' to see why"
    fi
    [ "$count" -eq 1 ] || [ -x "$slave_bin" ] ||
      die "setting up the slaves needs the slave program ($slave_bin, slave --setup): build it with 'cmake --build build --target slave', or set SQLREPL_SLAVE_BIN"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [ -f "$dir/token" ] || (umask 077 && random_hex 32 >"$dir/token")
    [ -f "$dir/http_token" ] || (umask 077 && random_hex 16 >"$dir/http_token")
    [ -f "$dir/tls/master.crt" ] || "$root/scripts/tls-certs.sh" "$dir/tls" master "IP:127.0.0.1,DNS:localhost"
    for ((i = 0; i < count; i++)); do start_node "$i"; done
    echo "cluster: .env files in $dir (master.env, slave1.env, ...)"
    ;;
  stop)
    for node in $(nodes); do stop_node "$node"; done
    ;;
  status)
    for node in $(nodes); do
      pid=$(running_pid "$node")
      if [ -n "$pid" ]; then echo "$node: running (pid $pid)"; else echo "$node: stopped"; fi
    done
    ;;
  page)
    # What the master's .env says, so that it holds after a restart with
    # another SQLREPL_HTTP_PORT.
    env="$dir/master.env"
    [ -f "$env" ] || die "no $env: run 'scripts/cluster.sh start' first"
    listen=$(sed -n 's/^HTTP_LISTEN=//p' "$env" | tail -1)
    token=$(sed -n "s/^HTTP_TOKEN='\(.*\)'$/\1/p" "$env" | tail -1)
    # A cluster started before the page existed: its .env has no HTTP keys.
    [ -n "$listen" ] && [ -n "$token" ] ||
      die "$env has no HTTP_LISTEN or HTTP_TOKEN: restart the cluster (scripts/cluster.sh stop; scripts/cluster.sh start) to write them"
    echo "page: https://$listen/ (certificate from the demo's CA, $dir/tls/ca.crt)"
    echo "token: $token"
    ;;
  destroy)
    for node in $(nodes); do stop_node "$node"; done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/cluster.sh start [N] | stop | status | page | destroy" >&2
    exit 2
    ;;
esac
