// RAII connection to MySQL/MariaDB over libmysqlclient.
//
// Multi-statements are off (a string can never smuggle a second statement),
// automatic reconnect is off (callers decide what a lost connection means),
// and the character set is utf8mb4. A Connection is used by one thread at a
// time; a thread that used one calls mysql_thread_end (ThreadEndGuard).
#pragma once

#include <mysql.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "db/query_result.hpp"
#include "db/session.hpp"

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

class Connection final : public Session {
 public:
  // Errors: kSqlError with the server's or client's errno (2002/2003 cannot
  // reach, 1045 access denied, 1049 unknown database, ...).
  static Result<Connection> Open(const ConnectOptions& options);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs one statement and copies its result. Extra result sets (CALL) are
  // in QueryResult::more_results.
  Result<QueryResult> Execute(std::string_view sql) override;

  // Sends statements before reading their answers, then reads the answers
  // in order: one result per statement. The statements go in chunks of at
  // most kPipelineBudget (db/pipeline.hpp), each sent whole before its
  // answers are read, so a batch larger than the socket's buffers cannot
  // hang; a small batch is one round trip. The server runs each statement
  // whatever became of the ones before it, so the caller makes later
  // statements safe to run after an earlier failure. Each text must be a
  // single statement (the connection never enables multi-statements).
  std::vector<Result<QueryResult>> ExecutePipelined(
      const std::vector<std::string>& statements) override;

  // Ends the session from another thread: a call blocked in it (a lock
  // wait, a full socket, a server that stopped answering) returns at once
  // with a lost connection (2013), and so does every later one. The socket
  // is shut down, not closed, so its descriptor cannot be reused meanwhile;
  // closing it then resets the connection, so the server ends at once.
  // May run while another thread is inside a call; never concurrently with
  // Reconnect(), a move or the destructor.
  void Abort();

  // Opens a new session with the options this one was opened with, in
  // place (pointers to this Connection stay valid); the old session is
  // closed once the new one is open. Errors as Open().
  Status Reconnect() override;

  // When on, a statement that leaves warnings is followed by SHOW WARNINGS
  // (one more round trip, only then) and they are kept in the result, since
  // the caller's next statement would clear them. For a pipelined batch,
  // only the last statement's are read.
  void set_capture_warnings(bool on) { capture_warnings_ = on; }

  // Runs one SELECT and hands each row to `row` as it arrives
  // (mysql_use_result): memory stays one row whatever the result's size.
  // The server holds the rows it could not send yet, and gives up after the
  // session's net_write_timeout when `row` blocks longer. `row` returns
  // false to stop: the connection is then aborted (the rest of the result
  // is not read) and the call returns kUnavailable.
  using RowFn = std::function<bool(const Row&)>;
  Status StreamRows(std::string_view sql, const RowFn& row);

  // Run(sql), a statement whose result does not matter beyond success, is Session's.

  // 'text' quoted as a string literal for this connection's character set.
  std::string Quote(std::string_view text) override;

  unsigned server_status() const override;
  // The server's id for this session (what KILL QUERY takes).
  unsigned long thread_id() const override;
  // Where the connection goes, for messages: "socket /x" or "host:port".
  const std::string& endpoint() const { return endpoint_; }
  // Times this session has sent statements and waited for the answers (a
  // pipelined batch counts once per chunk): what the write path's cost is
  // counted in.
  uint64_t round_trips() const { return round_trips_; }

 private:
  struct Closer {
    void operator()(MYSQL* m) const { mysql_close(m); }
  };
  Connection(std::unique_ptr<MYSQL, Closer> handle, std::string endpoint, ConnectOptions options)
      : handle_(std::move(handle)),
        socket_(mysql_get_socket(handle_.get())),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)) {}
  Status LastError() const;
  // Sends statements [from, end) and reads their answers into `out`. OK, or
  // the error the statements after them get (the connection is lost).
  Status RunChunk(const std::vector<std::string>& statements, size_t from, size_t end,
                  std::vector<Result<QueryResult>>* out);
  // The answer to the statement just sent, with all its result sets.
  Result<QueryResult> StoreResult(bool capture_warnings);
  // One result set (or OK packet) of the answer being read.
  Result<QueryResult> StoreOne();
  std::vector<Warning> FetchWarnings();

  std::unique_ptr<MYSQL, Closer> handle_;
  my_socket socket_;  // handle_'s, read once: Abort() runs on other threads
  std::string endpoint_;
  ConnectOptions options_;
  bool capture_warnings_ = false;
  uint64_t round_trips_ = 0;
};

// ER_PARSE_ERROR: the server ran none of the statement. The compound
// statements the programs send (BEGIN NOT ATOMIC ...) fail so under some
// sessions (sql_mode=ORACLE), and their callers fall back to plain ones.
inline constexpr unsigned kParseError = 1064;

// True for the client errors that mean the server is gone (2002, 2003,
// 2006, 2013, ...): the caller should reconnect rather than give up.
bool IsConnectionLost(const Status& status);

// The rows of a SHOW WARNINGS answer.
std::vector<Warning> WarningsFrom(const QueryResult& show_warnings);

}  // namespace sqlrepl::db
