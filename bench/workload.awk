# Generates a benchmark workload on the six-column table bench_t
# (id AUTO_INCREMENT PK, k INT, v VARCHAR(64), ts DATETIME(6),
# amount DECIMAL(12,2), flag TINYINT): n data statements, about 70%
# single-row INSERT, 20% UPDATE and 10% DELETE by primary key, from a fixed
# seed so that every system gets exactly the same text.
#
#   awk -v n=20000 -v seed=42 [-v txn=1] [-v preload=1000] -f bench/workload.awk > workload.sql
#
# txn=0 (default): every statement is its own autocommit transaction.
# txn=1: the statements are grouped into explicit transactions of 4 to 6
#        statements each, `BEGIN; ...; COMMIT;` (the last group may be
#        shorter). n still counts data statements, not BEGIN/COMMIT.
# Every value is a literal (no NOW(), no RAND()), so that all systems end
# with the same CHECKSUM TABLE. The table starts with `preload` rows
# (ids 1..preload), created by the harness; inserts take AUTO_INCREMENT ids
# preload+1, preload+2, ... in order, which the generator tracks so that
# UPDATE and DELETE always name a live row.
function timestamp(   secs) {
  secs = int(rand() * 2419200)  # four weeks of January 2024
  return sprintf("2024-01-%02d %02d:%02d:%02d.%06d", 1 + int(secs / 86400), int(secs / 3600) % 24,
                 int(secs / 60) % 60, secs % 60, int(rand() * 1000000))
}
function statement(s,   r, at) {
  r = rand()
  if (r < 0.7 || live == 0) {
    printf "INSERT INTO bench_t (k, v, ts, amount, flag) VALUES (%d, 'row-%d-%08x', '%s', %d.%02d, %d);\n",
           int(rand() * 1000000), s, int(rand() * 2147483647), timestamp(), int(rand() * 10000000),
           int(rand() * 100), int(rand() * 2)
    ids[live++] = next_id++
  } else if (r < 0.9) {
    printf "UPDATE bench_t SET k = k + 1, v = 'upd-%d', ts = '%s', amount = amount + %d.%02d, flag = 1 - flag WHERE id = %d;\n",
           s, timestamp(), int(rand() * 100), int(rand() * 100), ids[int(rand() * live)]
  } else {
    at = int(rand() * live)
    printf "DELETE FROM bench_t WHERE id = %d;\n", ids[at]
    ids[at] = ids[--live]
  }
}
BEGIN {
  if (n == "") n = 20000
  if (seed == "") seed = 42
  if (preload == "") preload = 1000
  if (txn == "") txn = 0
  srand(seed)
  next_id = preload + 1
  live = 0
  for (i = 1; i <= preload; i++) ids[live++] = i
  s = 0
  while (s < n) {
    if (txn) {
      size = 4 + int(rand() * 3)
      if (size > n - s) size = n - s
      print "BEGIN;"
      for (j = 0; j < size; j++) statement(s++)
      print "COMMIT;"
    } else {
      statement(s++)
    }
  }
}
