// The applier against an in-memory database: batching while behind,
// isolation of a failing event, acks after the commit and in order, and
// what it does when its own database misbehaves.
#include "slave/applier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "fake_database.hpp"

namespace sqlrepl::slave {
namespace {

using std::chrono::milliseconds;
using testing::FakeDatabase;
using ::testing::HasSubstr;

constexpr auto kDeadline = std::chrono::seconds(10);

// Records what the applier reports, and checks that every ack comes after
// the commit that holds its event.
class Reports : public ApplyReports {
 public:
  explicit Reports(const FakeDatabase& db) : db_(db) {}

  void SendAck(const protocol::Ack& ack) override {
    std::lock_guard lock(mu_);
    acks_.push_back(ack);
    if (ack.outcome != protocol::AckOutcome::kError && db_.position() < ack.seq) {
      acked_before_commit_.push_back(ack.seq);
    }
    changed_.notify_all();
  }
  void SendVerifyResult(const protocol::VerifyResult& result) override {
    std::lock_guard lock(mu_);
    verify_results_.push_back(result);
    acks_at_verify_ = acks_.size();
    changed_.notify_all();
  }
  void Print(const std::string& line) {
    std::lock_guard lock(mu_);
    lines_.push_back(line);
    changed_.notify_all();
  }
  void Fatal(const std::string& why) {
    std::lock_guard lock(mu_);
    fatal_ = why;
    changed_.notify_all();
  }

  bool WaitForAcks(size_t n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kDeadline, [&] { return acks_.size() >= n; });
  }
  bool WaitForFatal() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kDeadline, [&] { return !fatal_.empty(); });
  }
  bool WaitForLine(const std::string& text) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kDeadline, [&] {
      for (const std::string& l : lines_) {
        if (l.find(text) != std::string::npos) return true;
      }
      return false;
    });
  }
  bool WaitForVerify() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kDeadline, [&] { return !verify_results_.empty(); });
  }

  std::vector<protocol::Ack> acks() const {
    std::lock_guard lock(mu_);
    return acks_;
  }
  std::vector<uint64_t> acked_before_commit() const {
    std::lock_guard lock(mu_);
    return acked_before_commit_;
  }
  size_t acks_at_verify() const {
    std::lock_guard lock(mu_);
    return acks_at_verify_;
  }
  protocol::VerifyResult verify_result() const {
    std::lock_guard lock(mu_);
    return verify_results_.front();
  }
  std::string fatal() const {
    std::lock_guard lock(mu_);
    return fatal_;
  }
  int LinesContaining(const std::string& text) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const std::string& l : lines_) n += l.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  std::string AllLines() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }

 private:
  const FakeDatabase& db_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<protocol::Ack> acks_;
  std::vector<uint64_t> acked_before_commit_;
  std::vector<protocol::VerifyResult> verify_results_;
  size_t acks_at_verify_ = 0;
  std::vector<std::string> lines_;
  std::string fatal_;
};

std::string Insert(uint64_t seq) { return fmt::format("INSERT INTO t VALUES ({})", seq); }
std::string AriaUpdate(uint64_t seq) {
  return fmt::format("UPDATE aria_t SET n = n + 1 WHERE k = {}", seq);
}

replication::Event MakeEvent(uint64_t seq, std::string sql) {
  replication::Event e;
  e.seq = seq;
  e.database = "school";
  e.statements.push_back({{}, std::move(sql)});
  return e;
}

class ApplierTest : public ::testing::Test {
 protected:
  void Make(config::ApplyErrorPolicy on_error = config::ApplyErrorPolicy::kSkip) {
    Applier::Options o;
    o.database = "school";
    o.on_error = on_error;
    o.retry_first = milliseconds(1);
    o.retry_max = milliseconds(5);
    o.reconnect_pause = milliseconds(5);
    o.stop_grace = stop_grace_;
    o.print = [this](const std::string& line) { reports_.Print(line); };
    o.on_fatal = [this](const std::string& why) { reports_.Fatal(why); };
    applier_ = std::make_unique<Applier>(o, db_.Factory(), reports_, SlavePosition{"fake-log", 0});
  }
  // Queues events 1..n before the applier starts, as when a slave catches up.
  void QueueInserts(uint64_t n) {
    for (uint64_t seq = 1; seq <= n; ++seq)
      ASSERT_TRUE(applier_->Enqueue(MakeEvent(seq, Insert(seq))).ok());
  }
  void ExpectEachInsertAppliedOnce(uint64_t n) {
    for (uint64_t seq = 1; seq <= n; ++seq)
      EXPECT_EQ(db_.TimesApplied(Insert(seq)), 1) << "#" << seq;
  }
  void ExpectAcksInOrder(uint64_t n) {
    const std::vector<protocol::Ack> acks = reports_.acks();
    ASSERT_EQ(acks.size(), n);
    for (uint64_t i = 0; i < n; ++i) EXPECT_EQ(acks[i].seq, i + 1);
    EXPECT_THAT(reports_.acked_before_commit(), ::testing::IsEmpty());
  }

  FakeDatabase db_;
  Reports reports_{db_};
  std::unique_ptr<Applier> applier_;
  milliseconds stop_grace_{1000};
};

TEST_F(ApplierTest, GroupsEventsQueuedWhileBehindIntoOneTransaction) {
  Make();
  QueueInserts(5);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(5));
  EXPECT_EQ(db_.commits(), 1);
  EXPECT_EQ(db_.position(), 5u);
  ExpectEachInsertAppliedOnce(5);
  ExpectAcksInOrder(5);
}

TEST_F(ApplierTest, AcksEachEventInOrderOnlyAfterItsCommit) {
  Make();
  applier_->Start();
  for (uint64_t seq = 1; seq <= 20; ++seq)
    ASSERT_TRUE(applier_->Enqueue(MakeEvent(seq, Insert(seq))).ok());
  ASSERT_TRUE(reports_.WaitForAcks(20));
  ExpectAcksInOrder(20);
  EXPECT_EQ(db_.position(), 20u);
}

TEST_F(ApplierTest, IsolatesTheFailingEventOfAGroupAndSkipsOnlyIt) {
  db_.FailNext(Insert(3), Status::SqlError(1146, "42S02", "Table 'school.t' doesn't exist"), 100);
  Make();
  QueueInserts(5);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(5));
  EXPECT_EQ(db_.TimesApplied(Insert(3)), 0);
  for (uint64_t seq : {1, 2, 4, 5}) EXPECT_EQ(db_.TimesApplied(Insert(seq)), 1) << "#" << seq;
  const std::vector<protocol::Ack> acks = reports_.acks();
  EXPECT_EQ(acks[2].outcome, protocol::AckOutcome::kError);
  EXPECT_EQ(acks[2].sql_errno, 1146u);
  EXPECT_EQ(db_.position(), 5u);
  ExpectAcksInOrder(5);
}

TEST_F(ApplierTest, OnApplyErrorStopReportsTheEventAndDoesNotAdvance) {
  db_.FailNext(Insert(2), Status::SqlError(1146, "42S02", "no such table"), 100);
  Make(config::ApplyErrorPolicy::kStop);
  QueueInserts(3);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForFatal());
  EXPECT_THAT(reports_.fatal(), HasSubstr("event #2 failed and ON_APPLY_ERROR=stop"));
  EXPECT_EQ(db_.position(), 1u);
  EXPECT_EQ(db_.TimesApplied(Insert(3)), 0);
}

// Exactly once (issue 10, item 2): the outcome of COMMIT is lost with the
// session.
TEST_F(ApplierTest, GroupCommittedAsTheSessionDiedIsNotAppliedAgain) {
  db_.LoseSessionAfterNextCommit();
  Make();
  QueueInserts(5);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(5)) << reports_.AllLines();
  ExpectEachInsertAppliedOnce(5);
  ExpectAcksInOrder(5);
  EXPECT_EQ(db_.sessions_opened(), 2);
  EXPECT_EQ(reports_.LinesContaining("not applying them again"), 1) << reports_.AllLines();
}

TEST_F(ApplierTest, SingleEventCommittedAsTheSessionDiedIsNotAppliedAgain) {
  Make();
  applier_->Start();
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(1, Insert(1))).ok());
  ASSERT_TRUE(reports_.WaitForAcks(1));
  db_.LoseSessionAfterNextCommit();
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(2, Insert(2))).ok());
  ASSERT_TRUE(reports_.WaitForAcks(2));
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(3, Insert(3))).ok());
  ASSERT_TRUE(reports_.WaitForAcks(3));
  ExpectEachInsertAppliedOnce(3);
  ExpectAcksInOrder(3);
}

TEST_F(ApplierTest, SessionLostBeforeCommitAppliesTheGroupOnTheNextSession) {
  db_.FailNext("COMMIT", testing::Lost());
  Make();
  QueueInserts(5);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(5));
  ExpectEachInsertAppliedOnce(5);
  ExpectAcksInOrder(5);
  EXPECT_EQ(db_.position(), 5u);
}

TEST_F(ApplierTest, DatabaseAwayAtStartPausesOnceAndResumes) {
  db_.SetReachable(false);
  Make();
  QueueInserts(2);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForLine("Local database unavailable"));
  db_.SetReachable(true);
  ASSERT_TRUE(reports_.WaitForAcks(2));
  EXPECT_EQ(reports_.LinesContaining("Local database unavailable"), 1);
  EXPECT_EQ(reports_.LinesContaining("Local database is back"), 1);
  ExpectEachInsertAppliedOnce(2);
}

// Nothing lost (issue 10, item 3): errors that waiting cures are retried,
// not skipped.
class TransientErrorTest : public ApplierTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(TransientErrorTest, IsRetriedUntilTheEventAppliesOnce) {
  db_.FailNext(Insert(2), Status::SqlError(GetParam(), "HY000", "try again"), 4);
  Make();
  QueueInserts(3);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(3));
  ExpectEachInsertAppliedOnce(3);
  ExpectAcksInOrder(3);
  for (const protocol::Ack& ack : reports_.acks())
    EXPECT_EQ(ack.outcome, protocol::AckOutcome::kApplied);
  EXPECT_EQ(reports_.LinesContaining("[#2] waiting: "), 1) << reports_.AllLines();
}

INSTANTIATE_TEST_SUITE_P(LockWaitDeadlockInterruptedTimeout, TransientErrorTest,
                         ::testing::Values(1205u, 1213u, 1317u, 1969u));

TEST_F(ApplierTest, WaitingMessageNamesTheErrorAndTheStatement) {
  db_.FailNext(Insert(1), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 1);
  Make();
  QueueInserts(1);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(1));
  EXPECT_EQ(reports_.LinesContaining(
                "[#1] waiting: lock wait timeout on INSERT INTO t VALUES (1); retrying"),
            1)
      << reports_.AllLines();
}

// `status` says why the slave waits while it waits, and nothing once the
// event got through.
TEST_F(ApplierTest, CountersSayWhyAnEventWaitsUntilItApplies) {
  db_.FailNext(Insert(1), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 1000000);
  Make();
  QueueInserts(1);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForLine("[#1] waiting: lock wait timeout"));
  const std::string waiting = applier_->counters().waiting;
  EXPECT_NE(waiting.find("event #1 waits: lock wait timeout"), std::string::npos) << waiting;
  db_.ClearFailures();
  ASSERT_TRUE(reports_.WaitForAcks(1));
  EXPECT_EQ(applier_->counters().waiting, "");
}

// The reason changes while the event waits (a lock, then a full disk):
// `status` and one new line say the new one.
TEST_F(ApplierTest, CountersFollowTheReasonAnEventWaitsFor) {
  db_.FailNext(Insert(1), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 3);
  db_.FailNext(Insert(1),
               Status::SqlError(1030, "HY000",
                                "Got error 28 \"No space left on device\" from storage engine"),
               1000000);
  Make();
  QueueInserts(1);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForLine("[#1] waiting: disk full")) << reports_.AllLines();
  const std::string waiting = applier_->counters().waiting;
  EXPECT_NE(waiting.find("event #1 waits: disk full"), std::string::npos) << waiting;
  db_.ClearFailures();
  ASSERT_TRUE(reports_.WaitForAcks(1));
  EXPECT_EQ(reports_.LinesContaining("[#1] waiting: lock wait timeout"), 1) << reports_.AllLines();
  EXPECT_EQ(reports_.LinesContaining("[#1] waiting: "), 2) << reports_.AllLines();
  EXPECT_EQ(applier_->counters().waiting, "");
}

TEST_F(ApplierTest, StopDuringRetriesEndsTheThreadWithoutSkipping) {
  db_.FailNext(Insert(1), Status::SqlError(1213, "40001", "Deadlock found"), 1000000);
  Make();
  QueueInserts(1);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForLine("[#1] waiting: deadlock"));
  applier_->Stop();
  EXPECT_TRUE(reports_.acks().empty());
  EXPECT_EQ(db_.position(), 0u);
}

// Liveness (issue 18, item 1): a stop does not wait for a statement that
// stays blocked past the grace (a lock, a server that stopped answering):
// it ends the session, and the event is neither applied nor acknowledged.
TEST_F(ApplierTest, StopEndsASessionBlockedPastTheGraceAndAppliesNothing) {
  db_.BlockNext(Insert(1), std::chrono::seconds(30));
  stop_grace_ = milliseconds(20);
  Make();
  QueueInserts(1);
  applier_->Start();
  ASSERT_TRUE(db_.WaitUntilBlocked(std::chrono::seconds(10)));
  const auto asked = std::chrono::steady_clock::now();
  applier_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  EXPECT_TRUE(reports_.acks().empty());
  EXPECT_EQ(db_.position(), 0u);
  EXPECT_EQ(db_.TimesApplied(Insert(1)), 0);
}

// Exactly once (issue 10, item 3): the rollback after a lock wait keeps
// what the event wrote to Aria, so a retry would write it twice.
TEST_F(ApplierTest, TransientErrorInAnEventWritingANonTransactionalTableStopsWithoutRetry) {
  db_.SetNonTransactional("aria_t");
  db_.FailNext(Insert(2), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 1);
  Make();  // ON_APPLY_ERROR=skip: stopping is not the policy's choice
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(1, Insert(1))).ok());
  replication::Event mixed = MakeEvent(2, AriaUpdate(2));
  mixed.statements.push_back({{}, Insert(2)});
  ASSERT_TRUE(applier_->Enqueue(std::move(mixed)).ok());
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(3, Insert(3))).ok());
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForFatal()) << reports_.AllLines();
  EXPECT_THAT(reports_.fatal(), HasSubstr("event #2 failed with a lock wait timeout"));
  EXPECT_THAT(reports_.fatal(), HasSubstr("ERROR 1205"));
  EXPECT_THAT(reports_.fatal(), HasSubstr("school.aria_t, whose engine has no transactions"));
  EXPECT_THAT(reports_.fatal(), HasSubstr("apply twice"));
  EXPECT_EQ(db_.TimesApplied(AriaUpdate(2)), 1);
  EXPECT_EQ(db_.TimesApplied(Insert(2)), 0);
  EXPECT_EQ(db_.TimesApplied(Insert(3)), 0);
  EXPECT_EQ(db_.position(), 1u);
  ASSERT_EQ(reports_.acks().size(), 2u);
  EXPECT_EQ(reports_.acks()[1].outcome, protocol::AckOutcome::kError);
  EXPECT_EQ(reports_.LinesContaining("waiting:"), 0) << reports_.AllLines();
}

// Exactly once (issue 10, item 4): a rollback does not undo writes to
// MyISAM/Aria/MEMORY.
TEST_F(ApplierTest, GroupNeverSpansAWriteToANonTransactionalTable) {
  db_.SetNonTransactional("aria_t");
  db_.FailNext(Insert(4), Status::SqlError(1146, "42S02", "no such table"), 2);
  Make();
  std::vector<std::string> sql = {Insert(1), AriaUpdate(2), Insert(3),
                                  Insert(4), AriaUpdate(5), Insert(6)};
  for (uint64_t seq = 1; seq <= sql.size(); ++seq)
    ASSERT_TRUE(applier_->Enqueue(MakeEvent(seq, sql[seq - 1])).ok());
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(sql.size()));
  EXPECT_EQ(db_.TimesApplied(AriaUpdate(2)), 1);
  EXPECT_EQ(db_.TimesApplied(AriaUpdate(5)), 1);
  EXPECT_EQ(db_.TimesApplied(Insert(4)), 0);
  for (uint64_t seq : {1, 3, 6}) EXPECT_EQ(db_.TimesApplied(sql[seq - 1]), 1) << "#" << seq;
  EXPECT_EQ(db_.position(), 6u);
}

TEST_F(ApplierTest, TableOfUnknownEngineIsTreatedAsNonTransactional) {
  db_.FailEngineLookups();
  Make();
  QueueInserts(4);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(4));
  EXPECT_EQ(db_.commits(), 4);  // one event per transaction
  ExpectEachInsertAppliedOnce(4);
}

// Exactly once (issue 10, item 5): a position update that matches no row
// must not pass.
TEST_F(ApplierTest, MissingPositionRowStopsWithWhatToDo) {
  Make();
  applier_->Start();
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(1, Insert(1))).ok());
  ASSERT_TRUE(reports_.WaitForAcks(1));
  db_.DeletePositionRow();
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(2, Insert(2))).ok());
  ASSERT_TRUE(reports_.WaitForFatal());
  EXPECT_THAT(reports_.fatal(), HasSubstr("repl_meta.slave_position has no row with id = 1"));
  EXPECT_THAT(reports_.fatal(), HasSubstr("INSERT INTO repl_meta.slave_position"));
  EXPECT_THAT(reports_.fatal(), HasSubstr("VALUES (1, 'fake-log', 1)"));
  EXPECT_EQ(db_.TimesApplied(Insert(2)), 0);
  EXPECT_EQ(reports_.acks().size(), 1u);
}

TEST_F(ApplierTest, PositionUpdateCountsMatchedRowsNotChangedRows) {
  // The fake reports 0 changed rows, as MariaDB does for unchanged values.
  Make();
  QueueInserts(2);
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(2));
  EXPECT_TRUE(reports_.fatal().empty()) << reports_.fatal();
}

TEST_F(ApplierTest, VerifyIsAnsweredAfterTheEventsQueuedBeforeIt) {
  Make();
  QueueInserts(3);
  applier_->EnqueueVerify({7, "school", {"t"}});
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForVerify());
  EXPECT_EQ(reports_.acks_at_verify(), 3u);
}

// Issue 19: the answer also names the tables the master did not ask about,
// so that it can report a table that exists only on this slave.
TEST_F(ApplierTest, VerifyAnswerNamesTheTablesTheRequestLeftOut) {
  Make();
  applier_->EnqueueVerify({7, "school", {"t"}});
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForVerify());
  const protocol::VerifyResult result = reports_.verify_result();
  ASSERT_EQ(result.tables.size(), 1u);
  EXPECT_EQ(result.tables[0].checksum, "4242");
  EXPECT_EQ(result.other_tables, std::vector<std::string>{"only_here"});
}

TEST_F(ApplierTest, ResumePositionHoldsTheOneReplicationIdAndTheLastQueued) {
  Applier::Options o;
  Applier applier(o, db_.Factory(), reports_, SlavePosition{"", 0});
  applier.SetReplicationId("log-a");
  ASSERT_TRUE(applier.Enqueue(MakeEvent(1, Insert(1))).ok());
  ASSERT_TRUE(applier.Enqueue(MakeEvent(2, Insert(2))).ok());
  EXPECT_EQ(applier.ResumePosition().replication_id, "log-a");
  EXPECT_EQ(applier.ResumePosition().applied_seq, 2u);
  EXPECT_EQ(applier.Enqueue(MakeEvent(4, Insert(4))).code(), StatusCode::kCorruption);
}

// What the slave's `status` shows: counted once each, the last one kept,
// and written to the operational log.
TEST_F(ApplierTest, CountsRefusedAndFailedEventsAndKeepsTheLastError) {
  db_.FailNext(Insert(2), Status::SqlError(1146, "42S02", "Table 'school.t' doesn't exist"), 100);
  Applier::Options o;
  o.database = "school";
  o.retry_first = milliseconds(1);
  o.print = [this](const std::string& line) { reports_.Print(line); };
  std::mutex log_mu;
  std::vector<std::string> log;
  o.log = [&](const std::string& line) {
    std::lock_guard lock(log_mu);
    log.push_back(line);
  };
  applier_ = std::make_unique<Applier>(o, db_.Factory(), reports_, SlavePosition{"fake-log", 0});
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(1, Insert(1))).ok());
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(2, Insert(2))).ok());
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(3, "DROP TABLE t")).ok());
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(3));
  const Applier::Counters c = applier_->counters();
  EXPECT_EQ(c.replication_id, "fake-log");
  EXPECT_EQ(c.applied_seq, 3u);
  EXPECT_EQ(c.queued, 0u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.refused, 1u);
  EXPECT_THAT(c.last_error, HasSubstr("#3 refused: "));
  applier_->Stop();
  std::lock_guard lock(log_mu);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0], HasSubstr("#2 failed: "));
  EXPECT_THAT(log[0], HasSubstr("1146"));
  EXPECT_THAT(log[1], HasSubstr("#3 refused: "));
}

// The engines the applier remembers for grouping are asked again before it
// decides not to retry: aria_t was InnoDB when first looked up, then its
// engine was changed by hand on the slave (slaves refuse DDL).
TEST_F(ApplierTest, EngineChangedByHandIsLookedUpAgainBeforeARetry) {
  Make();
  replication::Event first = MakeEvent(1, AriaUpdate(1));
  first.statements.push_back({{}, Insert(1)});
  db_.FailNext(Insert(1), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 1);
  ASSERT_TRUE(applier_->Enqueue(std::move(first)).ok());
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(1)) << reports_.AllLines();
  db_.SetNonTransactional("aria_t");  // ALTER TABLE aria_t ENGINE=Aria, typed on the slave
  replication::Event second = MakeEvent(2, AriaUpdate(2));
  second.statements.push_back({{}, Insert(2)});
  db_.FailNext(Insert(2), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 1);
  ASSERT_TRUE(applier_->Enqueue(std::move(second)).ok());
  ASSERT_TRUE(reports_.WaitForFatal()) << reports_.AllLines();
  EXPECT_EQ(db_.TimesApplied(AriaUpdate(2)), 1) << "applied twice: " << reports_.AllLines();
}

// The session dies on the engine lookup that follows a lock wait: that is
// a lost session (reconnect, resync, apply), not a reason to stop for good.
TEST_F(ApplierTest, SessionLostOnTheEngineLookupAfterALockWaitReconnects) {
  Make();
  db_.FailNext(Insert(1), Status::SqlError(1205, "HY000", "Lock wait timeout exceeded"), 1);
  db_.FailNext("information_schema", testing::Lost(), 1);
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(1, Insert(1))).ok());
  applier_->Start();
  EXPECT_TRUE(reports_.WaitForAcks(1)) << reports_.AllLines();
  EXPECT_EQ(reports_.fatal(), "") << reports_.AllLines();
  EXPECT_EQ(db_.TimesApplied(Insert(1)), 1) << reports_.AllLines();
}

// Issue 17: the slave reads each statement under the session values it
// runs under; one that carries none inherits the statement before it, so a
// USE typed after an ANSI_QUOTES statement is read as the server reads it.
TEST_F(ApplierTest, StatementWithoutSessionValuesIsReadUnderThoseBeforeIt) {
  Make();
  replication::Event e = MakeEvent(1, "INSERT INTO t VALUES (1)");
  e.statements[0].context.has_session = true;
  e.statements[0].context.session = {{"sql_mode", "ANSI_QUOTES"},
                                     {"character_set_client", "utf8mb4"},
                                     {"collation_connection", "utf8mb4_general_ci"}};
  e.statements.push_back({{}, "/* */ USE \"mysql\""});
  e.statements.push_back({{}, "INSERT INTO global_priv VALUES ()"});
  ASSERT_TRUE(applier_->Enqueue(e).ok());
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(2, Insert(2))).ok());
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(2));
  EXPECT_EQ(reports_.acks()[0].outcome, protocol::AckOutcome::kRefused);
  EXPECT_EQ(reports_.acks()[0].message, "USE of system schema mysql is refused");
  EXPECT_EQ(db_.TimesApplied("INSERT INTO global_priv VALUES ()"), 0);
  EXPECT_EQ(db_.TimesApplied(Insert(2)), 1);
}

// Issue 17 review: a statement that names a user variable whose value the
// event does not carry was misread by its master; the slave refuses it
// rather than use its own session's value. Another database's event too.
TEST_F(ApplierTest, UncarriedUserVariableAndAnotherDatabaseAreRefused) {
  Make();
  ASSERT_TRUE(applier_->Enqueue(MakeEvent(1, "INSERT INTO t VALUES (@a)")).ok());
  replication::Event other = MakeEvent(2, Insert(2));
  other.database = "shop";
  ASSERT_TRUE(applier_->Enqueue(other).ok());
  applier_->Start();
  ASSERT_TRUE(reports_.WaitForAcks(2));
  EXPECT_EQ(reports_.acks()[0].message, "names @a, whose value the event does not carry");
  EXPECT_EQ(reports_.acks()[1].message,
            "the event ran in database shop on the master; this slave applies into school "
            "(DB_NAME) only");
  EXPECT_EQ(db_.TimesApplied(Insert(2)), 0);
}

}  // namespace
}  // namespace sqlrepl::slave
