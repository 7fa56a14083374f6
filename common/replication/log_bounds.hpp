// What the master's replication log holds, as both sides reason about it:
// the log's identity and the range of sequence numbers still in it.
#pragma once

#include <cstdint>
#include <string>

namespace sqlrepl::replication {

struct LogBounds {
  std::string replication_id;
  uint64_t first_seq = 1;  // the oldest event still in the log (last_seq + 1 when empty)
  uint64_t last_seq = 0;   // the newest committed event, 0 when none ever was
};

// A new random replication id (32 hex digits), made once with a new log.
// Throws std::runtime_error when the system has no randomness to give.
std::string NewReplicationId();

}  // namespace sqlrepl::replication
