// The provisioning progress line on the slave's console (rows, bytes,
// percentage, rate, time left) and the percentage the master's \slaves
// shows. Totals are information_schema estimates, so the percentage is by
// bytes, never 100 before the copy ended, and the time left is what the
// estimate leaves at the rate so far.
#pragma once

#include <cstdint>
#include <string>

namespace sqlrepl::provision {

struct Progress {
  std::string database;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t bytes_estimate = 0;  // 0: unknown
  double elapsed_seconds = 0;
  bool finished = false;  // SnapshotEnd arrived
};

// 0..99 while copying, 100 once finished.
int Percent(const Progress& p);

// "provisioning school: 1,204,000 rows, 412.0 MiB of ~980.0 MiB (42%),
// 38.1 MiB/s, ~15 s left"; parts that cannot be known yet are left out.
std::string DescribeProgress(const Progress& p);

// "1.5 KiB", "412.0 MiB": binary units, one decimal; plain bytes below 1 KiB.
std::string FormatBytes(uint64_t bytes);

// "~15 s", "~4 min", "~2 h 5 min".
std::string FormatDuration(double seconds);

}  // namespace sqlrepl::provision
