# Generates the benchmark workload: N autocommit statements on bench_t,
# about 70% single-row INSERT, 20% UPDATE and 10% DELETE by primary key,
# from a fixed seed so that every system gets the same text.
#   awk -v n=20000 -v seed=42 -f bench/workload.awk > workload.sql
# The table starts with `preload` rows (ids 1..preload), created by the
# harness; inserts take AUTO_INCREMENT ids preload+1, preload+2, ... in order.
BEGIN {
  if (n == "") n = 20000
  if (seed == "") seed = 42
  if (preload == "") preload = 1000
  srand(seed)
  next_id = preload + 1
  live = 0
  for (i = 1; i <= preload; i++) ids[live++] = i
  for (s = 0; s < n; s++) {
    r = rand()
    if (r < 0.7 || live == 0) {
      printf "INSERT INTO bench_t (k, v) VALUES (%d, 'row-%d-%08x');\n", int(rand() * 1000000), s, int(rand() * 2147483647)
      ids[live++] = next_id++
    } else if (r < 0.9) {
      printf "UPDATE bench_t SET k = k + 1, v = 'upd-%d' WHERE id = %d;\n", s, ids[int(rand() * live)]
    } else {
      at = int(rand() * live)
      printf "DELETE FROM bench_t WHERE id = %d;\n", ids[at]
      ids[at] = ids[--live]
    }
  }
}
