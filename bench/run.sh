#!/usr/bin/env bash
# Benchmark: the same workload, end to end, in the same run, on identical
# private MariaDB servers (loopback, default durability):
#   1. the mariadb client on one server (no replication)
#   2. MariaDB's own asynchronous replication, primary + 2 replicas
#      (done when both replicas hold the primary's last GTID)
#   3. sqlrepl, master + 2 slaves (done when both slaves have applied the
#      master's last event)
# It checks that every node ends with the same CHECKSUM TABLE, reports
# statements/s and each figure as a ratio of MariaDB's async replication,
# and the peak resident memory (VmHWM) of the sqlrepl master and slaves.
#
#   bench/run.sh [STATEMENTS]     (default 20000)
# Needs a build in build/ (scripts/bench.sh builds one).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:-20000}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench: STATEMENTS must be a positive number, got '$n'" >&2; exit 2; }
[ -x build/master ] && [ -x build/slave ] || { echo "bench: build/master and build/slave are missing: run scripts/bench.sh" >&2; exit 2; }
mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
work=$(mktemp -d /tmp/sqlrepl-bench-XXXXXX)
base_port=${SQLREPL_BENCH_BASE_PORT:-23306}
listen_port=$((base_port + 100))
token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
sql() { mariadb --no-defaults -uroot -S "$work/$1/sock" -N -B -e "$2"; }

port_of() { echo $((base_port + $1)); }

# start_server NAME INDEX [extra mariadbd options]; listens on port_of INDEX.
# Runs in this shell (never inside $(...)), so that cleanup knows its PID.
start_server() {
  local name=$1 port
  port=$(port_of "$2")
  shift 2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench: port $port is taken; set SQLREPL_BENCH_BASE_PORT to a free range" >&2
    exit 1
  fi
  mkdir -p "$work/$name/tmp"  # a private tmpdir, as in scripts/cluster.sh
  mariadb-install-db --no-defaults --datadir="$work/$name/data" --tmpdir="$work/$name/tmp" --skip-test-db \
    >"$work/$name/install.log" 2>&1
  "$mariadbd" --no-defaults --datadir="$work/$name/data" --tmpdir="$work/$name/tmp" \
    --socket="$work/$name/sock" --port="$port" \
    --bind-address=127.0.0.1 --user=root --skip-name-resolve --innodb-buffer-pool-size=128M \
    --log-error="$work/$name/error.log" --pid-file="$work/$name/pid" "$@" </dev/null >/dev/null 2>&1 &
  pids+=($!)
  local deadline=$((SECONDS + 60))
  until sql "$name" "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "bench: $name did not start; see $work/$name/error.log" >&2; exit 1; }
    sleep 0.1
  done
  sql "$name" "CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-pass';
    GRANT ALL PRIVILEGES ON *.* TO 'bench'@'127.0.0.1';
    CREATE DATABASE school;
    CREATE TABLE school.bench_t (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, v VARCHAR(64) NOT NULL) ENGINE=InnoDB;
    USE school;
    INSERT INTO bench_t (k, v) SELECT seq, CONCAT('pre-', seq) FROM seq_1_to_1000;"
}

checksum() { sql "$1" "CHECKSUM TABLE school.bench_t" | cut -f2; }

awk -v n="$n" -v seed=42 -v preload=1000 -f bench/workload.awk >"$work/workload.sql"
echo "bench: $n statements (70% INSERT, 20% UPDATE, 10% DELETE by primary key), seed 42"

# 1. The mariadb client on one server.
start_server single 0
t0=$(now)
mariadb --no-defaults -h127.0.0.1 -P"$(port_of 0)" -ubench -pbench-pass school <"$work/workload.sql"
t_single=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
reference=$(checksum single)

# 2. MariaDB asynchronous replication, primary and two replicas.
start_server primary 1 --log-bin=mysql-bin --server-id=1
start_server replica1 2 --server-id=2
start_server replica2 3 --server-id=3
p_port=$(port_of 1)
sql primary "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pass'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';"
gtid=$(sql primary "SELECT @@gtid_binlog_pos")
for r in replica1 replica2; do
  sql "$r" "SET GLOBAL gtid_slave_pos = '$gtid';
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$p_port, MASTER_USER='repl',
      MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos;
    START SLAVE;"
done
t0=$(now)
mariadb --no-defaults -h127.0.0.1 -P"$p_port" -ubench -pbench-pass school <"$work/workload.sql"
gtid=$(sql primary "SELECT @@gtid_binlog_pos")
for r in replica1 replica2; do
  [ "$(sql "$r" "SELECT MASTER_GTID_WAIT('$gtid', 600)")" = 0 ] || { echo "bench: $r did not catch up" >&2; exit 1; }
done
t_async=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
for node in primary replica1 replica2; do
  [ "$(checksum $node)" = "$reference" ] || { echo "bench: $node differs after MariaDB replication" >&2; exit 1; }
done

# 3. sqlrepl, master and two slaves.
start_server master 4
m_port=$(port_of 4)
for i in 1 2; do
  start_server "slave$i" $((4 + i))
  s_port[$i]=$(port_of $((4 + i)))
done
env_common="DB_HOST=127.0.0.1
DB_USER=bench
DB_PASS=bench-pass
DB_NAME=school
REPL_TOKEN=$token"
(umask 077
 printf '%s\nDB_PORT=%s\nLISTEN_HOST=127.0.0.1\nLISTEN_PORT=%s\nACK_TIMEOUT_MS=60000\n' "$env_common" "$m_port" "$listen_port" >"$work/master.env"
 for i in 1 2; do
   printf '%s\nDB_PORT=%s\nMASTER_PORT=%s\nSLAVE_ID=slave%s\nRECONNECT_SECONDS=1\n' "$env_common" "${s_port[$i]}" "$listen_port" "$i" >"$work/slave$i.env"
 done)
mkfifo "$work/master.in"
build/master --env-file "$work/master.env" <"$work/master.in" >"$work/master.out" 2>"$work/master.err" &
master_pid=$!
pids+=($master_pid)
exec 3>"$work/master.in"  # holds the master's input open until we have read its memory
until grep -q "listening for slaves" "$work/master.err"; do sleep 0.05; done
for i in 1 2; do
  build/slave --env-file "$work/slave$i.env" </dev/null >"$work/slave$i.out" 2>&1 3>&- &
  slave_pid[$i]=$!
  pids+=(${slave_pid[$i]})
done
for i in 1 2; do until grep -q "Connected to master" "$work/slave$i.out"; do sleep 0.05; done; done
applied() { sql "$1" "SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1"; }
t0=$(now)
cat "$work/workload.sql" >&3
for i in 1 2; do
  until [ "$(applied slave$i)" = "$n" ]; do sleep 0.02; done
done
t_sqlrepl=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
rss_master=$(hwm "$master_pid")
rss_slave1=$(hwm "${slave_pid[1]}")
rss_slave2=$(hwm "${slave_pid[2]}")
exec 3>&-
wait "$master_pid" || { echo "bench: the master failed; see $work/master.err" >&2; exit 1; }
for node in master slave1 slave2; do
  [ "$(checksum $node)" = "$reference" ] || { echo "bench: $node differs after sqlrepl" >&2; exit 1; }
done

r_single=$(rate "$n" "$t_single")
r_async=$(rate "$n" "$t_async")
r_sqlrepl=$(rate "$n" "$t_sqlrepl")
ratio() { awk -v a="$1" -v b="$r_async" 'BEGIN { printf "%.2f", a / b }'; }
echo
printf '%-52s %8s %10s\n' "system (end to end, $n statements)" "stmt/s" "vs async"
printf '%-52s %8s %10s\n' "mariadb client, one server, no replication" "$r_single" "$(ratio "$r_single")"
printf '%-52s %8s %10s\n' "MariaDB async replication, 2 replicas" "$r_async" "1.00"
printf '%-52s %8s %10s\n' "sqlrepl, 2 slaves, acknowledged after apply" "$r_sqlrepl" "$(ratio "$r_sqlrepl")"
echo "peak resident memory: master ${rss_master} MB, slave1 ${rss_slave1} MB, slave2 ${rss_slave2} MB"
echo "all nodes of all systems ended with CHECKSUM TABLE $reference"
