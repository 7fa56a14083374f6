#include "slave/apply_session.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <functional>
#include <random>

namespace sqlrepl::slave {
namespace {

constexpr std::string_view kNoPositionRow = "sqlrepl: the position row is missing";
// The error number the batch's tail signals kNoPositionRow with, so that the
// answer is recognised by its code, not by its text (no server error has it).
constexpr unsigned kNoPositionRowErrno = 45001;

Status NoPositionRow() { return Status::FailedPrecondition(std::string(kNoPositionRow)); }

// "Rows matched: N" from an UPDATE's info: the server counts changed rows
// in affected_rows unless the client asked for found rows.
uint64_t MatchedRows(const db::QueryResult& r) {
  constexpr std::string_view kMatched = "Rows matched: ";
  const size_t at = r.info.find(kMatched);
  if (at == std::string::npos) return r.affected_rows;
  return std::strtoull(r.info.c_str() + at + kMatched.size(), nullptr, 10);
}

using ExecuteFn = std::function<Result<db::QueryResult>(std::string_view)>;

// One statement at a time through `execute`, which must not commit by
// itself, then the position and COMMIT.
Status RunOneAtATime(const ExecuteFn& execute, const std::function<bool(const Status&)>& lost,
                     const std::vector<std::string>& statements, const std::string& position_update,
                     std::vector<Result<db::QueryResult>>* results) {
  results->clear();
  Status failure =
      execute("START TRANSACTION").status();  // BEGIN opens a block under sql_mode=ORACLE
  for (size_t i = 0; failure.ok() && i < statements.size(); ++i) {
    results->push_back(execute(statements[i]));
    failure = results->back().status();
  }
  if (failure.ok()) {
    Result<db::QueryResult> r = execute(position_update);
    failure = !r.ok() ? r.status() : MatchedRows(*r) == 1 ? Status::Ok() : NoPositionRow();
  }
  if (failure.ok()) failure = execute("COMMIT").status();
  if (!failure.ok() && !lost(failure)) (void)execute("ROLLBACK");
  return failure;
}

// A session over db::Connection that applies a transaction as one pipeline
// (a round trip per chunk, db/pipeline.hpp). It runs with autocommit off,
// so that no statement of a pipelined batch can ever commit by itself: only
// the guarded COMMIT at its end does.
//
//   SET @flag = 0
//   statement 1;  guard          -- guard: a SET that raises @flag to 1 when
//   ...                          --   ROW_COUNT() says the statement before it
//                                --   failed (-1; data changes and SET give 0
//                                --   or more on success), and to 2 when the
//                                --   session is no longer in its database
//   statement n;  guard
//   tail: a block that SIGNALs if @flag is set, updates the position,
//         SIGNALs if the row is missing, and COMMITs
//
// The server runs every statement of a batch whatever became of the ones
// before; the guards and the tail make that harmless. The flag is a user
// variable with a random name per session: no replicated statement can
// name it (the policy refuses every @sqlrepl... name besides).
class DbApplySession : public ApplySession {
 public:
  DbApplySession(db::Connection conn, std::string database, uint64_t flag_suffix)
      : conn_(std::move(conn)),
        database_(std::move(database)),
        flag_(fmt::format("@sqlrepl_failed_{:016x}", flag_suffix)) {}

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

  Status RunTransaction(const std::vector<std::string>& statements,
                        const std::string& position_update,
                        std::vector<Result<db::QueryResult>>* results) override {
    if (one_at_a_time_) return RunFallback(statements, position_update, results);
    std::vector<Result<db::QueryResult>> answers =
        conn_.ExecutePipelined(Batch(statements, position_update));

    // A session sql_mode with another block syntax (ORACLE, set by a carried
    // value or a statement of the batch) cannot run the tail: roll back and
    // apply one statement at a time.
    if (answers.back().status().sql_errno() == db::kParseError) {
      (void)conn_.Run("ROLLBACK");
      one_at_a_time_ = true;  // for the rest of this session
      return RunFallback(statements, position_update, results);
    }
    Status failure = answers[0].status();
    results->clear();
    for (size_t i = 0; failure.ok() && i < statements.size(); ++i) {
      results->push_back(std::move(answers[1 + 2 * i]));
      failure = results->back().status();
      if (failure.ok()) failure = answers[2 + 2 * i].status();
    }
    const Status& tail = answers.back().status();
    if (!failure.ok() && tail.ok()) {
      // The guards exist so that this cannot happen; if it does, the
      // position moved past a failed statement, and only a person can tell
      // what to do: stop rather than apply anything again.
      return Status::Corruption("the transaction committed although a statement in it failed (" +
                                failure.ToString() + "); the slave stops");
    }
    if (failure.ok()) {
      failure = tail;
      if (failure.sql_errno() == kNoPositionRowErrno) failure = NoPositionRow();
    }
    if (!failure.ok() && !db::IsConnectionLost(failure)) (void)conn_.Run("ROLLBACK");
    return failure;
  }

 private:
  // On the connection itself: Execute() commits after each statement.
  Status RunFallback(const std::vector<std::string>& statements, const std::string& position_update,
                     std::vector<Result<db::QueryResult>>* results) {
    return RunOneAtATime([this](std::string_view sql) { return conn_.Execute(sql); },
                         db::IsConnectionLost, statements, position_update, results);
  }

  std::vector<std::string> Batch(const std::vector<std::string>& statements,
                                 const std::string& position_update) {
    // Not @@error_count: a statement that uses no table leaves it as the
    // last error set it (tested in slave_faults_test, a retried lock wait).
    // A plain SET, not a block: blocks cost the server a parse into a
    // stored program each, and there is one guard per statement.
    // ROW_COUNT() is -1 after a failed statement, and also after one that
    // answered with rows (RETURNING, ANALYZE UPDATE): the error count tells
    // them apart, since every replicated statement uses a table and so
    // resets it.
    const std::string guard = fmt::format(
        "SET {0} = GREATEST({0}, IF(ROW_COUNT() < 0 AND @@error_count > 0, 1, 0), "
        "IF(DATABASE() <=> {1}, 0, 2))",
        flag_, conn_.Quote(database_));
    std::vector<std::string> batch = {fmt::format("SET {} = 0", flag_)};
    batch.reserve(2 * statements.size() + 2);
    for (const std::string& st : statements) {
      batch.push_back(st);
      batch.push_back(guard);
    }
    batch.push_back(fmt::format(
        "BEGIN NOT ATOMIC "
        "IF {0} = 2 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = {1}; END IF; "
        "IF {0} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'an earlier statement failed'; "
        "END IF; {2}; "
        "IF ROW_COUNT() = 0 AND NOT EXISTS ({3}) THEN "
        "SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = {5}, MESSAGE_TEXT = '{4}'; "
        "END IF; COMMIT; END",
        flag_, conn_.Quote("a statement took the session out of database " + database_),
        position_update, PositionRowQuery(position_update), kNoPositionRow, kNoPositionRowErrno));
    return batch;
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
  std::string database_;  // DB_NAME: the session never leaves it
  std::string flag_;      // the guards' user variable
  bool one_at_a_time_ = false;  // the session's sql_mode cannot parse the guards
};

}  // namespace

Status ApplySession::RunTransaction(const std::vector<std::string>& statements,
                                    const std::string& position_update,
                                    std::vector<Result<db::QueryResult>>* results) {
  return RunOneAtATime([this](std::string_view sql) { return Execute(sql); },
                       [this](const Status& s) { return IsConnectionLost(s); }, statements,
                       position_update, results);
}

ApplySessionFactory MakeDbSessionFactory(db::ConnectOptions options) {
  return [options = std::move(options)]() -> Result<std::unique_ptr<ApplySession>> {
    Result<db::Connection> c = db::Connection::Open(options);
    if (!c.ok()) return c.status();
    Status s = c->Run("SET autocommit = 0");
    if (!s.ok()) return s;
    std::random_device random;
    const uint64_t suffix = (uint64_t{random()} << 32) | random();
    return std::unique_ptr<ApplySession>(
        std::make_unique<DbApplySession>(std::move(c).value(), options.database, suffix));
  };
}

}  // namespace sqlrepl::slave
