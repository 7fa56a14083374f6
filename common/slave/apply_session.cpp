#include "slave/apply_session.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace sqlrepl::slave {
namespace {

constexpr std::string_view kNoPositionRow = "sqlrepl: the position row is missing";

Status NoPositionRow() { return Status::FailedPrecondition(std::string(kNoPositionRow)); }

// "Rows matched: N" from an UPDATE's info: the server counts changed rows
// in affected_rows unless the client asked for found rows.
uint64_t MatchedRows(const db::QueryResult& r) {
  constexpr std::string_view kMatched = "Rows matched: ";
  const size_t at = r.info.find(kMatched);
  if (at == std::string::npos) return r.affected_rows;
  return std::strtoull(r.info.c_str() + at + kMatched.size(), nullptr, 10);
}

// A session over db::Connection that applies a transaction as one pipeline
// (a round trip per chunk, db/pipeline.hpp). It runs with autocommit off,
// so that no statement of a pipelined batch can ever commit by itself: only
// the guarded COMMIT at its end does.
//
//   SET @sqlrepl_failed = 0
//   statement 1;  guard          -- guard: a SET that sets @sqlrepl_failed
//   ...                          --   when ROW_COUNT() says the statement
//                                --   before it failed (-1; data changes and
//                                --   SET give 0 or more on success)
//   statement n;  guard
//   tail: a block that SIGNALs if @sqlrepl_failed, updates the position,
//         SIGNALs if the row is missing, and COMMITs
//
// The server runs every statement of a batch whatever became of the ones
// before; the guards and the tail make that harmless.
class DbApplySession : public ApplySession {
 public:
  explicit DbApplySession(db::Connection conn) : conn_(std::move(conn)) {}

  // Reads (position, catalog, checksums): the COMMIT that follows in the
  // same round trip ends the read's own transaction, so the next read sees
  // fresh data.
  Result<db::QueryResult> Execute(std::string_view sql) override {
    std::vector<Result<db::QueryResult>> r = conn_.ExecutePipelined({std::string(sql), "COMMIT"});
    return std::move(r[0]);
  }
  std::string Quote(std::string_view text) override { return conn_.Quote(text); }
  bool IsConnectionLost(const Status& status) const override {
    return db::IsConnectionLost(status);
  }
  void Abort() override { conn_.Abort(); }

  Status RunTransaction(const std::vector<std::string>& statements, const std::string& position_update,
                        std::vector<Result<db::QueryResult>>* results) override {
    if (one_at_a_time_) return ApplySession::RunTransaction(statements, position_update, results);
    // Not @@error_count: a statement that uses no table leaves it as the
    // last error set it (tested in slave_faults_test, a retried lock wait).
    // A plain SET, not a block: blocks cost the server a parse into a
    // stored program each, and there is one guard per statement.
    static const std::string kGuard = "SET @sqlrepl_failed = @sqlrepl_failed OR ROW_COUNT() < 0";
    std::vector<std::string> batch = {"SET @sqlrepl_failed = 0"};
    batch.reserve(2 * statements.size() + 2);
    for (const std::string& st : statements) {
      batch.push_back(st);
      batch.push_back(kGuard);
    }
    batch.push_back(fmt::format(
        "BEGIN NOT ATOMIC "
        "IF @sqlrepl_failed THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'an earlier statement failed'; "
        "END IF; {}; "
        "IF ROW_COUNT() = 0 AND NOT EXISTS ({}) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{}'; "
        "END IF; COMMIT; END",
        position_update, PositionRowQuery(position_update), kNoPositionRow));
    std::vector<Result<db::QueryResult>> answers = conn_.ExecutePipelined(batch);

    // A session sql_mode with another block syntax (ORACLE, set by a carried
    // value or a statement of the batch) cannot run the tail: roll back and
    // apply one statement at a time.
    if (answers.back().status().sql_errno() == db::kParseError) {
      (void)conn_.Run("ROLLBACK");
      one_at_a_time_ = true;  // for the rest of this session
      return ApplySession::RunTransaction(statements, position_update, results);
    }
    Status failure = answers[0].status();
    results->clear();
    for (size_t i = 0; failure.ok() && i < statements.size(); ++i) {
      results->push_back(std::move(answers[1 + 2 * i]));
      failure = results->back().status();
      if (failure.ok()) failure = answers[2 + 2 * i].status();
    }
    if (failure.ok()) {
      failure = answers.back().status();
      if (failure.message() == kNoPositionRow) failure = NoPositionRow();
    }
    if (!failure.ok() && !db::IsConnectionLost(failure)) (void)conn_.Run("ROLLBACK");
    return failure;
  }

 private:
  // "SELECT 1 FROM <table> WHERE <condition>" for "UPDATE <table> SET ... WHERE <condition>".
  static std::string PositionRowQuery(const std::string& update) {
    const size_t table_at = std::string_view("UPDATE ").size();
    const size_t set_at = update.find(" SET ");
    const size_t where_at = update.rfind(" WHERE ");
    return "SELECT 1 FROM " + update.substr(table_at, set_at - table_at) + update.substr(where_at);
  }

  db::Connection conn_;
  bool one_at_a_time_ = false;  // the session's sql_mode cannot parse the guards
};

}  // namespace

Status ApplySession::RunTransaction(const std::vector<std::string>& statements,
                                    const std::string& position_update,
                                    std::vector<Result<db::QueryResult>>* results) {
  results->clear();
  Status failure = Run("START TRANSACTION");  // BEGIN opens a block under sql_mode=ORACLE
  for (size_t i = 0; failure.ok() && i < statements.size(); ++i) {
    results->push_back(Execute(statements[i]));
    failure = results->back().status();
  }
  if (failure.ok()) {
    Result<db::QueryResult> r = Execute(position_update);
    failure = !r.ok() ? r.status() : MatchedRows(*r) == 1 ? Status::Ok() : NoPositionRow();
  }
  if (failure.ok()) failure = Run("COMMIT");
  if (!failure.ok() && !IsConnectionLost(failure)) (void)Run("ROLLBACK");
  return failure;
}

ApplySessionFactory MakeDbSessionFactory(db::ConnectOptions options) {
  return [options = std::move(options)]() -> Result<std::unique_ptr<ApplySession>> {
    Result<db::Connection> c = db::Connection::Open(options);
    if (!c.ok()) return c.status();
    Status s = c->Run("SET autocommit = 0");
    if (!s.ok()) return s;
    return std::unique_ptr<ApplySession>(std::make_unique<DbApplySession>(std::move(c).value()));
  };
}

}  // namespace sqlrepl::slave
