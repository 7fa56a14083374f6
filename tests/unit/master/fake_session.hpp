// An in-memory stand-in for the master's database behind db::Session: the
// replication log table (rows staged in a transaction, visible to other
// sessions once committed), the transaction and autocommit flags the server
// reports (in OK answers only, as the client library sees them), the user's writes (committed or
// rolled back, not interpreted), and rules that make a statement fail, lose its session before or
// after it takes effect, or commit / roll back / change the flags as a procedure would. It
// understands only the statements MasterExecutor and ReplicationLog send; any other statement is a
// write that succeeds.
#pragma once

#include <fmt/format.h>
#include <mysql.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.hpp"
#include "db/connection.hpp"
#include "db/session.hpp"
#include "replication/session_context.hpp"

namespace sqlrepl::master::testing {

// What a statement that matches a rule does instead of plainly succeeding.
struct Effect {
  std::optional<Status> error;      // it fails so; a lost connection ends the session
  bool error_after_effect = false;  // the error comes once the statement took effect
  bool commits = false;             // it commits the open transaction (a procedure that does)
  bool rolls_back = false;          // the server rolls the open transaction back (deadlock)
  std::optional<unsigned> status;   // the SERVER_STATUS_* flags after it
};

inline Status LostConnection() {
  return Status::SqlError(2013, "HY000", "Lost connection to server during query");
}

class FakeServer {
 public:
  // The next `times` statements that contain `match` (on any session) do `effect`.
  void On(std::string match, Effect effect, int times = 1) {
    rules_.push_back({std::move(match), std::move(effect), times});
  }
  void Fail(std::string match, unsigned sql_errno, std::string message) {
    Effect e;
    e.error = Status::SqlError(sql_errno, "HY000", std::move(message));
    On(std::move(match), std::move(e));
  }
  // The session dies as the statement is sent: it never runs.
  void LoseSessionOn(std::string match) {
    Effect e;
    e.error = LostConnection();
    On(std::move(match), std::move(e));
  }
  // The statement takes effect (commits, if it commits), then the answer is lost.
  void LoseSessionAfter(std::string match) {
    Effect e;
    e.error = LostConnection();
    e.error_after_effect = true;
    On(std::move(match), std::move(e));
  }
  void SetReachable(bool reachable) { reachable_ = reachable; }

  // Committed rows of the replication log, by seq.
  const std::map<uint64_t, std::string>& log() const { return log_; }
  // The user's writes that committed (or committed by themselves), in order.
  const std::vector<std::string>& committed_writes() const { return committed_writes_; }

 private:
  friend class FakeSession;
  struct Rule {
    std::string match;
    Effect effect;
    int times;
  };
  const Effect* Match(const std::string& sql) {
    for (Rule& r : rules_) {
      if (r.times > 0 && sql.find(r.match) != std::string::npos) {
        --r.times;
        return &r.effect;
      }
    }
    return nullptr;
  }

  std::vector<Rule> rules_;
  bool reachable_ = true;
  std::map<uint64_t, std::string> log_;
  std::vector<std::string> committed_writes_;
  uint64_t auto_increment_ = 0;
  unsigned long next_thread_id_ = 1;
};

class FakeSession : public db::Session {
 public:
  explicit FakeSession(FakeServer& server)
      : server_(server), thread_id_(server.next_thread_id_++) {}

  Result<db::QueryResult> Execute(std::string_view sql) override {
    ++round_trips_;
    return ExecuteOne(std::string(sql));
  }
  // One round trip; after a lost connection the rest get its error, as on
  // a real socket.
  std::vector<Result<db::QueryResult>> ExecutePipelined(
      const std::vector<std::string>& statements) override {
    ++round_trips_;
    std::vector<Result<db::QueryResult>> out;
    for (const std::string& sql : statements) {
      if (!out.empty() && !out.back().ok() && db::IsConnectionLost(out.back().status())) {
        out.push_back(out.back().status());
        continue;
      }
      out.push_back(ExecuteOne(sql));
    }
    return out;
  }
  Status Reconnect() override {
    if (!server_.reachable_) return Status::SqlError(2003, "HY000", "Can't connect to server");
    Rollback();
    alive_ = true;
    autocommit_ = true;
    reported_status_ = CurrentStatus();
    marker_ = Marker::kNone;
    thread_id_ = server_.next_thread_id_++;
    ++reconnects_;
    return Status::Ok();
  }
  // Hex, so that the log row's bytes come back exactly.
  std::string Quote(std::string_view text) override {
    std::string out = "'";
    for (unsigned char ch : text) out += fmt::format("{:02x}", ch);
    return out + "'";
  }
  // As the client library keeps it: the flags of the last OK answer (an
  // error answer carries none).
  unsigned server_status() const override { return reported_status_; }
  unsigned long thread_id() const override { return thread_id_; }

  // Every statement sent, in order (those sent to a dead session too).
  const std::vector<std::string>& statements() const { return statements_; }
  int TimesSent(const std::string& sql) const {
    int n = 0;
    for (const std::string& s : statements_) n += s == sql ? 1 : 0;
    return n;
  }
  uint64_t round_trips() const { return round_trips_; }
  int reconnects() const { return reconnects_; }
  bool in_transaction() const { return in_transaction_; }

 private:
  // The guarded commit's marker (ReplicationLog::PrepareGuardedCommit).
  enum class Marker { kNone, kArmed, kChecked };

  Result<db::QueryResult> ExecuteOne(const std::string& sql) {
    statements_.push_back(sql);
    if (!alive_) return Status::SqlError(2006, "HY000", "Server has gone away");
    const Effect* effect = server_.Match(sql);
    Result<db::QueryResult> r = db::QueryResult{};
    if (effect == nullptr || !effect->error || effect->error_after_effect) r = Run(sql);
    if (effect != nullptr) {
      if (effect->commits) Commit();
      if (effect->rolls_back) Rollback();
      if (effect->status) {
        in_transaction_ = (*effect->status & SERVER_STATUS_IN_TRANS) != 0;
        autocommit_ = (*effect->status & SERVER_STATUS_AUTOCOMMIT) != 0;
      }
      if (effect->error) {
        r = *effect->error;
        if (db::IsConnectionLost(*effect->error)) {
          Rollback();  // the server rolls back what a dead session left open
          alive_ = false;
        }
      }
    }
    if (sql != "SHOW WARNINGS") last_failed_ = !r.ok();
    if (r.ok()) r->server_status = reported_status_ = CurrentStatus();
    return r;
  }

  unsigned CurrentStatus() const {
    return (in_transaction_ ? SERVER_STATUS_IN_TRANS : 0) |
           (autocommit_ ? SERVER_STATUS_AUTOCOMMIT : 0);
  }

  // What the statement does when no rule intervenes.
  Result<db::QueryResult> Run(const std::string& sql) {
    const std::string upper = AsciiUpper(sql);
    auto starts = [&upper](std::string_view prefix) { return upper.rfind(prefix, 0) == 0; };
    db::QueryResult r;
    if (starts("SELECT") || starts("SHOW")) {
      r.has_result_set = true;
      return Select(upper, r);
    }
    if (starts("BEGIN NOT ATOMIC")) return Block(sql);
    if (upper == "BEGIN" || starts("START TRANSACTION")) {
      Commit();  // as the server does
      in_transaction_ = true;
    } else if (starts("COMMIT")) {
      Commit();
    } else if (starts("ROLLBACK TO") || starts("SAVEPOINT") || starts("RELEASE SAVEPOINT") ||
               starts("USE ")) {
      // Savepoints are the executor's business here; the log rows staged so far stay.
    } else if (starts("ROLLBACK")) {
      Rollback();
    } else if (starts("SET")) {
      Set(upper);
    } else if (starts("INSERT INTO `REPL_META`.LOG ")) {
      return InsertLogRow(sql);
    } else if (starts("CREATE") || starts("ALTER") || starts("DROP") ||
               starts("INSERT IGNORE INTO `REPL_META`")) {
      Commit();  // DDL commits first, then by itself
      if (!starts("CREATE DATABASE IF NOT EXISTS `REPL_META`") &&
          upper.find("`REPL_META`.") == std::string::npos)
        server_.committed_writes_.push_back(sql);
    } else {
      r.affected_rows = 1;
      if (starts("INSERT")) r.insert_id = last_insert_id_ = ++server_.auto_increment_;
      if (in_transaction_ || !autocommit_) {
        pending_writes_.push_back(sql);
        in_transaction_ = true;
      } else {
        server_.committed_writes_.push_back(sql);
      }
    }
    return r;
  }

  Result<db::QueryResult> Select(const std::string& upper, db::QueryResult& r) {
    if (upper.rfind("SELECT GET_LOCK", 0) == 0) {
      r.rows.push_back({"1"});
    } else if (upper == "SELECT @@IN_TRANSACTION, @@AUTOCOMMIT") {
      r.rows.push_back({in_transaction_ ? "1" : "0", autocommit_ ? "1" : "0"});
    } else if (upper == AsciiUpper(replication::CarriedVariablesQuery())) {
      db::Row row;
      for (std::string_view name : replication::kCarriedVariables) {
        row.push_back(name == "sql_mode" ? "STRICT_TRANS_TABLES" : "1");
      }
      r.rows.push_back(std::move(row));
    } else if (upper.rfind("SELECT LAST_INSERT_ID()", 0) == 0) {
      r.rows.push_back({std::to_string(last_insert_id_)});
    } else if (upper.find("FROM `REPL_META`.LOG_INFO") != std::string::npos) {
      r.rows.push_back({"fake-log"});
    } else if (upper.rfind("SELECT MIN(SEQ), MAX(SEQ)", 0) == 0) {
      const std::map<uint64_t, std::string> rows = VisibleLog();
      if (rows.empty()) {
        r.rows.push_back({std::nullopt, std::nullopt});
      } else {
        r.rows.push_back(
            {std::to_string(rows.begin()->first), std::to_string(rows.rbegin()->first)});
      }
    } else if (upper.find("FROM `REPL_META`.LOG WHERE SEQ") != std::string::npos) {
      const bool from = upper.find("SEQ >= ") != std::string::npos;
      const uint64_t seq = std::strtoull(
          upper.c_str() + upper.find(from ? ">= " : "= ") + (from ? 3 : 2), nullptr, 10);
      uint64_t count = 0;
      for (const auto& [s, event] : VisibleLog()) {
        if (s == seq || (from && s > seq)) {
          ++count;
          if (upper.rfind("SELECT EVENT", 0) == 0) r.rows.push_back({event});
        }
      }
      if (upper.rfind("SELECT COUNT(*)", 0) == 0) r.rows.push_back({std::to_string(count)});
    }
    return r;
  }

  void Set(const std::string& upper) {
    std::string compact;
    for (char ch : upper) {
      if (ch != ' ') compact += ch;
    }
    if (compact == "SETAUTOCOMMIT=0") {
      autocommit_ = false;
    } else if (compact == "SETAUTOCOMMIT=1") {
      Commit();
      autocommit_ = true;
    } else if (compact.find("@`SQLREPL.LOGGING`=IF(") != std::string::npos) {
      marker_ = marker_ == Marker::kArmed && !last_failed_ ? Marker::kChecked : Marker::kNone;
    } else if (compact.find("@`SQLREPL.LOGGING`=-") != std::string::npos) {
      marker_ = Marker::kArmed;
    }
  }

  // ReplicationLog's compound statements: the log row and COMMIT, guarded by the
  // marker or not.
  Result<db::QueryResult> Block(const std::string& sql) {
    if (sql.find("IF @`sqlrepl.logging` <=>") != std::string::npos) {
      const Marker marker = marker_;
      marker_ = Marker::kNone;
      if (marker == Marker::kArmed) {
        return Status::SqlError(1644, "45000",
                                "sqlrepl: not logged, the check before it did not run");
      }
      if (marker == Marker::kNone) return db::QueryResult{};
    }
    Result<db::QueryResult> row = InsertLogRow(sql.substr(sql.find("INSERT INTO")));
    if (!row.ok()) return row;  // the block stops at its first error
    Commit();
    return db::QueryResult{};
  }

  // INSERT INTO `repl_meta`.log (seq, event) VALUES (<seq>, _binary'<hex>')[ ON DUPLICATE KEY ...]
  Result<db::QueryResult> InsertLogRow(const std::string& sql) {
    const size_t values = sql.find("VALUES (") + 8;
    const uint64_t seq = std::strtoull(sql.c_str() + values, nullptr, 10);
    const size_t hex = sql.find("_binary'", values) + 8;
    std::string event;
    for (size_t i = hex; sql[i] != '\''; i += 2) {
      event += static_cast<char>(std::strtoul(sql.substr(i, 2).c_str(), nullptr, 16));
    }
    const bool replace = sql.find("ON DUPLICATE KEY UPDATE", hex) < sql.find(';', hex);
    if (VisibleLog().count(seq) != 0 && !replace) {
      return Status::SqlError(1062, "23000",
                              fmt::format("Duplicate entry '{}' for key 'PRIMARY'", seq));
    }
    if (in_transaction_ || !autocommit_) {
      pending_log_[seq] = std::move(event);
      in_transaction_ = true;
    } else {
      server_.log_[seq] = std::move(event);
    }
    db::QueryResult r;
    r.affected_rows = 1;
    return r;
  }

  std::map<uint64_t, std::string> VisibleLog() const {
    std::map<uint64_t, std::string> rows = server_.log_;
    for (const auto& [seq, event] : pending_log_) rows[seq] = event;
    return rows;
  }
  void Commit() {
    for (auto& [seq, event] : pending_log_) server_.log_[seq] = std::move(event);
    for (std::string& w : pending_writes_) server_.committed_writes_.push_back(std::move(w));
    pending_log_.clear();
    pending_writes_.clear();
    in_transaction_ = false;
  }
  void Rollback() {
    pending_log_.clear();
    pending_writes_.clear();
    in_transaction_ = false;
  }

  FakeServer& server_;
  unsigned long thread_id_;
  bool alive_ = true;
  bool autocommit_ = true;
  bool in_transaction_ = false;
  unsigned reported_status_ = SERVER_STATUS_AUTOCOMMIT;
  bool last_failed_ = false;
  Marker marker_ = Marker::kNone;
  uint64_t last_insert_id_ = 0;
  std::map<uint64_t, std::string> pending_log_;
  std::vector<std::string> pending_writes_;
  std::vector<std::string> statements_;
  uint64_t round_trips_ = 0;
  int reconnects_ = 0;
};

}  // namespace sqlrepl::master::testing
