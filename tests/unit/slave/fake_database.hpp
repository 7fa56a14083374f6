// An in-memory stand-in for the slave's database behind slave::ApplySession:
// transactions that commit or roll back, the position row, tables whose
// engine has no transactions (their writes survive a rollback), injected
// errors, sessions that die on purpose (after or before a COMMIT took
// effect), and statements that block until their session is aborted. It
// understands only the statements the applier sends.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "replication/session_context.hpp"
#include "slave/apply_session.hpp"

namespace sqlrepl::slave::testing {

class FakeDatabase {
 public:
  // A rule: the next `times` statements containing `match` fail with `error`.
  void FailNext(std::string match, Status error, int times = 1) {
    std::lock_guard lock(mu_);
    failures_.push_back({std::move(match), std::move(error), times});
  }
  void ClearFailures() {
    std::lock_guard lock(mu_);
    failures_.clear();
  }
  // The next COMMIT takes effect, then its session dies (the outcome is
  // lost with it, as when the server crashes right after a durable commit).
  void LoseSessionAfterNextCommit() {
    std::lock_guard lock(mu_);
    lose_after_commit_ = true;
  }
  void SetNonTransactional(const std::string& table) {
    std::lock_guard lock(mu_);
    non_transactional_.insert(table);
  }
  void FailEngineLookups() {
    std::lock_guard lock(mu_);
    fail_engine_lookups_ = true;
  }
  void DeletePositionRow() {
    std::lock_guard lock(mu_);
    position_row_ = false;
  }
  void SetReachable(bool reachable) {
    std::lock_guard lock(mu_);
    reachable_ = reachable;
  }
  // The next statement containing `match` blocks (a lock held elsewhere)
  // until its session is aborted, or `for_at_most` passed; then its session
  // is lost.
  void BlockNext(std::string match, std::chrono::milliseconds for_at_most) {
    std::lock_guard lock(mu_);
    block_ = {std::move(match), for_at_most};
  }
  // True once a statement waits in BlockNext's block, within `timeout`.
  bool WaitUntilBlocked(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return blocked_; });
  }

  // How many times `sql` took effect (committed, or written to a table
  // without transactions).
  int TimesApplied(const std::string& sql) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const std::string& s : applied_) n += s == sql ? 1 : 0;
    return n;
  }
  uint64_t position() const {
    std::lock_guard lock(mu_);
    return position_;
  }
  int commits() const {
    std::lock_guard lock(mu_);
    return commits_;
  }
  int sessions_opened() const {
    std::lock_guard lock(mu_);
    return sessions_opened_;
  }

  ApplySessionFactory Factory();

 private:
  friend class FakeSession;
  struct Failure {
    std::string match;
    Status error;
    int times;
  };
  struct SessionState {
    bool alive = true;
    bool in_transaction = false;
    std::vector<std::string> pending;  // statements awaiting COMMIT
    std::optional<uint64_t> pending_position;
  };

  Result<db::QueryResult> Execute(SessionState& s, std::string_view sql_view);
  void Abort(SessionState& s) {
    std::lock_guard lock(mu_);
    s.alive = false;
    changed_.notify_all();
  }
  bool WritesNonTransactional(const std::string& sql) const {
    for (const std::string& t : non_transactional_) {
      if (sql.find(" " + t + " ") != std::string::npos ||
          sql.find(" " + t + "(") != std::string::npos)
        return true;
    }
    return false;
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::optional<std::pair<std::string, std::chrono::milliseconds>> block_;
  bool blocked_ = false;
  std::vector<Failure> failures_;
  std::set<std::string> non_transactional_;
  std::vector<std::string> applied_;
  uint64_t position_ = 0;
  bool position_row_ = true;
  bool lose_after_commit_ = false;
  bool fail_engine_lookups_ = false;
  bool reachable_ = true;
  int commits_ = 0;
  int sessions_opened_ = 0;
};

inline Status Lost() {
  return Status::SqlError(2013, "HY000", "Lost connection to server during query");
}

class FakeSession : public ApplySession {
 public:
  explicit FakeSession(FakeDatabase& db) : db_(db) {}
  Result<db::QueryResult> Execute(std::string_view sql) override {
    return db_.Execute(state_, sql);
  }
  std::string Quote(std::string_view text) override { return "'" + std::string(text) + "'"; }
  bool IsConnectionLost(const Status& status) const override {
    return db::IsConnectionLost(status);
  }
  void Abort() override { db_.Abort(state_); }

 private:
  FakeDatabase& db_;
  FakeDatabase::SessionState state_;
};

inline ApplySessionFactory FakeDatabase::Factory() {
  return [this]() -> Result<std::unique_ptr<ApplySession>> {
    std::lock_guard lock(mu_);
    if (!reachable_) return Status::SqlError(2002, "HY000", "Can't connect to local server");
    ++sessions_opened_;
    return std::unique_ptr<ApplySession>(std::make_unique<FakeSession>(*this));
  };
}

inline Result<db::QueryResult> FakeDatabase::Execute(SessionState& s, std::string_view sql_view) {
  const std::string sql(sql_view);
  std::unique_lock lock(mu_);
  if (!s.alive) return Lost();
  if (block_ && sql.find(block_->first) != std::string::npos) {
    const std::chrono::milliseconds for_at_most = block_->second;
    block_.reset();
    blocked_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, for_at_most, [&] { return !s.alive; });
    s.alive = false;
    return Lost();
  }
  for (Failure& f : failures_) {
    if (f.times > 0 && sql.find(f.match) != std::string::npos) {
      --f.times;
      if (db::IsConnectionLost(f.error)) s.alive = false;
      return f.error;
    }
  }
  db::QueryResult r;
  if (sql == "BEGIN" || sql == "START TRANSACTION") {
    s.in_transaction = true;
  } else if (sql == "COMMIT") {
    for (std::string& st : s.pending) applied_.push_back(std::move(st));
    if (s.pending_position) position_ = *s.pending_position;
    s.pending.clear();
    s.pending_position.reset();
    s.in_transaction = false;
    ++commits_;
    if (lose_after_commit_) {
      lose_after_commit_ = false;
      s.alive = false;
      return Lost();
    }
  } else if (sql == "ROLLBACK") {
    s.pending.clear();
    s.pending_position.reset();
    s.in_transaction = false;
  } else if (sql.find("information_schema") != std::string::npos) {
    if (fail_engine_lookups_) return Status::SqlError(1045, "28000", "access denied");
    const size_t at = sql.find("TABLE_NAME = '");
    const std::string table = sql.substr(at + 14, sql.find('\'', at + 14) - at - 14);
    r.has_result_set = true;
    r.rows.push_back({"BASE TABLE", non_transactional_.count(table) ? "NO" : "YES"});
  } else if (sql == replication::CarriedVariablesQuery()) {
    r.has_result_set = true;  // the server's defaults
    r.rows.push_back(db::Row(replication::kCarriedVariables.size(), db::Cell(std::string())));
    r.rows[0][0] = "STRICT_TRANS_TABLES";
    r.rows[0][1] = "utf8mb4";
    r.rows[0][2] = "utf8mb4_general_ci";
  } else if (sql.find("SELECT replication_id, applied_seq") == 0) {
    r.has_result_set = true;
    if (position_row_) r.rows.push_back({"fake-log", std::to_string(position_)});
  } else if (sql.find("UPDATE `repl_meta`.slave_position") == 0) {
    const size_t at = sql.find("applied_seq = ");
    if (position_row_) s.pending_position = std::strtoull(sql.c_str() + at + 14, nullptr, 10);
    // Like MariaDB without CLIENT_FOUND_ROWS: affected counts changed rows.
    r.affected_rows = 0;
    r.info = fmt::format("Rows matched: {}  Changed: 0  Warnings: 0", position_row_ ? 1 : 0);
  } else if (sql.rfind("SHOW FULL TABLES", 0) == 0) {
    r.has_result_set = true;
    r.rows.push_back({"t", "BASE TABLE"});
    r.rows.push_back({"only_here", "BASE TABLE"});
  } else if (sql.rfind("USE ", 0) == 0 || sql.rfind("SET ", 0) == 0 ||
             sql.rfind("CHECKSUM", 0) == 0) {
    if (sql.rfind("CHECKSUM", 0) == 0) {
      r.has_result_set = true;
      r.rows.push_back({"t", "4242"});
    }
  } else if (WritesNonTransactional(sql) || !s.in_transaction) {
    applied_.push_back(sql);  // no transaction can take it back
    r.affected_rows = 1;
  } else {
    s.pending.push_back(sql);
    r.affected_rows = 1;
  }
  return r;
}

}  // namespace sqlrepl::slave::testing
