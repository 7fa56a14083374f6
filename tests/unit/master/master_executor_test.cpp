// The master's write path against an in-memory database (fake_session.hpp):
// what gets published for each sequence of statements, what a lost session
// or a failing log row leaves behind, and what a write costs in round trips.
// What needs real SQL semantics stays in the integration test of the same
// name.
#include "master/master_executor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "executed_text.hpp"
#include "fake_session.hpp"

namespace sqlrepl::master {
namespace {

using testing::Effect;
using testing::FakeServer;
using testing::FakeSession;
using ::testing::HasSubstr;
using sqlrepl::testing::Shown;
using sqlrepl::testing::Texts;

using Events = std::vector<std::vector<std::string>>;

class RecordingSink : public feed::EventSink {
 public:
  void Publish(uint64_t seq, const std::string& encoded) override {
    Result<replication::Event> e = replication::DecodeEvent(encoded);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ASSERT_EQ(e->seq, seq);
    events.push_back(std::move(e).value());
    encoded_events.push_back(encoded);
  }
  // The statements of each event, for compact expectations.
  Events Statements() const {
    Events out;
    for (const replication::Event& e : events) {
      std::vector<std::string> s;
      for (const replication::EventStatement& st : e.statements) s.push_back(st.sql);
      out.push_back(std::move(s));
    }
    return out;
  }
  std::vector<replication::Event> events;
  std::vector<std::string> encoded_events;
};

class MasterExecutorUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<log::ReplicationLog> log = log::ReplicationLog::Open(&conn_, "repl_meta");
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_.emplace(std::move(log).value());
    executor_.emplace(&conn_, &probe_, &*log_, &sink_, MasterExecutor::Options{"repl_meta"});
  }

  Executed Try(const std::string& sql) {
    return executor_->Execute(sql, sql::Classify(sql), "school");
  }
  Executed Run(const std::string& sql) {
    Executed e = Try(sql);
    EXPECT_TRUE(e.result.ok()) << sql << ": " << e.result.status().ToString();
    return e;
  }
  // Round trips `sql` took on the master's session.
  uint64_t TripsOf(const std::string& sql) {
    const uint64_t before = conn_.round_trips();
    Run(sql);
    return conn_.round_trips() - before;
  }

  FakeServer server_;
  FakeSession conn_{server_};
  FakeSession probe_{server_};
  RecordingSink sink_;
  std::optional<log::ReplicationLog> log_;
  std::optional<MasterExecutor> executor_;
};

TEST_F(MasterExecutorUnitTest, AutocommitWriteIsLoggedAndPublishedOnce) {
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].database, "school");
  EXPECT_TRUE(sink_.events[0].statements[0].context.has_insert_id);
  // What the slaves get is what the log holds, committed with the write.
  ASSERT_EQ(server_.log().size(), 1u);
  EXPECT_EQ(server_.log().at(1), sink_.encoded_events[0]);
  EXPECT_EQ(server_.committed_writes(), std::vector<std::string>{"INSERT INTO t (v) VALUES (1)"});
  EXPECT_EQ(log_->last_seq(), 1u);
  EXPECT_FALSE(conn_.in_transaction());
}

TEST_F(MasterExecutorUnitTest, FailedWritePublishesNothing) {
  server_.Fail("INSERT INTO nope", 1146, "Table 'school.nope' doesn't exist");
  Executed e = Try("INSERT INTO nope VALUES (1)");
  ASSERT_FALSE(e.result.ok());
  EXPECT_EQ(e.result.status().sql_errno(), 1146u);
  EXPECT_TRUE(e.committed.empty());
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(server_.log().empty());
  EXPECT_FALSE(conn_.in_transaction()) << "the transaction the master began is rolled back";
  // The next write takes the number the failed one did not use.
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (2)").committed, std::vector<uint64_t>{1});
}

TEST_F(MasterExecutorUnitTest, WriteWhoseLogRowFailsIsRolledBackAndNotPublished) {
  server_.Fail("INSERT INTO `repl_meta`.log", 1062, "Duplicate entry '1' for key 'PRIMARY'");
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(Shown(e).message(), HasSubstr("replication log could not be written"));
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(server_.committed_writes().empty()) << "never committed without its log row";
  EXPECT_FALSE(conn_.in_transaction());
}

TEST_F(MasterExecutorUnitTest, RolledBackTransactionPublishesNothing) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  EXPECT_TRUE(executor_->in_transaction());
  Run("ROLLBACK");
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(server_.log().empty());
  EXPECT_FALSE(executor_->in_transaction());
  EXPECT_EQ(executor_->pending_statements(), 0u);
}

TEST_F(MasterExecutorUnitTest, CommittedTransactionIsOneEventWithItsStatementsInOrder) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Run("UPDATE t SET v = 2");
  EXPECT_TRUE(sink_.events.empty()) << "nothing is published before COMMIT";
  Executed e = Run("COMMIT");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)", "UPDATE t SET v = 2"}}));
  EXPECT_EQ(server_.committed_writes(),
            (std::vector<std::string>{"INSERT INTO t (v) VALUES (1)", "UPDATE t SET v = 2"}));
  EXPECT_FALSE(executor_->in_transaction());
}

TEST_F(MasterExecutorUnitTest, AutocommitOffCollectsUntilCommit) {
  Run("SET autocommit = 0");
  Run("INSERT INTO t (v) VALUES (1)");
  Run("INSERT INTO t (v) VALUES (2)");
  EXPECT_TRUE(sink_.events.empty());
  Run("COMMIT");
  EXPECT_EQ(sink_.Statements(),
            (Events{{"INSERT INTO t (v) VALUES (1)", "INSERT INTO t (v) VALUES (2)"}}));
  EXPECT_TRUE(executor_->in_transaction())
      << "with autocommit off, the next statement opens another";
}

TEST_F(MasterExecutorUnitTest, RollbackToSavepointDropsTheStatementsAfterIt) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Run("SAVEPOINT a");
  Run("INSERT INTO t (v) VALUES (2)");
  Run("SAVEPOINT b");
  Run("INSERT INTO t (v) VALUES (3)");
  Run("ROLLBACK TO SAVEPOINT a");
  EXPECT_EQ(executor_->pending_statements(), 1u);
  Run("INSERT INTO t (v) VALUES (4)");
  Run("COMMIT");
  EXPECT_EQ(sink_.Statements(),
            (Events{{"INSERT INTO t (v) VALUES (1)", "INSERT INTO t (v) VALUES (4)"}}));
}

// A deadlock makes the server roll the whole transaction back: its
// statements must not be shipped by a later COMMIT.
TEST_F(MasterExecutorUnitTest, TransactionTheServerRollsBackShipsNothing) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Effect deadlock;
  deadlock.error = Status::SqlError(1213, "40001", "Deadlock found when trying to get lock");
  deadlock.rolls_back = true;
  server_.On("UPDATE t", deadlock);
  Executed e = Try("UPDATE t SET v = 2");
  EXPECT_EQ(e.result.status().sql_errno(), 1213u);
  EXPECT_THAT(Texts(e.notes),
              ::testing::ElementsAre(HasSubstr("The server rolled the transaction back")));
  EXPECT_EQ(executor_->pending_statements(), 0u);
  Run("COMMIT");
  EXPECT_TRUE(sink_.events.empty());
}

// The log row and COMMIT went through, then the answer was lost: the row
// proves the write committed, so it is published once and not run again.
TEST_F(MasterExecutorUnitTest, WriteWhoseCommitWasLostAfterItTookEffectIsPublishedOnce) {
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  ASSERT_TRUE(e.lost.has_value());
  EXPECT_EQ(e.lost->sql_errno(), 2013u);
  EXPECT_EQ(conn_.reconnects(), 1);
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_THAT(Texts(e.reconnect_notes),
              ::testing::Contains(HasSubstr("Write #1 committed before the connection was lost")));
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_EQ(conn_.TimesSent("INSERT INTO t (v) VALUES (1)"), 1);
  EXPECT_EQ(server_.committed_writes().size(), 1u);
}

// Lost before the COMMIT took effect: the server rolled it back, no log
// row says otherwise, so it runs again on the new session, and is
// published once.
TEST_F(MasterExecutorUnitTest, WriteWhoseCommitWasLostBeforeItTookEffectRunsAgain) {
  server_.LoseSessionOn("BEGIN NOT ATOMIC");
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  ASSERT_TRUE(e.lost.has_value());
  EXPECT_EQ(conn_.TimesSent("INSERT INTO t (v) VALUES (1)"), 2);
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_EQ(server_.committed_writes().size(), 1u);
}

// The same for an UPDATE logged in the round trip that runs it.
TEST_F(MasterExecutorUnitTest, OneTripUpdateLostAfterItsCommitIsNotRunAgain) {
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionAfter("BEGIN NOT ATOMIC IF");
  Executed e = Run("UPDATE t SET v = 2");
  ASSERT_TRUE(e.lost.has_value());
  EXPECT_EQ(e.committed, std::vector<uint64_t>{2});
  EXPECT_EQ(conn_.TimesSent("UPDATE t SET v = 2"), 1);
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}, {"UPDATE t SET v = 2"}}));
}

// The COMMIT took effect, then its answer was lost: the reconnection finds
// the log row, so the COMMIT is reported done and the event published once.
TEST_F(MasterExecutorUnitTest, CommitLostAfterItTookEffectIsReportedCommitted) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  Executed e = Run("COMMIT");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
}

// A session lost inside an explicit transaction loses the transaction: the
// statement is not run again on a new session, where it would commit alone.
TEST_F(MasterExecutorUnitTest, SessionLostInATransactionIsNotRetried) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionOn("UPDATE t");
  Executed e = Try("UPDATE t SET v = 2");
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(Shown(e).message(), HasSubstr("The open transaction was lost"));
  EXPECT_EQ(conn_.TimesSent("UPDATE t SET v = 2"), 1);
  EXPECT_FALSE(executor_->in_transaction());
  Run("COMMIT");
  EXPECT_TRUE(sink_.events.empty());
}

// A statement the classifier cannot see through (CALL) ends the open
// transaction on the server: the staged log row, read from the other
// session, says whether it committed.
TEST_F(MasterExecutorUnitTest, ProcedureThatCommitsPublishesTheOpenTransaction) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Effect commits_and_begins;  // COMMIT; START TRANSACTION; inside the procedure
  commits_and_begins.commits = true;
  commits_and_begins.status = SERVER_STATUS_IN_TRANS | SERVER_STATUS_AUTOCOMMIT;
  server_.On("CALL p()", commits_and_begins);
  Executed e = Run("CALL p()");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_THAT(probe_.statements(),
              ::testing::Contains(HasSubstr("SELECT COUNT(*) FROM `repl_meta`.log")));
  // The CALL belongs to the transaction open now.
  EXPECT_TRUE(executor_->in_transaction());
  EXPECT_EQ(executor_->pending_statements(), 1u);
  Run("COMMIT");
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}, {"CALL p()"}}));
}

TEST_F(MasterExecutorUnitTest, ProcedureThatLeavesTheTransactionOpenPublishesNothingYet) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Executed e = Run("CALL p()");  // the probe finds no committed row
  EXPECT_TRUE(e.committed.empty());
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(executor_->pending_statements(), 2u);
  Run("COMMIT");
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)", "CALL p()"}}));
  EXPECT_EQ(server_.log().size(), 1u) << "the staged row was replaced, not doubled";
}

TEST_F(MasterExecutorUnitTest, ProcedureThatRollsBackPublishesNothing) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Effect rolls_back;
  rolls_back.rolls_back = true;
  server_.On("CALL p()", rolls_back);
  Executed e = Run("CALL p()");
  EXPECT_THAT(Texts(e.notes),
              ::testing::Contains(HasSubstr("The open transaction was rolled back")));
  EXPECT_FALSE(executor_->in_transaction());
  // Outside any transaction now, the CALL is logged as an event of its own.
  EXPECT_EQ(sink_.Statements(), (Events{{"CALL p()"}}));
}

// An UPDATE or DELETE is logged and committed in the round trip that runs
// it, once the session's variables are known; an INSERT's insert id is
// known only after it runs, so it takes two.
TEST_F(MasterExecutorUnitTest, AutocommitUpdateTakesOneRoundTripAndInsertTwo) {
  EXPECT_EQ(TripsOf("UPDATE t SET v = 0"), 2u) << "the session's variables are read first";
  EXPECT_EQ(TripsOf("INSERT INTO t (v) VALUES (1)"), 2u);
  EXPECT_EQ(TripsOf("UPDATE t SET v = v + 1"), 1u);
  EXPECT_EQ(TripsOf("DELETE FROM t WHERE v = 2"), 1u);
  EXPECT_EQ(TripsOf("DELETE FROM t WHERE v = 3 RETURNING id"), 2u) << "rows in the answer";
  EXPECT_EQ(sink_.events.size(), 5u);
  for (const replication::Event& e : sink_.events) EXPECT_TRUE(e.statements[0].context.has_session);
  EXPECT_EQ(server_.log().size(), 5u);
  EXPECT_FALSE(conn_.in_transaction());
}

TEST_F(MasterExecutorUnitTest, FailedOneTripUpdateLogsNothingAndLeavesNoGap) {
  Run("INSERT INTO t (v) VALUES (1)");
  server_.Fail("UPDATE t SET id", 1062, "Duplicate entry '2' for key 'PRIMARY'");
  const uint64_t before = conn_.round_trips();
  Executed e = Try("UPDATE t SET id = 2");
  EXPECT_EQ(conn_.round_trips() - before, 2u) << "the batch, then ROLLBACK";
  EXPECT_EQ(e.result.status().sql_errno(), 1062u) << "the statement's own error";
  EXPECT_TRUE(e.committed.empty());
  EXPECT_FALSE(conn_.in_transaction());
  EXPECT_EQ(Run("UPDATE t SET v = 5").committed, std::vector<uint64_t>{2});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}, {"UPDATE t SET v = 5"}}));
}

TEST_F(MasterExecutorUnitTest, XaAndWritesToTheLogAreRefusedBeforeReachingTheServer) {
  const size_t sent = conn_.statements().size();
  EXPECT_EQ(Try("XA START 'x'").result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Try("DELETE FROM repl_meta.log").result.status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(conn_.statements().size(), sent);
}

// The open transaction is committed (and published) before the DDL, whose
// session is then lost: the message must not deny that commit.
TEST_F(MasterExecutorUnitTest, DdlLostAfterItsImplicitCommitDoesNotDenyTheCommit) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionAfter("CREATE TABLE x");
  Executed e = Try("CREATE TABLE x (a INT)");
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_EQ(server_.committed_writes().size(), 2u) << "the DDL took effect";
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(Shown(e).message(), ::testing::Not(HasSubstr("none of them is replicated")));
  EXPECT_THAT(Shown(e).message(), HasSubstr("replicated as write #1"));
}

// A CALL commits the open transaction, then its answer is lost. The
// reconnection publishes the transaction; the CALL did run (in part).
TEST_F(MasterExecutorUnitTest, ProcedureThatCommittedThenLostIsNotSaidNotToHaveRun) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Effect commits_then_lost;
  commits_then_lost.commits = true;
  commits_then_lost.error = testing::LostConnection();
  commits_then_lost.error_after_effect = true;
  server_.On("CALL p()", commits_then_lost);
  Executed e = Try("CALL p()");
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(Shown(e).message(), ::testing::Not(HasSubstr("this statement did not run")));
  EXPECT_THAT(Shown(e).message(), HasSubstr("may have taken effect"));
}

// Under autocommit = 0, a COMMIT whose answer is lost after it took effect
// is reported done; the new session has autocommit = 1, which must be said:
// the next INSERT commits at once, and a ROLLBACK cannot take it back.
TEST_F(MasterExecutorUnitTest, RecoveredCommitUnderAutocommitOffSaysAutocommitWasLost) {
  Run("SET autocommit = 0");
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  Executed e = Run("COMMIT");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  std::string all;
  for (const auto& n : e.notes) all += console::NoteText(n) + "\n";
  for (const auto& n : e.reconnect_notes) all += console::NoteText(n) + "\n";
  EXPECT_THAT(all, HasSubstr("SET autocommit = 0 was lost")) << all;
  Run("INSERT INTO t (v) VALUES (2)");  // as the note says: committed by itself
  EXPECT_EQ(sink_.events.size(), 2u);
}

// The reconnection hook learns which session held the log's lock, so that
// it can wait for that session to end (ReplicationLog::Open), and the next
// reconnection names the session that took the lock over.
TEST_F(MasterExecutorUnitTest, ReconnectHookIsToldWhichSessionHeldTheLock) {
  std::vector<unsigned long> previous;
  executor_->set_on_reconnect([&previous](db::Session*, unsigned long held) {
    previous.push_back(held);
    return Status::Ok();
  });
  const unsigned long first = conn_.thread_id();
  server_.LoseSessionOn("SELECT 1");
  Run("SELECT 1");  // a read: run again on the new session
  const unsigned long second = conn_.thread_id();
  server_.LoseSessionOn("SELECT 2");
  Run("SELECT 2");
  EXPECT_EQ(previous, (std::vector<unsigned long>{first, second}));
}

// Issue 18, item 2: the answer to a COMMIT is lost and the server stays
// away. The outcome is unknown until the log says which: "unknown", never
// "rolled back"; and once the log can be asked, that one outcome, naming
// the statement.
std::string AllNotes(const Executed& e) {
  std::string all;
  for (const auto& n : e.reconnect_notes) all += console::NoteText(n) + "\n";
  for (const auto& n : e.notes) all += console::NoteText(n) + "\n";
  return all;
}

// Issue 18 (closing note): the session died as the statement's context was
// read, and the server stays away. Before, two error lines: the loss
// ("rolled back, the statement's context could not be read") and the
// reconnection's. Now one error that says both, and what it means for the
// statement.
TEST_F(MasterExecutorUnitTest, StatementLostWithTheServerAwayGivesOneErrorSayingBoth) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionOn("SET ");  // the context
  server_.SetReachable(false);
  Executed e = Try("INSERT INTO t (v) VALUES (2)");
  EXPECT_FALSE(e.lost.has_value());
  ASSERT_FALSE(e.result.ok());
  EXPECT_EQ(e.result.status().sql_errno(), 2003u);
  EXPECT_EQ(Shown(e).message(),
            "Can't connect to server (reconnecting after the connection was lost: Lost connection "
            "to server during query; it did not commit, and the open transaction (1 statement) "
            "was lost with it)");
  server_.SetReachable(true);
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (3)").committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (3)"}}));
}

TEST_F(MasterExecutorUnitTest, CommitAnswerLostWhileTheServerStaysAwayIsUnknownUntilTheLogSays) {
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  server_.SetReachable(false);
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  ASSERT_TRUE(e.lost.has_value());
  EXPECT_THAT(e.lost->message(), ::testing::Not(HasSubstr("rolled back")));
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(
      Shown(e).message(),
      HasSubstr("unknown: the write may have committed; check write #1 before running it again: "
                "INSERT INTO t (v) VALUES (1)"));
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(server_.log().size(), 1u) << "it did commit";
  // Nothing runs while the write is in doubt and the server is away.
  EXPECT_FALSE(Try("SELECT 1").result.ok());
  server_.SetReachable(true);
  Executed next = Run("SELECT 1");
  EXPECT_THAT(AllNotes(next), HasSubstr("Write #1 committed before the connection was lost; it is "
                                        "replicated now: INSERT INTO t (v) VALUES (1)"));
  EXPECT_EQ(next.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_EQ(server_.committed_writes().size(), 1u) << "never run twice";
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (2)").committed, std::vector<uint64_t>{2});
}

TEST_F(MasterExecutorUnitTest, WriteLeftUnknownThatDidNotCommitIsSaidSoAndItsNumberUsedAgain) {
  server_.LoseSessionOn("BEGIN NOT ATOMIC");  // the server never ran the COMMIT
  server_.SetReachable(false);
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  EXPECT_THAT(Shown(e).message(), HasSubstr("unknown: the write may have committed"));
  server_.SetReachable(true);
  Executed next = Run("SELECT 1");
  EXPECT_THAT(AllNotes(next), HasSubstr("Write #1 did not commit before the connection was lost"));
  EXPECT_THAT(AllNotes(next), HasSubstr("INSERT INTO t (v) VALUES (1)"));
  EXPECT_TRUE(next.committed.empty());
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (2)").committed, std::vector<uint64_t>{1});
}

// Found committed at once: the statement's own answer is what is reported.
TEST_F(MasterExecutorUnitTest, WriteFoundCommittedReportsItsOwnAnswer) {
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  EXPECT_THAT(e.lost->message(), ::testing::Not(HasSubstr("rolled back")));
  EXPECT_EQ(e.result->affected_rows, 1u);
  EXPECT_THAT(AllNotes(e), ::testing::Not(HasSubstr("unknown")));
}

TEST_F(MasterExecutorUnitTest, OneTripUpdateLostWhileTheServerStaysAwayIsUnknown) {
  Run("INSERT INTO t (v) VALUES (1)");
  server_.LoseSessionAfter("BEGIN NOT ATOMIC IF");
  server_.SetReachable(false);
  Executed e = Try("UPDATE t SET v = 2");
  EXPECT_THAT(Shown(e).message(),
              HasSubstr("check write #2 before running it again: UPDATE t SET v = 2"));
  server_.SetReachable(true);
  Executed next = Run("SELECT 1");
  EXPECT_THAT(AllNotes(next), HasSubstr("Write #2 committed before the connection was lost"));
  EXPECT_EQ(conn_.TimesSent("UPDATE t SET v = 2"), 1);
}

TEST_F(MasterExecutorUnitTest, CommitLostWhileTheServerStaysAwayNamesTheTransaction) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Run("UPDATE t SET v = 2");
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  server_.SetReachable(false);
  Executed e = Try("COMMIT");
  EXPECT_THAT(
      Shown(e).message(),
      HasSubstr("check write #1 before running it again: INSERT INTO t (v) VALUES (1) (and 1 more "
                "statement)"));
  EXPECT_THAT(Shown(e).message(), ::testing::Not(HasSubstr("lost with the connection")));
}

// A DDL commits by itself; its log row follows in a transaction of its
// own, whose answer is lost. The DDL stands either way; the log says
// whether the slaves get it.
TEST_F(MasterExecutorUnitTest, DdlWhoseLogRowAnswerIsLostStandsAndIsLoggedIfTheRowCommitted) {
  server_.LoseSessionAfter("BEGIN NOT ATOMIC");
  Executed e = Run("CREATE TABLE x (a INT)");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_THAT(AllNotes(e), HasSubstr("Write #1 committed before the connection was lost; it is "
                                     "replicated now: CREATE TABLE x (a INT)"));
  EXPECT_THAT(AllNotes(e), ::testing::Not(HasSubstr("not logged")));
  EXPECT_EQ(sink_.Statements(), (Events{{"CREATE TABLE x (a INT)"}}));
}

TEST_F(MasterExecutorUnitTest, DdlWhoseLogRowIsInDoubtStandsAndSaysTheSlavesMayNotGetIt) {
  server_.LoseSessionOn("BEGIN NOT ATOMIC");
  server_.SetReachable(false);
  Executed e = Run("CREATE TABLE x (a INT)");
  EXPECT_THAT(AllNotes(e),
              HasSubstr("whether the slaves get it is unknown: its log row, write #1"));
  server_.SetReachable(true);
  Executed next = Run("SELECT 1");
  EXPECT_THAT(AllNotes(next), HasSubstr("Write #1 did not commit"));
  EXPECT_EQ(conn_.TimesSent("CREATE TABLE x (a INT)"), 1);
  EXPECT_TRUE(sink_.events.empty());
}

// Issue 18, item 4: no room for a log row (log_wait.hpp). The statement's
// changes wait in the open transaction; the row is written again after
// each pause; a write is never committed without its row.
class LogWaitUnitTest : public MasterExecutorUnitTest {
 protected:
  void SetUp() override {
    MasterExecutorUnitTest::SetUp();
    MasterExecutor::Options options{"repl_meta"};
    options.log_wait.first = std::chrono::milliseconds(100);
    options.log_wait.max = std::chrono::milliseconds(400);
    options.log_wait.limit = std::chrono::milliseconds(1000);
    options.log_wait.pause = [this](std::chrono::milliseconds d) {
      pauses_.push_back(static_cast<int>(d.count()));
      return !stop_;
    };
    options.log_wait.notice = [this](const std::string& line) { notices_.push_back(line); };
    executor_.emplace(&conn_, &probe_, &*log_, &sink_, std::move(options));
  }
  void NoRoomForLogRows(int times, bool rolls_back = false) {
    Effect full;
    full.error = Status::SqlError(1114, "HY000", "The table 'log' is full");
    full.rolls_back = rolls_back;
    server_.On("INSERT INTO `repl_meta`.log", full, times);
  }

  std::vector<int> pauses_;
  std::vector<std::string> notices_;
  bool stop_ = false;
};

TEST_F(LogWaitUnitTest, WriteWaitsForRoomForItsLogRowThenCommitsOnce) {
  NoRoomForLogRows(3);
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(pauses_, (std::vector<int>{100, 200, 400}));
  ASSERT_EQ(notices_.size(), 1u) << "one line per wait";
  EXPECT_THAT(notices_[0], HasSubstr("waiting: table full on the replication log, write #1"));
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_EQ(server_.committed_writes().size(), 1u);
  EXPECT_FALSE(conn_.in_transaction());
}

TEST_F(LogWaitUnitTest, OneTripUpdateWaitsForRoomForItsLogRow) {
  Run("UPDATE t SET v = 0");  // the session's variables are known from here on
  NoRoomForLogRows(2);
  Executed e = Run("UPDATE t SET v = 1");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{2});
  EXPECT_EQ(notices_.size(), 1u);
  EXPECT_EQ(sink_.Statements(), (Events{{"UPDATE t SET v = 0"}, {"UPDATE t SET v = 1"}}));
  EXPECT_EQ(server_.committed_writes().size(), 2u);
}

TEST_F(LogWaitUnitTest, CommitOfATransactionWaitsForRoomForItsLogRow) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  Run("INSERT INTO t (v) VALUES (2)");
  NoRoomForLogRows(1);
  Executed e = Run("COMMIT");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(),
            (Events{{"INSERT INTO t (v) VALUES (1)", "INSERT INTO t (v) VALUES (2)"}}));
}

TEST_F(LogWaitUnitTest, StillNoRoomAtTheLimitRollsBackNamingTheReason) {
  NoRoomForLogRows(1000);
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  ASSERT_FALSE(e.result.ok());
  EXPECT_EQ(e.result.status().sql_errno(), 1114u);
  EXPECT_THAT(Shown(e).message(),
              HasSubstr("rolled back, the replication log could not be written"));
  EXPECT_THAT(Shown(e).message(), HasSubstr("table full; still so after waiting 1 s"));
  EXPECT_EQ(pauses_, (std::vector<int>{100, 200, 400, 300}));
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(server_.committed_writes().empty()) << "never committed without its log row";
  EXPECT_FALSE(conn_.in_transaction());
}

TEST_F(LogWaitUnitTest, WaitStoppedByTheUserRollsBack) {
  NoRoomForLogRows(1000);
  stop_ = true;
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  EXPECT_THAT(Shown(e).message(), HasSubstr("waiting for it stopped"));
  EXPECT_EQ(pauses_.size(), 1u);
  EXPECT_TRUE(server_.committed_writes().empty());
}

// With the transaction gone, another try would log a write that did not
// happen.
// Review of issue 18: the row staged before a statement that may end the
// transaction (CALL, EXECUTE) waits for room as the row at COMMIT does.
// Before, the CALL failed at once with the 1114 of its staged row.
TEST_F(LogWaitUnitTest, RowStagedBeforeACallWaitsForRoom) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  NoRoomForLogRows(2);
  Executed e = Run("CALL p()");
  EXPECT_EQ(pauses_, (std::vector<int>{100, 200}));
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_THAT(notices_[0], HasSubstr("waiting: table full on the replication log, write #1"));
  EXPECT_EQ(conn_.TimesSent("CALL p()"), 1);
  Run("COMMIT");
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)", "CALL p()"}}));
}

TEST_F(LogWaitUnitTest, RowStagedBeforeACallThatFindsNoRoomLeavesTheCallUnrun) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  NoRoomForLogRows(1000);
  Executed e = Try("CALL p()");
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(Shown(e).message(),
              HasSubstr("not executed, the open transaction's log row could not be written first"));
  EXPECT_THAT(Shown(e).message(), HasSubstr("still so after waiting 1 s"));
  EXPECT_EQ(conn_.TimesSent("CALL p()"), 0);
}

// The real pauses (100 ms steps), stopped by the prompt's Ctrl-C count.
class LogWaitCtrlCTest : public LogWaitUnitTest {
 protected:
  void SetUp() override {
    LogWaitUnitTest::SetUp();
    MasterExecutor::Options options{"repl_meta"};
    options.log_wait.first = std::chrono::milliseconds(100);
    options.log_wait.max = std::chrono::milliseconds(200);
    options.log_wait.limit = std::chrono::milliseconds(30000);
    // The person reads the line, then presses Ctrl-C (when the test says).
    options.log_wait.notice = [this](const std::string& line) {
      notices_.push_back(line);
      if (ctrl_c_during_wait_) ++ctrl_c_;
    };
    executor_.emplace(&conn_, &probe_, &*log_, &sink_, std::move(options));
    executor_->set_interrupts([this] { return ctrl_c_.load(); });
  }
  std::atomic<uint64_t> ctrl_c_{0};
  bool ctrl_c_during_wait_ = false;
};

// Review of issue 18: a Ctrl-C left pending from before the wait (a kill
// that came after the statement ended) ended the wait at its first pause,
// rolling back a write whose person never saw the waiting line. Now the
// wait goes on until there is room.
TEST_F(LogWaitCtrlCTest, ACtrlCFromBeforeTheWaitDoesNotEndIt) {
  ctrl_c_ = 1;
  NoRoomForLogRows(3);
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(notices_.size(), 1u);
  EXPECT_EQ(server_.committed_writes().size(), 1u);
}

TEST_F(LogWaitCtrlCTest, ACtrlCDuringTheWaitEndsIt) {
  ctrl_c_ = 1;
  ctrl_c_during_wait_ = true;
  NoRoomForLogRows(1000);
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  ASSERT_FALSE(e.result.ok());
  EXPECT_THAT(Shown(e).message(), HasSubstr("waiting for it stopped after 0 s"));
  EXPECT_TRUE(server_.committed_writes().empty());
}

TEST_F(LogWaitUnitTest, TransactionTheServerRolledBackIsNotWaitedFor) {
  NoRoomForLogRows(1, /*rolls_back=*/true);
  Executed e = Try("INSERT INTO t (v) VALUES (1)");
  EXPECT_THAT(Shown(e).message(),
              HasSubstr("rolled back, the replication log could not be written"));
  EXPECT_TRUE(pauses_.empty());
  EXPECT_TRUE(notices_.empty());
  EXPECT_TRUE(server_.log().empty());
  EXPECT_TRUE(server_.committed_writes().empty());
}

// A COMMIT can fail after it took effect (out of space, ENOSPC, as the
// server writes its own logs): the log row says which, as on the one-trip
// path. Reported rolled back, the write would go unpublished and the next
// one would meet its row under the same number, for good.
Effect CommitFailsAfterItTookEffect() {
  Effect e;
  e.error =
      Status::SqlError(1180, "HY000", "Got error 28 \"No space left on device\" during COMMIT");
  e.error_after_effect = true;
  return e;
}

TEST_F(LogWaitUnitTest, WriteWhoseCommitFailedAfterItTookEffectIsPublished) {
  server_.On("BEGIN NOT ATOMIC INSERT INTO `repl_meta`.log", CommitFailsAfterItTookEffect());
  Executed e = Run("INSERT INTO t (v) VALUES (1)");
  EXPECT_EQ(e.committed, std::vector<uint64_t>{1});
  EXPECT_EQ(sink_.Statements(), (Events{{"INSERT INTO t (v) VALUES (1)"}}));
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (2)").committed, std::vector<uint64_t>{2});
  EXPECT_EQ(sink_.events.size(), 2u);
}

TEST_F(LogWaitUnitTest, TransactionWhoseCommitFailedAfterItTookEffectIsPublished) {
  Run("BEGIN");
  Run("INSERT INTO t (v) VALUES (1)");
  server_.On("BEGIN NOT ATOMIC INSERT INTO `repl_meta`.log", CommitFailsAfterItTookEffect());
  EXPECT_EQ(Run("COMMIT").committed, std::vector<uint64_t>{1});
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (2)").committed, std::vector<uint64_t>{2});
  EXPECT_EQ(sink_.events.size(), 2u);
}

// The same error before the COMMIT took effect: rolled back, as before.
TEST_F(LogWaitUnitTest, WriteWhoseCommitFailedBeforeItTookEffectIsRolledBack) {
  Effect e = CommitFailsAfterItTookEffect();
  e.error_after_effect = false;
  e.rolls_back = true;
  server_.On("BEGIN NOT ATOMIC INSERT INTO `repl_meta`.log", e);
  Executed ran = Try("INSERT INTO t (v) VALUES (1)");
  ASSERT_FALSE(ran.result.ok());
  EXPECT_THAT(Shown(ran).message(),
              HasSubstr("rolled back, the replication log could not be written"));
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_TRUE(server_.committed_writes().empty());
  EXPECT_EQ(Run("INSERT INTO t (v) VALUES (2)").committed, std::vector<uint64_t>{1});
}

TEST_F(LogWaitUnitTest, OtherLogRowErrorsAreNotWaitedFor) {
  server_.Fail("INSERT INTO `repl_meta`.log", 1205, "Lock wait timeout exceeded");
  EXPECT_FALSE(Try("INSERT INTO t (v) VALUES (1)").result.ok());
  EXPECT_TRUE(pauses_.empty());
}

}  // namespace
}  // namespace sqlrepl::master
