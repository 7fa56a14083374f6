#!/usr/bin/env bash
# The fault suite (issue 18): the real `master` and `slave` programs, three
# private MariaDB servers this script starts (master, slave1, slave2; data
# under a temp dir, stopped by PID), and a steady stream of writes piped into
# the master through a FIFO (per round: a two-row INSERT into `items`, an
# `UPDATE counter SET n = n + 1, last_k = K`, an UPDATE of the two new rows).
# slave1 runs in a network namespace of its own, joined to the host by a veth
# pair; the master listens on the host's end of it, slave2 reaches it from
# the host. Both slaves reach their servers over the Unix socket (DB_SOCKET),
# the master over TCP on loopback.
#
# Scenarios (a fault while the writer runs, then the writer stops; each
# also checks that the fault was noticed: a lost link, a lost server, a full
# table, so that a fault that did not bite cannot pass):
#   netcut          slave1's link black-holed for 25 s (nftables drop rules in
#                   its namespace: no RST, no FIN), then restored
#   loss            5% packet loss both ways on slave1's link for 15 s
#                   (nftables `numgen random mod 100 < 5 drop`; no tc netem here)
#   stop-slave      SIGSTOP of slave2 for 20 s, then SIGCONT
#   stop-master     SIGSTOP of the master program for 20 s, then SIGCONT
#   kill-slave      kill -9 of slave2, started again 3 s later
#   kill-slave-db   kill -9 of slave1's mariadbd, started again 3 s later
#   kill-master-db  kill -9 of the master's mariadbd, started again 3 s later
#                   (the master reconnects by itself)
#   kill-master     kill -9 of the master program; a new master on the same
#                   database and .env with a new writer (on a new FIFO: what
#                   the old one had read but not run is gone with it), and
#                   both slaves must follow it. What was in flight at the
#                   kill has no outcome in the output, and the new master
#                   says nothing about it (it cannot: the old one's state
#                   died with it). Nor is it only one statement: the master
#                   holds each statement's output until the slaves acknowledge
#                   it (ACK_TIMEOUT_MS), so a few committed writes may have
#                   been unreported. The counter check therefore takes what
#                   committed from the master's log (repl_meta.log): every
#                   reported increment is in it exactly once, the counter on
#                   every node equals the increments it holds, and those
#                   committed but unreported are only ones sent to the old
#                   master after its last reported one (counted in the PASS
#                   line as "in doubt at the kill").
#   kill-slave-catchup  slave2 stopped, a burst of 1,500 rounds (4,500 events)
#                   written, slave2 started, kill -9 of it mid-catch-up (its
#                   position moved but far from the master's), started again
#   dup             every packet on slave1's link sent twice, both ways, for
#                   15 s (nftables `dup to` the same device in netdev egress
#                   hooks: one in slave1's namespace, one on the host's end of
#                   the veth pair); noticed by D-SACKs slave1's TCP sends
#   disk            slave2's `items` lives on a 32 MB tmpfs (InnoDB DATA
#                   DIRECTORY); a file fills it, rows of 3 KB come until
#                   slave2 says "waiting: table full", then the file goes
#   misconfig       each refused with a clear message and nothing written to
#                   slave2's database: a slave with a wrong REPL_TOKEN, a slave
#                   and a master with a wrong DB_PASS, a slave and a master
#                   with META_SCHEMA equal to DB_NAME
# Aliases: sigstop = stop-slave stop-master; kill = the five kill-* ones.
#
# After each scenario: the writer stops, the master prints a marker once it
# has run everything sent, every slave applies the master's last sequence
# number (waited for, with a deadline), CHECKSUM TABLE of every table of
# DB_NAME is equal on the master and each slave, and the counter on every
# node equals the number of increments the master reported committed
# (`Query OK, 1 row affected` in the statement's own output, or a later
# `Write #N committed before the connection was lost ...` naming it): each
# reported one is in the master's log exactly once and the counter equals
# the increments logged, none unreported but those kill-master leaves in
# doubt. One
# line per scenario: PASS or FAIL with the reason (after a FAIL the rest
# are SKIPped: the nodes may differ already); the exit status is non-zero
# if any failed, 2 if the set-up failed.
#
#   scripts/faults.sh                   every scenario: about 4.5 minutes on 2
#                                       busy cores, plus the build
#   scripts/faults.sh netcut sigstop    only these, in the order given
#
# Needs: root (network namespace, nftables, tmpfs mount), iproute2, nftables,
# MariaDB server and client (scripts/install-deps.sh; `apt-get install
# nftables`). Environment: SQLREPL_BUILD_DIR (default build/; configured
# and built here unless SQLREPL_FAULTS_NO_BUILD=1), SQLREPL_FAULTS_KEEP=1
# keeps the temp dir (it is kept anyway when a scenario fails). Everything
# it creates (processes, namespace, nft table, tmpfs, temp dir) goes on exit,
# also on failure or Ctrl-C.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SQLREPL_BUILD_DIR:-$root/build}
all_scenarios=(netcut loss dup stop-slave stop-master kill-slave kill-slave-catchup kill-slave-db
  kill-master-db kill-master disk misconfig)

die() { echo "faults: $*" >&2; exit 2; }
note() { echo "faults: $*" >&2; }

# --- what to run ---------------------------------------------------------
selected=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
    sigstop) selected+=(stop-slave stop-master) ;;
    kill) selected+=(kill-slave kill-slave-catchup kill-slave-db kill-master-db kill-master) ;;
    *)
      [[ " ${all_scenarios[*]} " == *" $arg "* ]] || die "unknown scenario '$arg' (try --help)"
      selected+=("$arg")
      ;;
  esac
done
[ ${#selected[@]} -gt 0 ] || selected=("${all_scenarios[@]}")

[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, nftables, tmpfs)"
for tool in ip nft mariadbd mariadb mariadb-install-db ss; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || die "$tool not found (see --help: Needs)"
done
export PATH=$PATH:/usr/sbin:/sbin

# --- build ---------------------------------------------------------------
suite_start=$SECONDS
if [ "${SQLREPL_FAULTS_NO_BUILD:-0}" != 1 ]; then
  note "building master and slave in $build ..."
  # A tree configured already (a sanitizer tree, say) keeps its settings.
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || die "cmake failed"
  fi
  cmake --build "$build" -j "$(nproc)" --target master slave >"$build/faults-build.log" 2>&1 ||
    die "the build failed, see $build/faults-build.log"
fi
master_bin=$build/master
slave_bin=$build/slave
[ -x "$master_bin" ] && [ -x "$slave_bin" ] || die "no master/slave in $build"

# --- state and cleanup -----------------------------------------------------
umask 077  # the .env files hold secrets
work=$(mktemp -d /tmp/sqlrepl-faults.XXXXXX)
ns=sqlrepl-faults-$$
veth_host=sqf$$h
veth_ns=sqf$$n
net=10.213.$((RANDOM % 200 + 20))
host_ip=$net.1
ns_ip=$net.2
small=$work/small  # slave2's items table: the tmpfs
dup_table=sqlrepl_faults_dup_$$
failed=0
master_pid=
writer_pid=
declare -A slave_pid=() db_pid=() db_port=()

# Whether a process we started runs (a child that ended stays a zombie
# until waited for, and kill -0 still finds it).
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Stops a process we started: TERM, then KILL after `grace` seconds.
stop_pid() {
  local pid=$1 grace=${2:-30} deadline
  [ -n "$pid" ] && alive "$pid" || { [ -n "$pid" ] && wait "$pid" 2>/dev/null; return 0; }
  kill -CONT "$pid" 2>/dev/null
  kill -TERM "$pid" 2>/dev/null
  deadline=$((SECONDS + grace))
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  trap - EXIT INT TERM
  [ -n "$writer_pid" ] && { touch "$work/stop"; stop_pid "$writer_pid" 5; }
  exec 3>&- 2>/dev/null
  for node in "${!slave_pid[@]}"; do stop_pid "${slave_pid[$node]}" 10; done
  stop_pid "$master_pid" 10
  for node in "${!db_pid[@]}"; do stop_pid "${db_pid[$node]}" 60; done
  nft delete table netdev "$dup_table" 2>/dev/null  # in the host's namespace
  ip netns del "$ns" 2>/dev/null  # its nft tables and the veth pair go with it
  ip link del "$veth_host" 2>/dev/null
  mountpoint -q "$small" && umount -l "$small"
  if [ "$failed" -eq 0 ] && [ "${SQLREPL_FAULTS_KEEP:-0}" != 1 ]; then
    rm -rf "$work"
  else
    note "logs kept in $work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    [ -z "$(ss -Htan "( sport = :$p )")" ] && { echo "$p"; return; }
  done
}

# wait_until SECONDS COMMAND...: true once COMMAND succeeds, false at the deadline.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# --- MariaDB servers -----------------------------------------------------
sql() { mariadb --no-defaults -uroot -S "$work/db-$1/sock" -N -B -e "$2" 2>/dev/null; }
db_up() { sql "$1" "SELECT 1" >/dev/null; }

start_db() {
  local node=$1 d=$work/db-$1
  mkdir -p "$d/tmp"
  if [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$d/data" --tmpdir="$d/tmp" \
      --auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 ||
      { note "mariadb-install-db failed for $node, see $d/install.log"; return 1; }
  fi
  [ -n "${db_port[$node]:-}" ] || db_port[$node]=$(free_port)
  rm -f "$d/mariadbd.pid"
  setsid mariadbd --no-defaults --datadir="$d/data" --tmpdir="$d/tmp" --socket="$d/sock" \
    --port="${db_port[$node]}" --bind-address=127.0.0.1 --user=root --pid-file="$d/mariadbd.pid" \
    --log-error="$d/error.log" --innodb-buffer-pool-size=64M --skip-name-resolve \
    --max-connections=200 </dev/null >/dev/null 2>&1 3>&- &
  db_pid[$node]=$!
  wait_until 60 db_up "$node" || { note "$node's mariadbd did not start, see $d/error.log"; return 1; }
}

kill_db() {
  local node=$1 pid=${db_pid[$1]}
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
}

token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
pass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

setup_schema() {
  local node=$1 data_dir=
  [ "$node" = slave2 ] && data_dir=" DATA DIRECTORY = '$small'"
  sql "$node" "
    CREATE DATABASE school CHARACTER SET utf8mb4;
    CREATE TABLE school.counter (id INT PRIMARY KEY, n BIGINT NOT NULL, last_k INT NOT NULL) ENGINE=InnoDB;
    INSERT INTO school.counter VALUES (1, 0, 0);
    CREATE TABLE school.items (id INT PRIMARY KEY, body VARCHAR(4000) NOT NULL,
      hits INT NOT NULL DEFAULT 0) ENGINE=InnoDB$data_dir;
    CREATE USER 'sqlrepl'@'localhost' IDENTIFIED BY '$pass';
    CREATE USER 'sqlrepl'@'127.0.0.1' IDENTIFIED BY '$pass';" || return 1
  if [ "$node" = master ]; then
    sql "$node" "GRANT ALL PRIVILEGES ON *.* TO 'sqlrepl'@'localhost', 'sqlrepl'@'127.0.0.1'"
  else
    # README "Privileges": the slave's account holds exactly this.
    sql "$node" "
      CREATE DATABASE repl_meta;
      CREATE TABLE repl_meta.slave_position (id TINYINT UNSIGNED PRIMARY KEY,
        replication_id VARCHAR(64) NOT NULL, applied_seq BIGINT UNSIGNED NOT NULL,
        updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;
      GRANT SELECT, INSERT, UPDATE, DELETE ON school.* TO 'sqlrepl'@'localhost', 'sqlrepl'@'127.0.0.1';
      GRANT SELECT, INSERT, UPDATE, DELETE ON repl_meta.slave_position TO 'sqlrepl'@'localhost', 'sqlrepl'@'127.0.0.1';"
  fi
}

# --- the network namespace -----------------------------------------------
setup_netns() {
  ip netns add "$ns" &&
    ip link add "$veth_host" type veth peer name "$veth_ns" &&
    ip link set "$veth_ns" netns "$ns" &&
    ip addr add "$host_ip/30" dev "$veth_host" &&
    ip link set "$veth_host" up &&
    ip -n "$ns" addr add "$ns_ip/30" dev "$veth_ns" &&
    ip -n "$ns" link set "$veth_ns" up &&
    ip -n "$ns" link set lo up &&
    ip netns exec "$ns" nft add table inet sqlrepl_faults &&
    ip netns exec "$ns" nft add chain inet sqlrepl_faults in '{ type filter hook input priority 0; }' &&
    ip netns exec "$ns" nft add chain inet sqlrepl_faults out '{ type filter hook output priority 0; }'
}

# nft_rule RULE...: the same rule on both directions of slave1's link.
nft_rule() {
  ip netns exec "$ns" nft add rule inet sqlrepl_faults in iifname "$veth_ns" "$@" &&
    ip netns exec "$ns" nft add rule inet sqlrepl_faults out oifname "$veth_ns" "$@"
}
nft_clear() {
  ip netns exec "$ns" nft flush chain inet sqlrepl_faults in
  ip netns exec "$ns" nft flush chain inet sqlrepl_faults out
}

# dup_on: every packet leaving either end of slave1's veth pair is sent
# twice (`dup to` the same device in a netdev egress hook; a table in
# slave1's namespace and one on the host's end, bound to our device only).
# dup_off removes both.
dup_on() {
  local where
  for where in ns host; do
    local run=() dev=$veth_host
    [ $where = ns ] && run=(ip netns exec "$ns") dev=$veth_ns
    "${run[@]}" nft add table netdev "$dup_table" &&
      "${run[@]}" nft add chain netdev "$dup_table" eg "{ type filter hook egress device $dev priority 0; }" &&
      "${run[@]}" nft add rule netdev "$dup_table" eg dup to "$dev" || return 1
  done
}
dup_off() {
  ip netns exec "$ns" nft delete table netdev "$dup_table"
  nft delete table netdev "$dup_table"
}
# D-SACKs slave1's TCP sent: each answers a data segment it had already.
dsacks_sent() {
  ip netns exec "$ns" nstat -asz TcpExtTCPDSACKOldSent | awk '$1 == "TcpExtTCPDSACKOldSent" { print $2 }'
}

# --- the programs --------------------------------------------------------
count_of() {
  local c
  c=$(grep -c -- "$2" "$work/$1" 2>/dev/null)
  echo "${c:-0}"
}
# seen FILE PATTERN BEFORE: FILE holds more lines with PATTERN than BEFORE.
seen() { [ "$(count_of "$1" "$2")" -gt "$3" ]; }

master_port=
write_master_env() {
  {
    echo "DB_HOST=127.0.0.1"
    echo "DB_PORT=${db_port[master]}"
    echo "DB_USER=sqlrepl"
    echo "DB_PASS=$pass"
    echo "DB_NAME=school"
    echo "REPL_TOKEN=$token"
    echo "LISTEN_HOST=$host_ip"
    echo "LISTEN_PORT=$master_port"
    echo "ACK_TIMEOUT_MS=1000"
  } >"$work/master.env"
  chmod 600 "$work/master.env"
}

write_slave_env() {
  local node=$1
  {
    echo "DB_SOCKET=$work/db-$node/sock"
    echo "DB_USER=sqlrepl"
    echo "DB_PASS=$pass"
    echo "DB_NAME=school"
    echo "REPL_TOKEN=$token"
    echo "MASTER_HOST=$host_ip"
    echo "MASTER_PORT=$master_port"
    echo "SLAVE_ID=$node"
    echo "RECONNECT_SECONDS=1"
  } >"$work/$node.env"
  chmod 600 "$work/$node.env"
}

start_master() {
  local before
  before=$(count_of master.err "listening for slaves")
  "$master_bin" --force -v --env-file "$work/master.env" <"$work/fifo" \
    >>"$work/master.out" 2>>"$work/master.err" 3>&- &
  master_pid=$!
  wait_until 30 seen master.err "listening for slaves" "$before" ||
    { note "the master did not listen, see $work/master.err"; return 1; }
}

# slave1 runs inside the namespace (`ip netns exec` execs the program: the
# PID is the slave's own).
start_slave() {
  local node=$1 wrap=() before
  [ "$node" = slave1 ] && wrap=(ip netns exec "$ns")
  before=$(connected_count "$node")
  "${wrap[@]}" "$slave_bin" --env-file "$work/$node.env" </dev/null \
    >>"$work/$node.out" 2>>"$work/$node.err" 3>&- &
  slave_pid[$node]=$!
  wait_until 30 connected_more "$node" "$before" ||
    { note "$node did not connect, see $work/$node.out"; return 1; }
}
connected_count() {
  local c
  c=$(grep -c "Connected to master" "$work/$1.out" 2>/dev/null)
  echo "${c:-0}"
}
connected_more() { [ "$(connected_count "$1")" -gt "$2" ]; }

# --- the writer ------------------------------------------------------------
# Writes rounds into the FIFO (fd 3) until $work/stop exists, then the
# marker; keeps its next row id in $work/next_id. The first `burst` rounds
# go without a pause.
writer() {
  local len=$1 mark=$2 burst=${3:-0} k
  k=$(cat "$work/next_id")
  while [ ! -e "$work/stop" ]; do
    printf "INSERT INTO items (id, body) VALUES (%d, REPEAT('a', %d)), (%d, REPEAT('b', %d));\n" \
      "$k" "$len" "$((k + 1))" "$len" >&3
    printf "UPDATE counter SET n = n + 1, last_k = %d WHERE id = 1;\n" "$k" >&3
    printf "UPDATE items SET hits = hits + 1 WHERE id IN (%d, %d);\n" "$k" "$((k + 1))" >&3
    k=$((k + 2))
    echo "$k" >"$work/next_id"
    if [ "$burst" -gt 0 ]; then burst=$((burst - 1)); else sleep 0.05; fi
  done
  printf "SELECT '%s' AS mark;\n" "$mark" >&3
}

start_writer() {
  rm -f "$work/stop"
  writer "${1:-200}" "$current_mark" "${2:-0}" &
  writer_pid=$!
}

# Increments the master reported committed, by their last_k, sorted: an
# UPDATE of the counter whose own output says `Query OK, 1 row affected`, or
# that a later note names as committed before the connection was lost. -v
# echoes each statement (between lines of dashes) before its output.
reported_keys() {
  awk '
    FNR == 1 { dash = 0; stmt = "" }
    /^(Query OK|ERROR )/ { dash = 0 }  # an echo cut by kill -9 misleads no further
    /^-+$/ { dash = !dash; next }
    dash { stmt = $0; next }
    stmt ~ /^UPDATE counter / && /^Query OK, 1 row affected/ && match(stmt, /last_k = [0-9]+/) {
      ok[substr(stmt, RSTART, RLENGTH)] = 1
    }
    /it is replicated now: UPDATE counter SET n = n \+ 1, last_k = [0-9]+ / && match($0, /last_k = [0-9]+/) {
      ok[substr($0, RSTART, RLENGTH)] = 1
    }
    END { for (k in ok) print substr(k, 10) }
  ' "$work/master.out" "$work/master.err" | sort
}

# Increments committed, by their last_k, sorted (repeated if logged twice):
# the master's log, whose row commits with the statement.
logged_keys() {
  sql master "SELECT event FROM repl_meta.log" | grep -ao 'UPDATE counter SET n = n + 1, last_k = [0-9]*' |
    sed 's/.* = //' | sort
}

# Checks the counter against what the master reported and logged: nothing
# reported is missing from the log, nothing is logged twice, the counter
# equals the increments logged, and a logged one not reported lies in a
# window a scenario declared in doubt ($work/in_doubt: "LO HI" lines, LO < K
# < HI). Prints the number of those in doubt that committed.
check_counter() {
  local n=$1 k lo hi ok doubtful=0
  reported_keys >"$work/keys.reported"
  logged_keys >"$work/keys.logged"
  if [ -n "$(uniq -d "$work/keys.logged")" ]; then
    echo "increments logged twice: last_k $(uniq -d "$work/keys.logged" | head -5 | tr '\n' ' ')"
    return 1
  fi
  k=$(comm -23 "$work/keys.reported" "$work/keys.logged" | head -5 | tr '\n' ' ')
  [ -z "$k" ] || { echo "reported committed but not in the master's log: last_k $k"; return 1; }
  [ "$n" = "$(wc -l <"$work/keys.logged")" ] ||
    { echo "master counter $n, but the master's log holds $(wc -l <"$work/keys.logged") increments ($(wc -l <"$work/keys.reported") reported committed)"; return 1; }
  for k in $(comm -13 "$work/keys.reported" "$work/keys.logged"); do
    ok=0
    while read -r lo hi; do
      [ "$k" -gt "$lo" ] && [ "$k" -lt "$hi" ] && ok=1
    done < <(cat "$work/in_doubt" 2>/dev/null)
    [ "$ok" = 1 ] || { echo "master counter $n includes last_k $k, committed but never reported"; return 1; }
    doubtful=$((doubtful + 1))
  done
  echo "$doubtful"
}

applied_seq() { sql "$1" "SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1"; }
master_seq() { sql master "SELECT COALESCE(MAX(seq), 0) FROM repl_meta.log"; }
caught_up() {
  local a
  a=$(applied_seq "$1")
  [ -n "$a" ] && [ "$a" -ge "$2" ]
}
mark_seen() { grep -q "$current_mark" "$work/master.out"; }

checksums() {
  local node=$1 t
  for t in $(sql master "SELECT table_name FROM information_schema.tables
                         WHERE table_schema = 'school' AND table_type = 'BASE TABLE' ORDER BY 1"); do
    sql "$node" "CHECKSUM TABLE school.\`$t\`" | tr '\t' ' '
  done
}

# Stops the writer and checks every node; prints the reason of a failure.
settle_and_compare() {
  local deadline=$((SECONDS + 60)) last node doubtful n
  touch "$work/stop"
  while alive "$writer_pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if alive "$writer_pid"; then
    echo "the writer stayed blocked on the master's input for 60 s"
    return 1
  fi
  wait "$writer_pid"
  writer_pid=
  alive "$master_pid" || { echo "the master is gone"; return 1; }
  wait_until 180 mark_seen || { echo "the master did not run the last statement within 180 s"; return 1; }
  last=$(master_seq)
  for node in slave1 slave2; do
    alive "${slave_pid[$node]}" || { echo "$node is gone"; return 1; }
    wait_until 180 caught_up "$node" "$last" ||
      { echo "$node applied #$(applied_seq "$node") of #$last within 180 s"; return 1; }
  done
  n=$(sql master "SELECT n FROM school.counter WHERE id = 1")
  doubtful=$(check_counter "$n") || { echo "$doubtful"; return 1; }
  checksums master >"$work/sum.master"
  for node in slave1 slave2; do
    checksums "$node" >"$work/sum.$node"
    if ! cmp -s "$work/sum.master" "$work/sum.$node"; then
      echo "CHECKSUM TABLE differs on $node: $(diff "$work/sum.master" "$work/sum.$node" | grep '^[<>]' | tr '\n' ' ')"
      return 1
    fi
    [ "$(sql "$node" "SELECT n FROM school.counter WHERE id = 1")" = "$n" ] || { echo "$node's counter differs"; return 1; }
  done
  echo "seq #$last, counter $n, $(wc -l <"$work/sum.master") tables equal on 3 nodes"
  [ "$doubtful" -eq 0 ] || echo "(of which $doubtful in doubt at the kill: committed, never reported)"
}

# --- scenarios -----------------------------------------------------------
# Each runs its fault with the writer running, checks that the fault was
# seen (a fault nobody noticed proves nothing), and prints a reason on
# failure.

# expect_seen FILE PATTERN BEFORE SECONDS
expect_seen() {
  wait_until "$4" seen "$1" "$2" "$3" || { echo "the fault went unnoticed: no new '$2' in $1"; return 1; }
}

scenario_netcut() {
  local lost
  lost=$(count_of slave1.out "Lost the master")
  start_writer; sleep 5
  nft_rule drop || { echo "nft drop rules failed"; return 1; }
  sleep 25
  nft_clear
  expect_seen slave1.out "Lost the master" "$lost" 0 || return 1
  sleep 3
}

scenario_dup() {
  local before after
  before=$(dsacks_sent)
  start_writer; sleep 3
  dup_on || { dup_off 2>/dev/null; echo "nft dup rules failed"; return 1; }
  sleep 15
  dup_off
  after=$(dsacks_sent)
  [ "${after:-0}" -gt "${before:-0}" ] ||
    { echo "the fault went unnoticed: slave1 sent no D-SACK (duplicates did not arrive)"; return 1; }
  echo "slave1 answered $((after - before)) duplicate segments with a D-SACK" >"$work/info"
  sleep 3
}

scenario_loss() {
  start_writer; sleep 3
  nft_rule numgen random mod 100 '<' 5 drop || { echo "nft loss rules failed"; return 1; }
  sleep 15
  nft_clear
  sleep 3
}

# sigstop PID SECONDS: the program stands still while writes go on.
# The other side notices the silence (heartbeats) and drops the link.
sigstop() {
  local gone
  gone=$(count_of "$3" "$4")
  start_writer; sleep 4
  kill -STOP "$1"; sleep "$2"; kill -CONT "$1"
  expect_seen "$3" "$4" "$gone" 0 || return 1
  sleep 4
}
scenario_stop-slave() { sigstop "${slave_pid[slave2]}" 20 master.err "slave slave2 .*assuming it is gone"; }
scenario_stop-master() { sigstop "$master_pid" 20 slave1.out "Lost the master"; }

scenario_kill-slave() {
  start_writer; sleep 4
  kill -KILL "${slave_pid[slave2]}"; wait "${slave_pid[slave2]}" 2>/dev/null
  sleep 3
  start_slave slave2 || { echo "slave2 did not start again"; return 1; }
  sleep 4
}

# slave2 is killed while it applies a backlog of 4,500 events and more.
scenario_kill-slave-catchup() {
  local from a last deadline
  stop_pid "${slave_pid[slave2]}" 30
  from=$(applied_seq slave2)
  start_writer 200 1500
  wait_until 120 backlog_of slave2 4000 ||
    { echo "the master did not run the burst within 120 s (at #$(master_seq), slave2 at #$from)"; return 1; }
  start_slave slave2 || { echo "slave2 did not start again"; return 1; }
  # Polled without a pause: catching up takes seconds.
  deadline=$((SECONDS + 60))
  while :; do
    a=$(applied_seq slave2)
    last=$(master_seq)
    [ "$a" -gt "$from" ] && [ $((last - a)) -gt 500 ] && break
    if [ $SECONDS -ge $deadline ] || [ $((last - a)) -le 500 ]; then
      echo "slave2 was never seen mid catch-up (from #$from, now #$a of #$last)"
      return 1
    fi
  done
  kill -KILL "${slave_pid[slave2]}"; wait "${slave_pid[slave2]}" 2>/dev/null
  echo "slave2 killed at #$(applied_seq slave2) of #$(master_seq), catching up from #$from" >"$work/info"
  sleep 2
  start_slave slave2 || { echo "slave2 did not start again"; return 1; }
  sleep 3
}
backlog_of() { [ $(($(master_seq) - $(applied_seq "$1"))) -ge "$2" ]; }

# kill -9 of the master program (see the header for what counts).
scenario_kill-master() {
  local lost1 lost2 c1 c2 old=$master_pid lo
  lost1=$(count_of slave1.out "Lost the master")
  lost2=$(count_of slave2.out "Lost the master")
  start_writer; sleep 5
  kill -KILL "$old"
  # What the writer sends now would meet a half-read line on the old FIFO.
  touch "$work/stop"
  wait_until 10 eval "! alive $writer_pid" || { echo "the writer did not stop"; return 1; }
  wait "$writer_pid"
  writer_pid=
  wait "$old" 2>/dev/null
  lo=$(reported_keys | sort -n | tail -1)
  echo "${lo:-0} $(cat "$work/next_id")" >>"$work/in_doubt"
  exec 3>&-
  rm -f "$work/fifo"
  mkfifo "$work/fifo" || { echo "cannot make a new FIFO"; return 1; }
  exec 3<>"$work/fifo"
  expect_seen slave1.out "Lost the master" "$lost1" 10 || return 1
  expect_seen slave2.out "Lost the master" "$lost2" 10 || return 1
  c1=$(connected_count slave1)
  c2=$(connected_count slave2)
  start_master || { echo "the new master did not start"; return 1; }
  start_writer
  wait_until 30 connected_more slave1 "$c1" || { echo "slave1 did not follow the new master within 30 s"; return 1; }
  wait_until 30 connected_more slave2 "$c2" || { echo "slave2 did not follow the new master within 30 s"; return 1; }
  sleep 5
}

# kill_db_scenario NODE FILE PATTERN: its server dies under the writes
# (FILE says PATTERN) and comes back.
kill_db_scenario() {
  local down
  down=$(count_of "$2" "$3")
  start_writer; sleep 4
  kill_db "$1"
  wait_until 10 seen "$2" "$3" "$down"
  sleep 3
  start_db "$1" || { echo "$1's mariadbd did not start again"; return 1; }
  expect_seen "$2" "$3" "$down" 0 || return 1
  sleep 5
}
scenario_kill-slave-db() { kill_db_scenario slave1 slave1.out "Local database unavailable"; }
scenario_kill-master-db() { kill_db_scenario master master.err "No connection. Trying to reconnect"; }

scenario_disk() {
  local full
  full=$(count_of slave2.out "waiting: table full")
  head -c 100M /dev/zero >"$small/filler" 2>/dev/null  # stops at ENOSPC
  start_writer 3000
  if ! expect_seen slave2.out "waiting: table full" "$full" 90; then
    rm -f "$small/filler"
    return 1
  fi
  sleep 3
  rm -f "$small/filler"
  sleep 5
}

# expect_refused NAME SECONDS PATTERN BINARY ENV_FILE [WRAP...]: the program
# exits non-zero within SECONDS, its output matching PATTERN.
expect_refused() {
  local name=$1 secs=$2 pattern=$3 bin=$4 env=$5 pid rc
  "$bin" --env-file "$env" </dev/null >"$work/$name.out" 2>&1 3>&- &
  pid=$!
  if ! wait_until "$secs" eval "! alive $pid"; then
    stop_pid "$pid" 10
    echo "$name: still running after $secs s"
    return 1
  fi
  wait "$pid"; rc=$?
  [ "$rc" -ne 0 ] || { echo "$name: exit status 0"; return 1; }
  grep -qi -- "$pattern" "$work/$name.out" ||
    { echo "$name: no '$pattern' in: $(head -c 400 "$work/$name.out")"; return 1; }
}

scenario_misconfig() {
  local before_sum before_seq pid env=$work/bad.env
  start_writer; sleep 2
  stop_pid "${slave_pid[slave2]}" 30
  before_seq=$(applied_seq slave2)
  before_sum=$(checksums slave2)
  # A wrong token: the slave keeps asking (a master may come back with the
  # right one) but never follows this one; it says why.
  sed "s/^REPL_TOKEN=.*/REPL_TOKEN=wrong-token-0123456789abcdef0123456789/" "$work/slave2.env" >"$env"
  "$slave_bin" --env-file "$env" </dev/null >"$work/bad-token.out" 2>&1 3>&- &
  pid=$!
  if ! wait_until 20 grep -q "could not prove it knows REPL_TOKEN" "$work/bad-token.out"; then
    stop_pid "$pid" 10
    echo "a slave with a wrong REPL_TOKEN did not say so within 20 s: $(head -c 300 "$work/bad-token.out")"
    return 1
  fi
  stop_pid "$pid" 10
  grep -q "wrong REPL_TOKEN" "$work/master.err" ||
    { echo "the master did not log the slave's wrong REPL_TOKEN"; return 1; }
  sed "s/^DB_PASS=.*/DB_PASS=wrong-password/" "$work/slave2.env" >"$env"
  expect_refused bad-pass-slave 20 "access denied" "$slave_bin" "$env" || return 1
  { sed "s/^DB_PASS=.*/DB_PASS=wrong-password/;s/^LISTEN_PORT=.*/LISTEN_PORT=$(free_port)/" \
      "$work/master.env"; } >"$env"
  expect_refused bad-pass-master 20 "access denied" "$master_bin" "$env" || return 1
  { cat "$work/slave2.env"; echo "META_SCHEMA=school"; echo "SLAVE_ALLOW_BROAD_GRANTS=1"; } >"$env"
  expect_refused meta-slave 20 "META_SCHEMA and DB_NAME are both" "$slave_bin" "$env" || return 1
  { sed "s/^LISTEN_PORT=.*/LISTEN_PORT=$(free_port)/" "$work/master.env"; echo "META_SCHEMA=school"; } >"$env"
  expect_refused meta-master 20 "META_SCHEMA and DB_NAME are both" "$master_bin" "$env" || return 1
  [ "$(applied_seq slave2)" = "$before_seq" ] && [ "$(checksums slave2)" = "$before_sum" ] ||
    { echo "slave2's database changed while only misconfigured programs ran on it"; return 1; }
  start_slave slave2 || { echo "slave2 did not start again"; return 1; }
}

# --- main ----------------------------------------------------------------
note "work dir $work"
mkdir -p "$small"
mount -t tmpfs -o size=32m,mode=0777 tmpfs "$small" || die "cannot mount a tmpfs at $small"
setup_netns || die "cannot set up the network namespace $ns"
for node in master slave1 slave2; do
  start_db "$node" || die "cannot start $node's server"
  setup_schema "$node" || die "cannot create $node's schema"
done
master_port=$(free_port)
write_master_env
write_slave_env slave1
write_slave_env slave2
mkfifo "$work/fifo"
exec 3<>"$work/fifo"  # the writer's end, held open across scenarios
echo 1 >"$work/next_id"
: >"$work/master.out"
start_master || die "cannot start the master"
start_slave slave1 || die "cannot start slave1"
start_slave slave2 || die "cannot start slave2"
note "ready after $((SECONDS - suite_start)) s; scenarios: ${selected[*]}"

results=()
for scenario in "${selected[@]}"; do
  started=$SECONDS
  if [ "$failed" -eq 1 ]; then
    line="SKIP $scenario: not run after a failure (the nodes may differ already)"
    echo "$line"
    results+=("$line")
    continue
  fi
  current_mark="mark-$scenario-$RANDOM$RANDOM"
  rm -f "$work/info"
  # Into a file, not $(...): a scenario changes this shell's PIDs.
  "scenario_$scenario" >"$work/reason" 2>>"$work/scenarios.err"
  rc=$?
  if [ $rc -eq 0 ]; then
    settle_and_compare >"$work/reason" 2>>"$work/scenarios.err"
    rc=$?
  fi
  reason=$(tr '\n' ' ' <"$work/reason" | sed 's/ *$//')
  if [ $rc -eq 0 ]; then
    line="PASS $scenario ($((SECONDS - started)) s): $reason"
    [ -s "$work/info" ] && line="$line; $(tr '\n' ' ' <"$work/info" | sed 's/ *$//')"
  else
    touch "$work/stop"
    [ -n "$writer_pid" ] && stop_pid "$writer_pid" 5
    writer_pid=
    line="FAIL $scenario ($((SECONDS - started)) s): $reason"
    failed=1
  fi
  echo "$line"
  results+=("$line")
done

echo "== faults: ${#selected[@]} scenarios in $((SECONDS - suite_start)) s"
printf '%s\n' "${results[@]}"
exit "$failed"
