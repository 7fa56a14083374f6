// Log retention: a thread with its own connection that, at
// most once a minute (more often only for retentions under two minutes),
//   1. records the position every slave seen has acknowledged as applied
//      (never what it only queued; `followers` says) in META_SCHEMA.slaves, so that a slave
//      offline across a master restart still counts (delete its row to
//      forget a slave for good);
//   2. deletes log rows that every recorded slave has applied and that are
//      older than REPL_LOG_RETENTION, 1000 at a time in short READ COMMITTED
//      transactions, so the prompt's inserts never wait on them; the newest
//      row is always kept;
//   3. tells the server the log's new first event, so that a slave whose
//      position is gone is refused with how to re-seed it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/defaults.hpp"
#include "db/connection.hpp"

namespace sqlrepl::log {

// The highest sequence number that may be purged: applied by every known
// slave, and below the newest event. 0 when nothing may go (no slave known).
uint64_t PurgeLimit(const std::vector<uint64_t>& known_slave_positions, uint64_t last_seq);

// How often the purger runs for a retention: once a minute, or half the
// retention when that is shorter (never below a second).
std::chrono::seconds PurgeInterval(int64_t retention_seconds);

// A follower's acknowledged position, as the purger records it.
struct FollowerPosition {
  std::string id;
  uint64_t applied_seq = 0;
};

class LogPurger {
 public:
  // The followers seen so far and how far each has applied (any thread).
  using Followers = std::function<std::vector<FollowerPosition>()>;

  struct Options {
    db::ConnectOptions db;
    std::string meta_schema{config::kDefaultMetaSchema};
    int64_t retention_seconds = 7 * 86400;
    std::function<void(uint64_t first_seq)> on_first_seq;  // after a purge
    std::function<void(const std::string&)> log;
  };

  LogPurger(Options options, Followers followers);
  ~LogPurger();
  LogPurger(const LogPurger&) = delete;
  LogPurger& operator=(const LogPurger&) = delete;

  void Start();
  void Stop();

  static constexpr int kBatch = 1000;

 private:
  void Loop();
  Status RunOnce();
  // Opens conn_ and creates META_SCHEMA.slaves when missing.
  Status Connect();
  // Records the followers' positions; the highest event that may go.
  Result<uint64_t> RecordPositions();
  // Deletes old enough events up to `limit`, a batch at a time; how many.
  Result<uint64_t> DeleteUpTo(uint64_t limit);

  Options options_;
  Followers followers_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::optional<db::Connection> conn_;
};

}  // namespace sqlrepl::log
