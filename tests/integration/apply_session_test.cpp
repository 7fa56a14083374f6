// The slave's database session on a real server: a transaction sent in one
// round trip must commit all of it with its position, or nothing.
#include "slave/apply_session.hpp"

#include <gtest/gtest.h>

#include "mariadb_server.hpp"

namespace sqlrepl::testing {
namespace {

const std::string kPosition =
    "UPDATE repl_meta.slave_position SET applied_seq = applied_seq + 1 WHERE id = 1";

struct ApplySessionTestServer {
  static constexpr const char* kNames[] = {"apply-session"};
};

class ApplySessionTest : public ServersTest<ApplySessionTestServer> {
 protected:
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(
        server_
            ->Exec("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                   "CREATE DATABASE school; CREATE DATABASE repl_meta;"
                   "CREATE TABLE school.t (id INT PRIMARY KEY, v INT);"
                   "CREATE TABLE repl_meta.slave_position (id INT PRIMARY KEY, applied_seq INT);"
                   "INSERT INTO repl_meta.slave_position VALUES (1, 0)")
            .ok());
    Result<std::unique_ptr<slave::ApplySession>> s =
        slave::MakeDbSessionFactory(server_->Options("school"))();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    session_ = std::move(s).value();
  }
  std::string Rows() const {
    return server_->QueryValue("SELECT COUNT(*) FROM t", "school").value_or("?");
  }
  std::string Position() const {
    return server_->QueryValue("SELECT applied_seq FROM repl_meta.slave_position").value_or("none");
  }

  std::unique_ptr<slave::ApplySession> session_;
};


TEST_F(ApplySessionTest, AllStatementsCommitWithThePosition) {
  std::vector<Result<db::QueryResult>> results;
  ASSERT_TRUE(session_
                  ->RunTransaction({"SET timestamp = 1", "INSERT INTO t VALUES (1, 1)",
                                    "INSERT INTO t VALUES (2, 2)"},
                                   kPosition, &results)
                  .ok());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[1]->affected_rows, 1u);
  EXPECT_EQ(Rows(), "2");
  EXPECT_EQ(Position(), "1");
}

TEST_F(ApplySessionTest, AFailingStatementInTheMiddleCommitsNothing) {
  std::vector<Result<db::QueryResult>> results;
  const Status s = session_->RunTransaction(
      {"INSERT INTO t VALUES (1, 1)", "INSERT INTO t VALUES (1, 9)", "INSERT INTO t VALUES (3, 3)"},
      kPosition, &results);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.sql_errno(), 1062u) << s.ToString();  // the statement's error, not the guard's
  EXPECT_EQ(results.size(), 2u);
  EXPECT_EQ(Rows(), "0");
  EXPECT_EQ(Position(), "0");
  // The session goes on: the next transaction commits.
  ASSERT_TRUE(session_->RunTransaction({"INSERT INTO t VALUES (4, 4)"}, kPosition, &results).ok());
  EXPECT_EQ(Rows(), "1");
  EXPECT_EQ(Position(), "1");
}

// Issue 17 review: ROW_COUNT() is -1 after a statement that answers with
// rows; that is not a failure.
TEST_F(ApplySessionTest, StatementsThatAnswerWithRowsAreNotTakenForFailures) {
  std::vector<Result<db::QueryResult>> results;
  const Status s = session_->RunTransaction(
      {"INSERT INTO t VALUES (1, 1) RETURNING id", "INSERT INTO t VALUES (2, 2)",
       "DELETE FROM t WHERE id = 2 RETURNING v"},
      kPosition, &results);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Rows(), "1");
  EXPECT_EQ(Position(), "1");
}

// Issue 17: a statement that names the old flag cannot clear the guard, and
// one that takes the session out of its database commits nothing.
TEST_F(ApplySessionTest, NoStatementCanClearTheGuardOrLeaveTheDatabase) {
  std::vector<Result<db::QueryResult>> results;
  Status s = session_->RunTransaction(
      {"INSERT INTO t VALUES (1, 1)", "INSERT INTO t VALUES (1, 9)", "SET @sqlrepl_failed = 0"},
      kPosition, &results);
  EXPECT_EQ(s.sql_errno(), 1062u) << s.ToString();
  EXPECT_EQ(Rows(), "0");
  s = session_->RunTransaction({"INSERT INTO t VALUES (1, 1)", "USE repl_meta", "SET @x = 1"},
                               kPosition, &results);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("took the session out of database school"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(Rows(), "0");
  EXPECT_EQ(Position(), "0");
}

TEST_F(ApplySessionTest, MissingPositionRowCommitsNothing) {
  ASSERT_TRUE(server_->Exec("DELETE FROM repl_meta.slave_position").ok());
  std::vector<Result<db::QueryResult>> results;
  const Status s = session_->RunTransaction({"INSERT INTO t VALUES (1, 1)"}, kPosition, &results);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(Rows(), "0");
}

TEST_F(ApplySessionTest, OracleModeInTheSessionFallsBackToOneStatementAtATime) {
  std::vector<Result<db::QueryResult>> results;
  ASSERT_TRUE(session_
                  ->RunTransaction({"SET sql_mode = 'ORACLE'", "INSERT INTO t VALUES (1, 1)"},
                                   kPosition, &results)
                  .ok());
  EXPECT_EQ(Rows(), "1");
  EXPECT_EQ(Position(), "1");
  ASSERT_TRUE(session_->RunTransaction({"INSERT INTO t VALUES (2, 2)"}, kPosition, &results).ok());
  EXPECT_EQ(Rows(), "2");
  EXPECT_EQ(Position(), "2");
}

TEST_F(ApplySessionTest, ReadsSeeWhatOthersCommittedSinceTheLastRead) {
  Result<db::QueryResult> before = session_->Execute("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(server_->Exec("INSERT INTO school.t VALUES (7, 7)").ok());
  Result<db::QueryResult> after = session_->Execute("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->rows[0][0], "1");  // autocommit is off in this session: no stale snapshot
}

}  // namespace
}  // namespace sqlrepl::testing
