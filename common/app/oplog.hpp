// An operational log: one line per event a person running the program may
// want to look back at (start, stop, connections, refusals, errors), each
// with a UTC timestamp, appended to a file created with mode 0600.
//
//   2026-11-24T15:04:58.123Z master: started; replication log 3f2a... at #12
//
// Written line by line with write(2) under a mutex, so that a crash loses
// at most the line being written and lines from several threads never mix.
// Callers pass text that holds no secrets; the log adds none.
// Used by the master (MASTER_LOG) and the slave (SLAVE_LOG).
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "base/status.hpp"

namespace sqlrepl::app {

class OpLog {
 public:
  // A log that writes nothing (an empty path: logging disabled).
  OpLog() = default;
  // Opens `path` for appending, creating it with mode 0600; an existing file
  // readable by others is made private. kIoError when it cannot be opened.
  static Result<OpLog> Open(const std::string& path, std::string program);
  // Open(), or a log that writes nothing when `path` is empty (the setting
  // that disables the log).
  static Result<OpLog> OpenUnlessEmpty(const std::string& path, std::string program);
  OpLog(OpLog&& other) noexcept;
  OpLog& operator=(OpLog&&) = delete;
  ~OpLog();

  // Any thread. Appends "<timestamp> <program>: <line>".
  void Write(std::string_view line);

  // "2026-11-24T15:04:58.123Z" for `unix_ms` (ms since the epoch).
  static std::string Timestamp(int64_t unix_ms);

 private:
  OpLog(int fd, std::string program) : fd_(fd), program_(std::move(program)) {}

  int fd_ = -1;
  std::string program_;
  std::mutex mu_;
};

}  // namespace sqlrepl::app
