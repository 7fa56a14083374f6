// One database session as the master's write path sees it: what
// master::MasterExecutor and log::ReplicationLog send through, and nothing
// else. db::Connection is the real one; unit tests hand in an in-memory
// fake, as the slave's tests do behind slave::ApplySession.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "db/query_result.hpp"

namespace sqlrepl::db {

class Session {
 public:
  virtual ~Session() = default;

  // Runs one statement (never several) and copies its result.
  virtual Result<QueryResult> Execute(std::string_view sql) = 0;
  // Sends statements before reading their answers (one round trip for a
  // batch that fits db::kPipelineBudget); one result per statement, in
  // order. See Connection::ExecutePipelined.
  virtual std::vector<Result<QueryResult>> ExecutePipelined(
      const std::vector<std::string>& statements) = 0;
  // Runs a statement whose result does not matter beyond success.
  Status Run(std::string_view sql) { return Execute(sql).status(); }
  // Opens a new session in place of this one (pointers stay valid).
  virtual Status Reconnect() = 0;

  // `text` quoted as a string literal for this session's character set.
  virtual std::string Quote(std::string_view text) = 0;
  // SERVER_STATUS_* flags after the last statement.
  virtual unsigned server_status() const = 0;
  // The server's id for this session (what KILL QUERY takes).
  virtual unsigned long thread_id() const = 0;

 protected:
  Session() = default;
  Session(const Session&) = default;
  Session& operator=(const Session&) = default;
  Session(Session&&) = default;
  Session& operator=(Session&&) = default;
};

}  // namespace sqlrepl::db
