#!/usr/bin/env bash
# Fails when an #include crosses the layering rules of docs/development.md:
#   entry points -> console/app -> master | slave -> feed -> log
#     -> replication, provision -> protocol/db/sql/config -> base
# master/ and slave/ never include each other; what both need (the log in
# log/, serving it to followers in feed/) includes neither. Both programs
# have a prompt: the terminal pieces in console/ (line source, interrupt,
# table formatter, input state, slave_shell) are shared and include neither
# role, so the slave gets its status through a callback; master_shell,
# outcome_queue, replication_report and write_text are the master's prompt and may
# include master/, never slave/, and the slave's entry point never includes
# them.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=0
# An include of a header whose path starts with PATH_RE, in any form the
# compiler accepts: blanks around '#' ("#  include"), <...> as well as "...",
# and a path reached through ./ or ../ or from the top ("../master/x.hpp",
# "common/master/x.hpp").
include_re() {
  printf '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](\\.\\.?/)*(common/)?(%s)' "$1"
}
# report WHY HITS: fails the check when HITS is not empty.
report() {
  if [ -n "$2" ]; then
    printf 'layering: %s\n%s\n' "$1" "$2"
    failed=1
  fi
}
# forbid DIR PATTERN WHY: no file under DIR may include a header in a folder matching PATTERN.
forbid() {
  local where=$1 pattern=$2 why=$3
  report "$why" "$(grep -rnE "$(include_re "$pattern")/" $where 2>/dev/null)"
}

forbid common/slave 'master|console|app' "common/slave may not include master/, console/ or app/"
forbid common/master 'slave|console|app' "common/master may not include slave/, console/ or app/"
forbid common/feed 'master|slave|console|app' "common/feed serves both roles: it includes neither"
forbid common/log 'master|slave|console|app|feed' "common/log is shared and sits below feed/"
forbid common/replication 'master|slave|console|app|feed|log' "common/replication is shared: it includes neither role"
forbid common/provision 'master|slave|console|app|feed|log' \
  "common/provision (the slave's side of provisioning; the serving side is in feed/) includes neither role"
forbid "common/protocol common/db common/sql common/config" 'master|slave|console|app|feed|log|replication|provision' \
  "protocol, db, sql and config sit below replication"
forbid common/base 'master|slave|console|app|feed|log|replication|provision|protocol|db|sql|config' "base includes nothing of ours"
forbid common/app 'master|slave|console|http' "app/ is what both entry points share"
master_console='master_shell|outcome_queue|replication_report|write_text'
shared_console=$(ls common/console/*.?pp | grep -vE "/($master_console)\.")
forbid "$shared_console" 'master|slave' "console/'s shared pieces include neither master/ nor slave/"
forbid "$(ls common/console/*.?pp | grep -E "/($master_console)\.")" 'slave' \
  "the master's prompt may not include slave/"
# http/: the server and its rules include neither role; master_api and
# replication_stats are the master's (they may include master/ and the
# master's prompt pieces), slave_api the slave's.
master_http='master_api|replication_stats'
forbid "$(ls common/http/*.?pp | grep -vE "/($master_http|slave_api)\.")" 'master|slave|console' \
  "http/'s shared pieces include neither role nor console/"
forbid "$(ls common/http/*.?pp | grep -E "/($master_http)\.")" 'slave' "the master's HTTP API may not include slave/"
forbid "$(ls common/http/slave_api.?pp)" 'master' "the slave's HTTP API may not include master/"
report "Slave.cpp may not include the master's HTTP API" \
  "$(grep -nE "$(include_re "http/($master_http)")\." Slave.cpp)"
forbid Slave.cpp 'master' "Slave.cpp may not include master/"
report "Slave.cpp may not include the master's prompt" \
  "$(grep -nE "$(include_re "console/($master_console)")\." Slave.cpp)"
forbid Master.cpp 'slave' "Master.cpp may not include slave/"

[ "$failed" -eq 0 ] && echo "layering: ok"
exit "$failed"
