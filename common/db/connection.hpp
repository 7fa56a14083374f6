// RAII connection to MySQL/MariaDB over libmysqlclient.
//
// Multi-statements are off (a string can never smuggle a second statement),
// automatic reconnect is off (callers decide what a lost connection means),
// and the character set is utf8mb4. A Connection is used by one thread at a
// time; a thread that used one calls mysql_thread_end (ThreadEndGuard).
#pragma once

#include <mysql.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "db/query_result.hpp"

namespace sqlrepl::db {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string socket;  // wins over host:port when set
  std::string user;
  Secret password;
  std::string database;  // empty: none selected
  unsigned connect_timeout_s = 10;
  unsigned read_timeout_s = 0;  // 0: none, long statements are allowed to run
  unsigned write_timeout_s = 0;
};

// mysql_library_init/end for the life of main.
class LibraryGuard {
 public:
  LibraryGuard();
  ~LibraryGuard();
  LibraryGuard(const LibraryGuard&) = delete;
  LibraryGuard& operator=(const LibraryGuard&) = delete;
};

// Calls mysql_thread_end when a worker thread that used the library exits.
class ThreadEndGuard {
 public:
  ThreadEndGuard() { mysql_thread_init(); }
  ~ThreadEndGuard() { mysql_thread_end(); }
  ThreadEndGuard(const ThreadEndGuard&) = delete;
  ThreadEndGuard& operator=(const ThreadEndGuard&) = delete;
};

class Connection {
 public:
  // Errors: kSqlError with the server's or client's errno (2002/2003 cannot
  // reach, 1045 access denied, 1049 unknown database, ...).
  static Result<Connection> Open(const ConnectOptions& options);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs one statement and copies its result. Extra result sets (CALL) are
  // drained; the first is returned.
  Result<QueryResult> Execute(std::string_view sql);

  // Sends every statement before reading any answer (one round trip), then
  // reads the answers in order: one result per statement. The server runs
  // each statement whatever became of the ones before it, so the caller
  // makes later statements safe to run after an earlier failure. Each text
  // must be a single statement (the connection never enables
  // multi-statements).
  std::vector<Result<QueryResult>> ExecutePipelined(const std::vector<std::string>& statements);

  // Runs a statement whose result does not matter beyond success.
  Status Run(std::string_view sql) { return Execute(sql).status(); }

  // 'text' quoted as a string literal for this connection's character set.
  std::string Quote(std::string_view text);

  unsigned server_status() const;
  // The server's id for this session (what KILL QUERY takes).
  unsigned long thread_id() const;
  // Where the connection goes, for messages: "socket /x" or "host:port".
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Closer {
    void operator()(MYSQL* m) const { mysql_close(m); }
  };
  Connection(std::unique_ptr<MYSQL, Closer> handle, std::string endpoint)
      : handle_(std::move(handle)), endpoint_(std::move(endpoint)) {}
  Status LastError() const;
  // The answer to the statement just sent.
  Result<QueryResult> StoreResult();

  std::unique_ptr<MYSQL, Closer> handle_;
  std::string endpoint_;
};

// True for the client errors that mean the server is gone (2002, 2003,
// 2006, 2013, ...): the caller should reconnect rather than give up.
bool IsConnectionLost(const Status& status);

}  // namespace sqlrepl::db
