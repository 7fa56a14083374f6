// The newest committed sequence number of the master's replication log.
// One instance, owned by ReplicationLog: the thread that holds the master's
// write path (the prompt's, or an HTTP worker's; one commits at a time)
// advances it; the I/O thread reads it for handshakes, catch-up
// and heartbeats. Reading a number whose live delivery is still queued for
// the I/O thread is safe: the event is committed, so catch-up can read it,
// and a session skips a live event it already has.
#pragma once

#include <atomic>
#include <cstdint>

namespace sqlrepl::log {

class LogHead {
 public:
  explicit LogHead(uint64_t last_seq) : last_seq_(last_seq) {}
  LogHead(const LogHead&) = delete;
  LogHead& operator=(const LogHead&) = delete;

  // Any thread.
  uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  // The committing thread only, after COMMIT returned.
  void Advance(uint64_t seq) { last_seq_.store(seq, std::memory_order_release); }

 private:
  std::atomic<uint64_t> last_seq_;
};

}  // namespace sqlrepl::log
