// The reconnect rules (docs/replication.md, "Reconnect rules") as
// a table: what is known after the loss, what the master does.
#include "master/reconnect_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sqlrepl::master {
namespace {

constexpr LostStatement kRead = LostStatement::kRead;
constexpr LostStatement kOwn = LostStatement::kOwnTransaction;
constexpr LostStatement kOther = LostStatement::kOther;
constexpr WriteOutcome kCommitted = WriteOutcome::kCommitted;
constexpr WriteOutcome kNotCommitted = WriteOutcome::kNotCommitted;
constexpr WriteOutcome kUnknown = WriteOutcome::kUnknown;
constexpr std::nullopt_t kNone = std::nullopt;

struct Row {
  const char* rule;
  Loss loss;
  AfterLoss expected;
};

// clang-format off
const Row kRules[] = {
  // rule                                                   {statement commit trans ac_off reconn before write stmt_c} -> expected
  {"a read runs again",                                     {kRead, false, false, false, true, false, kNone, false}, AfterLoss::kRunAgain},
  {"a read runs again, autocommit off or not",              {kRead, false, false, true, true, false, kNone, false}, AfterLoss::kRunAgain},
  {"a write lost before its COMMIT was sent runs again",    {kOwn, false, false, false, true, false, kNone, false}, AfterLoss::kRunAgain},
  {"a write the log shows did not commit runs again",       {kOwn, false, false, false, true, false, kNotCommitted, false}, AfterLoss::kRunAgain},
  {"a write the log shows committed is done, not rerun",    {kOwn, false, false, false, true, false, kCommitted, false}, AfterLoss::kDone},
  {"a write with unknown outcome is unknown",               {kOwn, false, false, false, false, false, kUnknown, false}, AfterLoss::kUnknown},
  {"unknown even if a session came back but the log did not answer",
                                                            {kOwn, false, false, false, true, false, kUnknown, false}, AfterLoss::kUnknown},
  {"nothing in doubt, no server: the reconnection's error", {kOwn, false, false, false, false, false, kNone, false}, AfterLoss::kNotReconnected},
  {"a read with no server: the reconnection's error",       {kRead, false, false, false, false, false, kNone, false}, AfterLoss::kNotReconnected},
  {"open transaction lost, nothing committed",              {kOwn, false, true, false, true, false, kNone, false}, AfterLoss::kTransactionLost},
  {"COMMIT the log shows did not commit: transaction lost", {kOther, true, true, false, true, false, kNotCommitted, false}, AfterLoss::kTransactionLost},
  {"COMMIT the log shows committed is done",                {kOther, true, true, false, true, false, kCommitted, false}, AfterLoss::kDone},
  {"COMMIT under autocommit = 0, committed: done",          {kOther, true, true, true, true, false, kCommitted, false}, AfterLoss::kDone},
  {"COMMIT with unknown outcome is unknown",                {kOther, true, true, false, false, false, kUnknown, false}, AfterLoss::kUnknown},
  {"transaction committed first (implicit), then lost",    {kOther, false, true, false, true, true, kNone, false}, AfterLoss::kTransactionCommitted},
  {"CALL that committed the transaction, then lost",        {kOther, false, true, false, true, false, kCommitted, false}, AfterLoss::kTransactionCommitted},
  {"CALL lost, transaction not committed",                  {kOther, false, true, false, true, false, kNotCommitted, false}, AfterLoss::kTransactionLost},
  {"transaction lost with no server: the reconnection's error",
                                                            {kOwn, false, true, false, false, false, kNone, false}, AfterLoss::kNotReconnected},
  {"autocommit = 0: a write is not run again",              {kOwn, false, false, true, true, false, kNone, false}, AfterLoss::kAutocommitLost},
  {"DDL lost: not run again, check first",                  {kOther, false, false, false, true, false, kNone, false}, AfterLoss::kMayHaveTakenEffect},
  {"DDL whose log row the log shows committed is done",     {kOther, false, false, false, true, false, kCommitted, true}, AfterLoss::kDone},
  {"DDL whose log row did not commit stands, not logged",   {kOther, false, false, false, true, false, kNotCommitted, true}, AfterLoss::kNotLogged},
  {"DDL whose log row is unknown stands, logging unknown",  {kOther, false, false, false, false, false, kUnknown, true}, AfterLoss::kLogUnknown},
  {"DDL under autocommit = 0, log row committed: done",     {kOther, false, false, true, true, false, kCommitted, true}, AfterLoss::kDone},
};
// clang-format on

TEST(ReconnectRules, EveryRowOfTheTable) {
  for (const Row& r : kRules) EXPECT_EQ(DecideAfterLoss(r.loss), r.expected) << r.rule;
}

InDoubtWrite Write(uint64_t seq, std::string encoded) {
  InDoubtWrite w;
  w.seq = seq;
  w.encoded = std::move(encoded);
  w.statement = "INSERT INTO t VALUES (1)";
  return w;
}

TEST(ReconnectRules, TheLogRowWithTheWritesBytesMeansCommitted) {
  using Rows = Result<std::vector<std::string>>;
  const InDoubtWrite w = Write(5, "ours");
  EXPECT_EQ(OutcomeFromLog(w, 5, Rows(std::vector<std::string>{"ours"})), kCommitted);
  EXPECT_EQ(OutcomeFromLog(w, 4, Rows(std::vector<std::string>{"before", "ours"})), kCommitted);
  EXPECT_EQ(OutcomeFromLog(w, 5, Rows(std::vector<std::string>{})), kNotCommitted);
  // Another writer's row at that number: ours did not commit as #5.
  EXPECT_EQ(OutcomeFromLog(w, 5, Rows(std::vector<std::string>{"theirs"})), kNotCommitted);
  EXPECT_EQ(OutcomeFromLog(w, 5, Rows(Status::SqlError(2013, "HY000", "Lost connection"))),
            kUnknown);
  EXPECT_EQ(OutcomeFromLog(w, 6, Rows(std::vector<std::string>{})), kUnknown)
      << "the log read missed it";
}

TEST(ReconnectRules, SummaryShowsTheFirstStatementShortAndCountsTheRest) {
  replication::Event one{1, "db", {replication::EventStatement{{}, "UPDATE t SET v = 1"}}};
  EXPECT_EQ(Summary(one), "UPDATE t SET v = 1");
  replication::Event three = one;
  three.statements.push_back(one.statements[0]);
  three.statements.push_back(one.statements[0]);
  EXPECT_EQ(Summary(three), "UPDATE t SET v = 1 (and 2 more statements)");
  replication::Event big{1, "db", {replication::EventStatement{{}, std::string(500, 'x')}}};
  EXPECT_EQ(Summary(big), std::string(120, 'x') + "...");
}

}  // namespace
}  // namespace sqlrepl::master
