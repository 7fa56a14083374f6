// The catch-up reader: a thread with its own database connection that reads
// batches of the master's log for sessions that are behind, so that no
// blocking database call runs on the I/O thread. Results are posted back to
// the I/O context.
#pragma once

#include <asio.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.hpp"
#include "db/connection.hpp"

namespace sqlrepl::log {

class LogReader {
 public:
  using Batch = Result<std::vector<std::string>>;
  using Callback = std::function<void(Batch)>;  // runs on the I/O context

  LogReader(asio::io_context& io, db::ConnectOptions db, std::string meta_schema);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Reads events from `from_seq` on (a batch of at most kBatchEvents) and
  // posts `done` with them. Any thread.
  void Request(uint64_t from_seq, Callback done);

  static constexpr size_t kBatchEvents = 2000;
  static constexpr size_t kBatchBytes = 8 * 1024 * 1024;

 private:
  void Loop();

  asio::io_context& io_;
  db::ConnectOptions db_;
  std::string meta_schema_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<uint64_t, Callback>> requests_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sqlrepl::log
