#!/usr/bin/env bash
# Benchmark harness: sqlrepl against MariaDB on identical private servers
# (loopback, default durability, one mariadbd per node). bench/README.md
# explains how to read the output and what the targets are.
#
#   bench/run.sh [STATEMENTS] [--reps N] [--statements N] [--txn-statements N]
#                [--workloads autocommit,txn] [--latency N] [--catchup N]
#
# 1. Throughput, end to end, in alternating repetitions (each repetition runs
#    every system once, in an order rotated by one from the last one):
#      client    the mariadb client on one server, no replication
#      async     MariaDB asynchronous replication, primary + 2 replicas
#                (done when both replicas hold the primary's last GTID)
#      semisync  MariaDB semi-synchronous replication, AFTER_SYNC, primary +
#                2 replicas (checked to be in effect; same done condition)
#      sqlrepl   sqlrepl master + 2 slaves, statements piped into the master
#                (done when the master has printed the outcome of the last
#                write, which it does after both slaves applied it)
#    for each workload: `autocommit` (every statement its own transaction)
#    and `txn` (BEGIN; 4-6 statements; COMMIT). Every node must end with the
#    same CHECKSUM TABLE. Reports the median and min-max of each rate and of
#    each ratio taken within one repetition.
# 2. Interactive latency (bench/latency_probe.py): statements typed on a
#    pseudo-terminal into the master (until `Replicated to 2/2 slaves`) and
#    into the mariadb client (until `Query OK`), taking turns.
# 3. Catch-up: the master logs N events with no slave; then one slave starts
#    and is timed until it has applied the last one; against the mariadb
#    client running the same statements on one server.
# Peak resident memory (VmHWM) of the master and slaves is read from /proc
# while they run. Needs build/master and build/slave (scripts/bench.sh
# builds them). Environment: SQLREPL_BENCH_BASE_PORT (default 23306; uses
# 10 ports from there and base+100 for the master), and SQLREPL_BENCH_REPS,
# _STATEMENTS, _TXN_STATEMENTS, _WORKLOADS, _LATENCY, _CATCHUP as defaults
# for the flags.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command_line="$0${*:+ $*}"

reps=${SQLREPL_BENCH_REPS:-3}
statements=${SQLREPL_BENCH_STATEMENTS:-20000}
txn_statements=${SQLREPL_BENCH_TXN_STATEMENTS:-20000}
workloads=${SQLREPL_BENCH_WORKLOADS:-autocommit,txn}
latency_count=${SQLREPL_BENCH_LATENCY:-200}
latency_warmup=20
catchup=${SQLREPL_BENCH_CATCHUP:-50000}
preload=1000

usage() { sed -n '6,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench: $*" >&2; exit 1; }
number() {  # number NAME VALUE: VALUE must be a whole number (0 allowed)
  [[ "$2" =~ ^[0-9]+$ ]] || { echo "bench: $1 must be a whole number, got '$2'" >&2; exit 2; }
}
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=${2-}; shift 2 ;;
    --statements) statements=${2-}; shift 2 ;;
    --txn-statements) txn_statements=${2-}; shift 2 ;;
    --workloads) workloads=${2-}; shift 2 ;;
    --latency) latency_count=${2-}; shift 2 ;;
    --catchup) catchup=${2-}; shift 2 ;;
    -h|--help) usage ;;
    [0-9]*) statements=$1; shift ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for v in reps statements txn_statements latency_count catchup; do number "--${v//_/-}" "${!v}"; done
[ "$reps" -ge 1 ] || { echo "bench: --reps must be at least 1" >&2; exit 2; }
run_workloads=()
for w in ${workloads//,/ }; do
  case "$w" in
    autocommit) [ "$statements" -gt 0 ] && run_workloads+=(autocommit) ;;
    txn) [ "$txn_statements" -gt 0 ] && run_workloads+=(txn) ;;
    *) echo "bench: --workloads takes autocommit and/or txn, got '$w'" >&2; exit 2 ;;
  esac
done
[ -x build/master ] && [ -x build/slave ] || {
  echo "bench: build/master and build/slave are missing: run scripts/bench.sh" >&2; exit 2; }
mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
python=$(command -v /usr/bin/python3 || command -v python3) || die "python3 is needed for the latency probe"

work=$(mktemp -d /tmp/sqlrepl-bench-XXXXXX)
base_port=${SQLREPL_BENCH_BASE_PORT:-23306}
listen_port=$((base_port + 100))
token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
pids=()
started=$SECONDS

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "bench: failed; logs kept in $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
sql() { mariadb --no-defaults -uroot -S "$work/$1/sock" -N -B -e "$2"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# ---------------------------------------------------------------- servers
# Node index -> name; each listens on base_port + index.
nodes=(single async_p async_r1 async_r2 semi_p semi_r1 semi_r2 master slave1 slave2)
port_of() {
  local i
  for i in "${!nodes[@]}"; do [ "${nodes[$i]}" = "$1" ] && { echo $((base_port + i)); return; }; done
  die "no node $1"
}
server_options() {  # the options that differ between nodes
  case "$1" in
    async_p) echo "--log-bin=mysql-bin --server-id=1" ;;
    async_r*) echo "--server-id=1${1#async_r}" ;;
    semi_p) echo "--log-bin=mysql-bin --server-id=2 --rpl-semi-sync-master-enabled=ON
                  --rpl-semi-sync-master-wait-point=AFTER_SYNC --rpl-semi-sync-master-timeout=60000" ;;
    semi_r*) echo "--server-id=2${1#semi_r} --rpl-semi-sync-slave-enabled=ON" ;;
    *) echo "" ;;
  esac
}

# One mariadb-install-db, copied for each node: identical servers, and the
# setup costs one install instead of ten.
install_servers() {
  mkdir -p "$work/template/tmp"  # a private tmpdir, as in scripts/cluster.sh
  mariadb-install-db --no-defaults --datadir="$work/template/data" --tmpdir="$work/template/tmp" \
    --skip-test-db >"$work/template/install.log" 2>&1 ||
    die "mariadb-install-db failed; see $work/template/install.log"
  local node
  for node in "${nodes[@]}"; do
    mkdir -p "$work/$node/tmp"
    cp -a "$work/template/data" "$work/$node/data"
  done
  rm -rf "$work/template"
}

# Runs in this shell (never inside $(...)), so that cleanup knows its PID.
start_server() {
  local name=$1 port
  port=$(port_of "$name")
  # shellcheck disable=SC2046  # the options are words
  "$mariadbd" --no-defaults --datadir="$work/$name/data" --tmpdir="$work/$name/tmp" \
    --socket="$work/$name/sock" --port="$port" \
    --bind-address=127.0.0.1 --user=root --skip-name-resolve --innodb-buffer-pool-size=128M \
    --log-error="$work/$name/error.log" --pid-file="$work/$name/pid" $(server_options "$name") \
    </dev/null >/dev/null 2>&1 &
  pids+=($!)
}

wait_server() {
  local deadline=$((SECONDS + 60))
  until sql "$1" "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$1 did not start; see $work/$1/error.log"
    sleep 0.1
  done
  sql "$1" "CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-pass';
    GRANT ALL PRIVILEGES ON *.* TO 'bench'@'127.0.0.1';
    CREATE DATABASE school;"
}

table_sql="USE school; DROP TABLE IF EXISTS school.bench_t;
  CREATE TABLE school.bench_t (
    id INT AUTO_INCREMENT PRIMARY KEY,
    k INT NOT NULL,
    v VARCHAR(64) NOT NULL,
    ts DATETIME(6) NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    flag TINYINT NOT NULL
  ) ENGINE=InnoDB;
  INSERT INTO school.bench_t (k, v, ts, amount, flag)
    SELECT seq, CONCAT('pre-', seq), '2024-01-01 00:00:00' + INTERVAL seq SECOND, seq * 1.25, seq % 2
    FROM seq_1_to_$preload;"

# reset_table NODE...: the table back to its preloaded state on each node.
reset_table() { local node; for node in "$@"; do sql "$node" "SET sql_log_bin = 0; $table_sql"; done; }
checksum() { sql "$1" "CHECKSUM TABLE school.bench_t" | cut -f2; }
same_checksum() {  # same_checksum WHAT NODE...: all nodes hold the same table; sets reference
  local node
  reference=$(checksum "$2")
  for node in "${@:3}"; do
    [ "$(checksum "$node")" = "$reference" ] || die "$node differs from the reference after $1"
  done
}

for port in $(seq "$base_port" $((base_port + ${#nodes[@]} - 1))) "$listen_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is taken; set SQLREPL_BENCH_BASE_PORT to a free range"
  fi
done
echo "bench: installing ${#nodes[@]} private servers in $work"
install_servers
for node in "${nodes[@]}"; do start_server "$node"; done
for node in "${nodes[@]}"; do wait_server "$node"; done

# MariaDB replication: each replica follows its primary from the start.
for setup in async semi; do
  sql "${setup}_p" "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pass';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';"
  gtid=$(sql "${setup}_p" "SELECT @@gtid_binlog_pos")
  for r in "${setup}_r1" "${setup}_r2"; do
    sql "$r" "SET GLOBAL gtid_slave_pos = '$gtid';
      CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(port_of "${setup}_p"), MASTER_USER='repl',
        MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos;
      START SLAVE;"
  done
done

# wait_gtid PRIMARY REPLICA...: every replica holds the primary's last GTID.
wait_gtid() {
  local gtid r
  gtid=$(sql "$1" "SELECT @@gtid_binlog_pos")
  for r in "${@:2}"; do
    [ "$(sql "$r" "SELECT MASTER_GTID_WAIT('$gtid', 600)")" = 0 ] || die "$r did not catch up with $1"
  done
}
semi_status() { sql semi_p "SHOW GLOBAL STATUS LIKE '$1'" | cut -f2; }

# -------------------------------------------------------------- sqlrepl
# Every sqlrepl run gets a META_SCHEMA of its own: a new replication log and
# new slave positions, without reaching into the programs' tables.
run_id=0
write_env() {  # write_env META
  local common="DB_HOST=127.0.0.1
DB_USER=bench
DB_PASS=bench-pass
DB_NAME=school
REPL_TOKEN=$token
META_SCHEMA=$1"
  (umask 077
   printf '%s\nDB_PORT=%s\nLISTEN_HOST=127.0.0.1\nLISTEN_PORT=%s\nACK_TIMEOUT_MS=60000\nMASTER_LOG=%s\n' \
     "$common" "$(port_of master)" "$listen_port" "$work/master_log.txt" >"$work/master.env"
   # The one bench account also recreates tables between runs, so it holds
   # more than a slave needs; the slaves are told to accept that.
   for i in 1 2; do
     printf '%s\nDB_PORT=%s\nMASTER_HOST=127.0.0.1\nMASTER_PORT=%s\nSLAVE_ID=slave%s\nRECONNECT_SECONDS=1\nSLAVE_ALLOW_BROAD_GRANTS=1\nSLAVE_LOG=%s\n' \
       "$common" "$(port_of "slave$i")" "$listen_port" "$i" "$work/slave${i}_log.txt" >"$work/slave$i.env"
   done)
}

# start_master TAG: the master reads $work/TAG.in, a FIFO held open on fd 3.
start_master() {
  rm -f "$work/$1.in"
  mkfifo "$work/$1.in"
  build/master --env-file "$work/master.env" <"$work/$1.in" >"$work/$1.master.out" 2>"$work/$1.master.err" &
  master_pid=$!
  pids+=("$master_pid")
  exec 3>"$work/$1.in"
}
start_slave() {  # start_slave TAG I
  build/slave --env-file "$work/slave$2.env" </dev/null >"$work/$1.slave$2.out" 2>&1 3>&- &
  slave_pid[$2]=$!
  pids+=("${slave_pid[$2]}")
}
wait_connected() {  # wait_connected TAG I
  local deadline=$((SECONDS + 60))
  until grep -q "Connected to master" "$work/$1.slave$2.out"; do
    kill -0 "${slave_pid[$2]}" 2>/dev/null || die "slave$2 exited; see $work/$1.slave$2.out"
    [ $SECONDS -lt $deadline ] || die "slave$2 did not connect; see $work/$1.slave$2.out"
    sleep 0.05
  done
}
# wait_marker TAG MARKER: the master printed MARKER (the result of a SELECT
# queued after the workload, so printed after every earlier write's outcome).
wait_marker() {
  # Only the tail is read: scanning the whole output 50 times a second would
  # take CPU from the systems being measured.
  until grep -qF "$2" <(tail -c 4096 "$work/$1.master.out"); do
    kill -0 "$master_pid" 2>/dev/null || die "the master exited early; see $work/$1.master.err"
    sleep 0.02
  done
}
stop_master() {  # stop_master TAG: end of input; the master exits by itself
  exec 3>&-
  wait "$master_pid" || die "the master failed; see $work/$1.master.err"
}
stop_slave() { kill "${slave_pid[$1]}" 2>/dev/null || true; wait "${slave_pid[$1]}" 2>/dev/null || true; }

rss_master=0 rss_slave=0
note_rss() {  # note_rss ROLE PID: keep the largest VmHWM seen per role
  local mb
  mb=$(hwm "$2")
  if [ "$1" = master ]; then
    rss_master=$(awk -v a="$rss_master" -v b="$mb" 'BEGIN { print (b > a ? b : a) }')
  else
    rss_slave=$(awk -v a="$rss_slave" -v b="$mb" 'BEGIN { print (b > a ? b : a) }')
  fi
}

# --------------------------------------------------------------- workloads
declare -A workload_file workload_count workload_txns
for w in "${run_workloads[@]}"; do
  if [ "$w" = autocommit ]; then count=$statements txn=0; else count=$txn_statements txn=1; fi
  awk -v n="$count" -v seed=42 -v txn="$txn" -v preload=$preload -f bench/workload.awk >"$work/$w.sql"
  workload_file[$w]=$work/$w.sql
  workload_count[$w]=$count
  if [ "$txn" = 1 ]; then workload_txns[$w]=$(grep -c '^COMMIT;' "$work/$w.sql"); else workload_txns[$w]=$count; fi
done

# run_SYSTEM WORKLOAD TAG: prints the seconds it took, end to end.
run_client() {
  reset_table single
  local t0
  t0=$(now)
  mariadb --no-defaults -h127.0.0.1 -P"$(port_of single)" -ubench -pbench-pass school <"${workload_file[$1]}"
  elapsed "$t0" >"$work/seconds"
  reference=$(checksum single)
}

run_mariadb_replication() {  # run_mariadb_replication async|semi WORKLOAD
  local p=$1_p t0 yes0 no0 yes1 no1
  sql "$p" "$table_sql"
  wait_gtid "$p" "$1_r1" "$1_r2"
  if [ "$1" = semi ]; then
    [ "$(semi_status Rpl_semi_sync_master_status)" = ON ] || die "semi-sync is not in effect on the primary"
    [ "$(semi_status Rpl_semi_sync_master_clients)" = 2 ] || die "the primary has not 2 semi-sync replicas"
    yes0=$(semi_status Rpl_semi_sync_master_yes_tx)
    no0=$(semi_status Rpl_semi_sync_master_no_tx)
  fi
  t0=$(now)
  mariadb --no-defaults -h127.0.0.1 -P"$(port_of "$p")" -ubench -pbench-pass school <"${workload_file[$2]}"
  wait_gtid "$p" "$1_r1" "$1_r2"
  elapsed "$t0" >"$work/seconds"
  if [ "$1" = semi ]; then
    yes1=$(semi_status Rpl_semi_sync_master_yes_tx)
    no1=$(semi_status Rpl_semi_sync_master_no_tx)
    [ "$((no1 - no0))" = 0 ] && [ "$((yes1 - yes0))" = "${workload_txns[$2]}" ] ||
      die "semi-sync not in effect for every transaction: yes_tx +$((yes1 - yes0)), no_tx +$((no1 - no0)), expected +${workload_txns[$2]} and +0"
    semi_yes_tx=$((semi_yes_tx + yes1 - yes0))
  fi
  same_checksum "MariaDB $1 replication" "$p" "$1_r1" "$1_r2"
}
semi_yes_tx=0
run_async() { run_mariadb_replication async "$1"; }
run_semisync() { run_mariadb_replication semi "$1"; }

run_sqlrepl() {
  local tag=$2 marker t0 acked
  reset_table master slave1 slave2
  write_env "bench_meta_$tag"
  start_master "$tag"
  start_slave "$tag" 1
  start_slave "$tag" 2
  wait_connected "$tag" 1
  wait_connected "$tag" 2
  marker="end-of-$tag"
  t0=$(now)
  { cat "${workload_file[$1]}"; echo "SELECT CONCAT('end-of-', '$tag') AS marker;"; } >&3
  wait_marker "$tag" "$marker"
  elapsed "$t0" >"$work/seconds"
  note_rss master "$master_pid"
  note_rss slave "${slave_pid[1]}"
  note_rss slave "${slave_pid[2]}"
  stop_master "$tag"
  stop_slave 1
  stop_slave 2
  acked=$(grep -c 'Replicated to 2/2 slaves' "$work/$tag.master.out" || true)
  [ "$acked" = "${workload_txns[$1]}" ] ||
    die "the master reported $acked writes replicated to 2/2 slaves, expected ${workload_txns[$1]}; see $work/$tag.master.out"
  same_checksum sqlrepl master slave1 slave2
}

systems=(client async semisync sqlrepl)
declare -A system_label=(
  [client]="mariadb client, one server, no replication"
  [async]="MariaDB async replication, 2 replicas"
  [semisync]="MariaDB semi-sync AFTER_SYNC, 2 replicas"
  [sqlrepl]="sqlrepl, 2 slaves, acknowledged after apply"
)

load_before=$(loadavg)
echo "bench: load average before: $load_before ($(nproc) cores, shared)"
: >"$work/results.tsv"
orders=()
for ((rep = 1; rep <= reps; rep++)); do
  order=()
  for ((i = 0; i < ${#systems[@]}; i++)); do order+=("${systems[$(((i + rep - 1) % ${#systems[@]}))]}"); done
  orders+=("rep $rep: ${order[*]}")
  for w in "${run_workloads[@]}"; do
    for s in "${order[@]}"; do
      run_id=$((run_id + 1))
      "run_$s" "$w" "r${rep}_${w}_${s}_$run_id"
      seconds=$(cat "$work/seconds")
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$w" "$s" "$seconds" \
        "$(awk -v n="${workload_count[$w]}" -v t="$seconds" 'BEGIN { printf "%.1f", n / t }')" "$reference" \
        >>"$work/results.tsv"
      echo "bench: rep $rep $w $s: $(awk -v n="${workload_count[$w]}" -v t="$seconds" 'BEGIN { printf "%.0f", n / t }') statements/s"
    done
  done
done
echo "bench: load average after the throughput runs: $(loadavg)"

# ------------------------------------------------------- interactive latency
if [ "$latency_count" -gt 0 ]; then
  awk -v n=$((latency_count + latency_warmup)) -v seed=7 -v preload=$preload -f bench/workload.awk \
    >"$work/latency.sql"
  reset_table single master slave1 slave2
  write_env bench_meta_latency
  "$python" bench/latency_probe.py --statements "$work/latency.sql" --count "$latency_count" \
    --warmup "$latency_warmup" \
    --direct "mariadb --no-defaults -h127.0.0.1 -P$(port_of single) -ubench -pbench-pass --skip-auto-rehash school" \
    --master "build/master --env-file $work/master.env" \
    --slave "build/slave --env-file $work/slave1.env" --slave-log "$work/latency.slave1.out" \
    --slave "build/slave --env-file $work/slave2.env" --slave-log "$work/latency.slave2.out" \
    >"$work/latency.out" 2>"$work/latency.err" &
  probe_pid=$!
  pids+=("$probe_pid")
  wait "$probe_pid" || die "the latency probe failed: $(tail -n 3 "$work/latency.err")"
  same_checksum "the latency probe" single master slave1 slave2
  lat() { sed -n "s/^$1=//p" "$work/latency.out"; }
  for k in rss_master rss_slave1 rss_slave2; do
    [ "$k" = rss_master ] && role=master || role=slave
    v=$(lat "$k")
    if [ "$role" = master ]; then
      rss_master=$(awk -v a="$rss_master" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
    else
      rss_slave=$(awk -v a="$rss_slave" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
    fi
  done
  echo "bench: latency probe done; load average $(loadavg)"
fi

# ------------------------------------------------------------------ catch-up
if [ "$catchup" -gt 0 ]; then
  awk -v n="$catchup" -v seed=11 -v preload=$preload -f bench/workload.awk >"$work/catchup.sql"
  reset_table single
  t0=$(now)
  mariadb --no-defaults -h127.0.0.1 -P"$(port_of single)" -ubench -pbench-pass school <"$work/catchup.sql"
  t_direct=$(elapsed "$t0")
  reset_table master slave1
  write_env bench_meta_catchup
  start_master catchup
  t0=$(now)
  { cat "$work/catchup.sql"; echo "SELECT CONCAT('end-of-', 'catchup') AS marker;"; } >&3
  wait_marker catchup end-of-catchup
  t_log=$(elapsed "$t0")
  t0=$(now)
  start_slave catchup 1
  wait_connected catchup 1
  # The slave's own line: "Connected to master ..., resuming at #A (master at #B)."
  target=$(sed -n 's/.*(master at #\([0-9][0-9]*\)).*/\1/p' "$work/catchup.slave1.out" | head -n 1)
  [ -n "$target" ] || target=$catchup
  deadline=$((SECONDS + 900))
  until [ "$(sql slave1 "SELECT MAX(applied_seq) FROM bench_meta_catchup.slave_position" 2>/dev/null || echo 0)" \
          -ge "$target" ] 2>/dev/null; do
    kill -0 "${slave_pid[1]}" 2>/dev/null || die "slave1 exited during catch-up; see $work/catchup.slave1.out"
    [ $SECONDS -lt $deadline ] || die "slave1 did not catch up within 900 s"
    sleep 0.1
  done
  t_catchup=$(elapsed "$t0")
  note_rss master "$master_pid"
  note_rss slave "${slave_pid[1]}"
  stop_slave 1
  stop_master catchup
  same_checksum "catch-up" single master slave1
  echo "bench: catch-up done; load average $(loadavg)"
fi
load_after=$(loadavg)

# ------------------------------------------------------------------- report
# Every run of one workload, on every system, must end with the same table.
for w in "${run_workloads[@]}"; do
  [ "$(awk -F'\t' -v w="$w" '$2 == w { print $6 }' "$work/results.tsv" | sort -u | wc -l)" = 1 ] ||
    die "the $w workload did not end with the same CHECKSUM TABLE on every system"
done

echo
echo "=== sqlrepl benchmark"
echo "command: $command_line"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); sqlrepl at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
  git diff --quiet HEAD -- . ':!bench' ':!scripts/bench.sh' 2>/dev/null || echo ' (sources modified)'); binaries built $(
  date -u -r build/master '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, shared; load average (1/5/15 min) before $load_before, after $load_after"
echo "servers: one private mariadbd per node, loopback TCP, --no-defaults (compiled-in defaults) except:"
printf '  %-9s %-30s %5s %4s %7s %6s %7s %8s %8s %12s\n' node version flush sync log_bin format pool_MB semi_mst semi_slv wait_point
for node in single async_p async_r1 semi_p semi_r1 master slave1; do
  # shellcheck disable=SC2046,SC2183  # the query's columns are the arguments
  printf '  %-9s %-30s %5s %4s %7s %6s %7s %8s %8s %12s\n' "$node" $(sql "$node" "SELECT @@version,
    @@innodb_flush_log_at_trx_commit, @@sync_binlog, IF(@@log_bin, 'ON', 'OFF'), @@binlog_format,
    @@innodb_buffer_pool_size DIV 1048576, IF(@@rpl_semi_sync_master_enabled, 'ON', 'OFF'),
    IF(@@rpl_semi_sync_slave_enabled, 'ON', 'OFF'),
    @@rpl_semi_sync_master_wait_point")
done
echo "  (flush = innodb_flush_log_at_trx_commit, sync = sync_binlog; *_r2 as *_r1, slave2 as slave1)"
echo "table: bench_t (id INT AUTO_INCREMENT PK, k INT, v VARCHAR(64), ts DATETIME(6), amount DECIMAL(12,2),"
echo "       flag TINYINT), InnoDB, $preload rows preloaded; statements 70% INSERT, 20% UPDATE, 10% DELETE by PK, seed 42"
echo "order of the systems per repetition (rotated): ${orders[*]}"

labels="${system_label[client]}|${system_label[async]}|${system_label[semisync]}|${system_label[sqlrepl]}"
for w in "${run_workloads[@]}"; do
  echo
  if [ "$w" = autocommit ]; then
    echo "--- throughput, autocommit: ${workload_count[$w]} statements, each its own transaction; $reps repetitions"
  else
    echo "--- throughput, txn: ${workload_count[$w]} statements in ${workload_txns[$w]} transactions (BEGIN; 4-6 statements; COMMIT); $reps repetitions"
  fi
  awk -F'\t' -v w="$w" -v labels="$labels" '
    function sort(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    }
    function median(a, n) { sort(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function stat(a, n, fmt) {  # "median (min-max)" of a[1..n]
      median(a, n)
      return sprintf(fmt " (" fmt "-" fmt ")", median(a, n), a[1], a[n])
    }
    $2 == w { rate[$1, $3] = $5; if (!($1 in seen)) { seen[$1] = 1; reps[++nreps] = $1 } }
    END {
      split("client async semisync sqlrepl", sys, " ")
      split(labels, label, "|")
      printf "%-46s %22s %22s %22s\n", "system (end to end)", "stmt/s median (range)", "vs async", "vs client"
      for (s = 1; s <= 4; s++) {
        n = 0
        for (i = 1; i <= nreps; i++) {
          r = reps[i]
          if (!((r, sys[s]) in rate)) continue
          n++
          x[n] = rate[r, sys[s]]
          va[n] = rate[r, "async"] ? rate[r, sys[s]] / rate[r, "async"] : 0
          vc[n] = rate[r, "client"] ? rate[r, sys[s]] / rate[r, "client"] : 0
        }
        if (n == 0) continue
        printf "%-46s %22s %22s %22s\n", label[s], stat(x, n, "%.0f"), stat(va, n, "%.2fx"), stat(vc, n, "%.2fx")
        if (sys[s] == "sqlrepl") { sa = median(va, n); sc = median(vc, n) }
      }
      printf "targets: sqlrepl >= 1.0x async: %s (median %.2fx); >= 0.8x client: %s (median %.2fx)\n",
             sa >= 1.0 ? "met" : "NOT met", sa, sc >= 0.8 ? "met" : "NOT met", sc
    }' "$work/results.tsv"
  echo "all runs of all systems ended with CHECKSUM TABLE $(awk -F'\t' -v w="$w" '$2 == w { print $6; exit }' "$work/results.tsv")"
done
[ "$semi_yes_tx" -gt 0 ] &&
  echo "semi-sync in effect for every transaction: Rpl_semi_sync_master_status=ON, 2 clients, yes_tx +$semi_yes_tx, no_tx +0"

if [ "$latency_count" -gt 0 ]; then
  echo
  echo "--- interactive latency: $(lat count) autocommit statements typed on a pseudo-terminal, Enter to outcome line ($latency_warmup more as warm-up), the two sessions taking turns"
  printf '%-58s %8s %8s %8s\n' "session" "p50 ms" "p90 ms" "p99 ms"
  printf '%-58s %8s %8s %8s\n' "mariadb client, one server (until 'Query OK')" "$(lat direct_p50)" "$(lat direct_p90)" "$(lat direct_p99)"
  printf '%-58s %8s %8s %8s\n' "sqlrepl master, 2 slaves (until 'Replicated to 2/2 slaves')" "$(lat sqlrepl_p50)" "$(lat sqlrepl_p90)" "$(lat sqlrepl_p99)"
  [ -n "$(lat reported_p50)" ] &&
    printf '%-58s %8s %8s %8s\n' "  the master's own figure in that line" "$(lat reported_p50)" "$(lat reported_p90)" "$(lat reported_p99)"
  awk -v o="$(lat overhead_p50)" -v p="$(lat paired_overhead_p50)" 'BEGIN {
    printf "interactive overhead over direct execution p50: %.3f ms (median of per-statement differences %.3f ms); target <= 0.5 ms: %s\n",
           o, p, o <= 0.5 ? "met" : "NOT met" }'
fi

if [ "$catchup" -gt 0 ]; then
  echo
  echo "--- catch-up: one slave $target events behind ($catchup autocommit statements logged by the master with no slave connected)"
  awk -v n="$catchup" -v d="$t_direct" -v l="$t_log" -v c="$t_catchup" 'BEGIN {
    printf "%-58s %8.0f stmt/s (%.1f s)\n", "mariadb client, one server, same statements", n / d, d
    printf "%-58s %8.0f stmt/s (%.1f s)\n", "sqlrepl master logging them, no slave", n / l, l
    printf "%-58s %8.0f stmt/s (%.1f s)\n", "sqlrepl slave catching up (start to last event applied)", n / c, c
    printf "catch-up vs direct client: %.2fx; target >= 0.8x: %s\n", d / c, d / c >= 0.8 ? "met" : "NOT met" }'
fi

echo
awk -v m="$rss_master" -v s="$rss_slave" 'BEGIN {
  printf "peak resident memory (VmHWM, largest over all runs): master %.1f MB, slave %.1f MB; target < 50 MB: %s\n",
         m, s, (m < 50 && s < 50) ? "met" : "NOT met" }'
echo "total time $((SECONDS - started)) s"
