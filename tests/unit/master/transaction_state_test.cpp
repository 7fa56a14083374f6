// The master's transaction state (transaction_state.hpp) as a table: a
// sequence of transitions, and what the state says after it.
#include "master/transaction_state.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace sqlrepl::master {
namespace {

using Step = std::function<void(TransactionState&)>;

replication::EventStatement St(std::string sql) {
  return replication::EventStatement{{}, std::move(sql)};
}

const Step kBegin = [](TransactionState& t) { t.Begin(); };
const Step kAdd = [](TransactionState& t) { t.Add(St("INSERT"), "school"); };
const Step kStaged = [](TransactionState& t) { t.Staged(); };
const Step kCommitted = [](TransactionState& t) { t.Committed(); };
const Step kRolledBack = [](TransactionState& t) { t.RolledBack(); };
const Step kOff = [](TransactionState& t) { t.AutocommitOff(); };
const Step kOn = [](TransactionState& t) { t.AutocommitOn(); };
const Step kLost = [](TransactionState& t) { t.SessionLost(); };
const Step kSavepointA = [](TransactionState& t) { t.Savepoint("a"); };
const Step kSavepointB = [](TransactionState& t) { t.Savepoint("b"); };
const Step kRollbackToA = [](TransactionState& t) { t.RollbackToSavepoint("a"); };
const Step kRollbackToB = [](TransactionState& t) { t.RollbackToSavepoint("b"); };
const Step kReleaseA = [](TransactionState& t) { t.ReleaseSavepoint("a"); };
const Step kServerRolledBack = [](TransactionState& t) {
  t.RolledBackByServer(/*autocommit=*/true);
};
const Step kEndedOpen = [](TransactionState& t) { t.EndedByStatement(/*server_open=*/true); };
const Step kEndedClosed = [](TransactionState& t) { t.EndedByStatement(/*server_open=*/false); };

struct Row {
  const char* what;
  std::vector<Step> steps;
  bool open;
  bool autocommit;
  size_t pending;
  bool staged;
  bool lost_with_session;
};

// clang-format off
const Row kRows[] = {
  // what                                              steps                                        open   ac     pend staged lost
  {"fresh session",                                    {},                                          false, true,  0,   false, false},
  {"BEGIN opens an explicit transaction",              {kBegin},                                    true,  true,  0,   false, true},
  {"statements are kept",                              {kBegin, kAdd, kAdd},                        true,  true,  2,   false, true},
  {"a staged log row",                                 {kBegin, kAdd, kStaged},                     true,  true,  1,   true,  true},
  {"COMMIT ends it",                                   {kBegin, kAdd, kStaged, kCommitted},         false, true,  0,   false, false},
  {"ROLLBACK ends it",                                 {kBegin, kAdd, kRolledBack},                 false, true,  0,   false, false},
  {"BEGIN again drops nothing it should keep",         {kBegin, kAdd, kBegin},                      true,  true,  0,   false, true},
  {"autocommit off: open, nothing to lose yet",        {kOff},                                      true,  false, 0,   false, false},
  {"autocommit off with a statement",                  {kOff, kAdd},                                true,  false, 1,   false, true},
  {"autocommit off: COMMIT opens the next at once",    {kOff, kAdd, kCommitted},                    true,  false, 0,   false, false},
  {"autocommit on commits and closes",                 {kOff, kAdd, kOn},                           false, true,  0,   false, false},
  {"a lost session takes everything",                  {kOff, kBegin, kAdd, kStaged, kLost},        false, true,  0,   false, false},
  {"ROLLBACK TO drops what followed",                  {kBegin, kAdd, kSavepointA, kAdd, kAdd, kRollbackToA}, true, true, 1, false, true},
  {"ROLLBACK TO an earlier one forgets the later",     {kBegin, kSavepointA, kAdd, kSavepointB, kAdd, kRollbackToA, kAdd, kRollbackToB},
                                                                                                    true,  true,  1,   false, true},
  {"a released savepoint is no target",                {kBegin, kAdd, kSavepointA, kAdd, kReleaseA, kRollbackToA}, true, true, 2, false, true},
  {"the server rolled it back (deadlock)",             {kBegin, kAdd, kServerRolledBack},           false, true,  0,   false, false},
  {"a CALL committed it, none open after",             {kBegin, kAdd, kEndedClosed},                false, true,  0,   false, false},
  {"a CALL committed it and opened another",           {kBegin, kAdd, kEndedOpen},                  true,  true,  0,   false, false},
};
// clang-format on

TEST(TransactionState, EveryRowOfTheTable) {
  for (const Row& r : kRows) {
    TransactionState t;
    for (const Step& step : r.steps) step(t);
    EXPECT_EQ(t.open(), r.open) << r.what;
    EXPECT_EQ(t.autocommit(), r.autocommit) << r.what;
    EXPECT_EQ(t.pending_count(), r.pending) << r.what;
    EXPECT_EQ(t.staged(), r.staged) << r.what;
    EXPECT_EQ(t.LostWithSession(), r.lost_with_session) << r.what;
  }
}

TEST(TransactionState, ThePendingEventNamesTheFirstStatementsDatabase) {
  TransactionState t;
  t.Begin();
  t.Add(St("INSERT INTO a"), "school");
  t.Add(St("USE other"), "other");
  const replication::Event e = t.PendingEvent();
  EXPECT_EQ(e.seq, 0u);
  EXPECT_EQ(e.database, "school");
  ASSERT_EQ(e.statements.size(), 2u);
  EXPECT_EQ(e.statements[1].sql, "USE other");
}

}  // namespace
}  // namespace sqlrepl::master
