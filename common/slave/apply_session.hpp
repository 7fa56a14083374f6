// The applier's view of its database: one session that runs statements,
// quotes literals and says whether an error means the session is gone. The
// applier opens sessions through a factory, so a test can hand it an
// in-memory fake and make it lose its session on purpose.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "db/connection.hpp"
#include "db/query_result.hpp"

namespace sqlrepl::slave {

class ApplySession {
 public:
  virtual ~ApplySession() = default;

  // Runs one statement (never several) and copies its result.
  virtual Result<db::QueryResult> Execute(std::string_view sql) = 0;
  Status Run(std::string_view sql) { return Execute(sql).status(); }
  // `text` as a string literal for this session's character set.
  virtual std::string Quote(std::string_view text) = 0;
  // True when `status` means this session is gone: open a new one. Whether
  // a COMMIT that failed this way took effect is unknown.
  virtual bool IsConnectionLost(const Status& status) const = 0;
  // Ends this session from another thread: a call blocked in it (a lock
  // wait, a server that stopped answering) returns at once as a lost
  // session, and so does every later one. May run while another thread is
  // inside a call; never while the session is being destroyed.
  virtual void Abort() = 0;

  // One transaction: `statements` in order, then `position_update` (an
  // UPDATE of the position row), then COMMIT, which happens only when every
  // statement succeeded and the update found its row. `results` gets one
  // entry per statement that ran, up to the first failure. Returns OK once
  // committed; otherwise the first statement's error, kFailedPrecondition
  // when the position row is missing, or the COMMIT's error (a lost session:
  // the outcome is unknown). When it fails, the transaction is rolled back.
  // This version sends one statement at a time; a session may do better.
  virtual Status RunTransaction(const std::vector<std::string>& statements,
                                const std::string& position_update,
                                std::vector<Result<db::QueryResult>>* results);
};

// Opens a new session; errors when the database cannot be reached.
using ApplySessionFactory = std::function<Result<std::unique_ptr<ApplySession>>()>;

// Sessions over db::Connection to the slave's local database.
ApplySessionFactory MakeDbSessionFactory(db::ConnectOptions options);

}  // namespace sqlrepl::slave
