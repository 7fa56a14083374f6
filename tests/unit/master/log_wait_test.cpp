// The master's wait for room for a log row (log_wait.hpp) as tables: which
// errors are waited out, and how long each pause is.
#include "master/log_wait.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sqlrepl::master {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(LogWait, OnlyAServerResourceThatRanOutIsWaitedOut) {
  struct Row {
    unsigned sql_errno;
    const char* message;
    const char* expected;  // nullptr: not waited out
  };
  // clang-format off
  const Row rows[] = {
    {1114, "The table 'log' is full",                      "table full"},
    {1021, "Disk full (./repl_meta/log); waiting ...",     "disk full"},
    {1037, "Out of memory",                                "out of memory"},
    {1041, "Out of memory; check if mysqld ...",           "out of memory"},
    {1040, "Too many connections",                         "too many connections"},
    {1030, "Got error 28 \"No space left on device\" from storage engine InnoDB", "disk full"},
    {1026, "Error writing file './x' (Errcode: 28 \"No space left on device\")", "disk full"},
    {1030, "Got error 168 \"Unknown (generic) error from engine\"", nullptr},
    {1205, "Lock wait timeout exceeded",                   nullptr},  // not the log's to wait for
    {1213, "Deadlock found",                               nullptr},  // the transaction is gone
    {1317, "Query execution was interrupted",              nullptr},  // someone asked
    {1969, "Query execution was interrupted (max_statement_time exceeded)", nullptr},
    {1062, "Duplicate entry '5' for key 'PRIMARY'",        nullptr},
    {2013, "Lost connection to server during query",       nullptr},
  };
  // clang-format on
  for (const Row& r : rows) {
    const char* got = LogRowWaitReason(Status::SqlError(r.sql_errno, "HY000", r.message));
    EXPECT_STREQ(got, r.expected) << r.sql_errno << " " << r.message;
  }
  EXPECT_EQ(LogRowWaitReason(Status::Unavailable("The table 'log' is full")), nullptr);
}

TEST(LogWait, PausesDoubleUpToTheMaximumAndStopAtTheLimit) {
  LogWaitOptions o;
  o.first = milliseconds(200);
  o.max = milliseconds(1000);
  o.limit = milliseconds(3000);
  struct Row {
    int waited, last;
    std::optional<int> next;
  };
  // clang-format off
  const Row rows[] = {
    {0,    0,    200},           // the first pause
    {200,  200,  400},
    {600,  400,  800},
    {1400, 800,  1000},          // no longer than the maximum
    {2400, 1000, 600},           // no further than the limit
    {3000, 600,  std::nullopt},  // the limit is reached: give up
    {3500, 1000, std::nullopt},
  };
  // clang-format on
  for (const Row& r : rows) {
    const std::optional<milliseconds> next =
        NextLogWait(o, milliseconds(r.waited), milliseconds(r.last));
    EXPECT_EQ(next.has_value(), r.next.has_value()) << r.waited;
    if (next && r.next) {
      EXPECT_EQ(next->count(), *r.next) << r.waited;
    }
  }
}

TEST(LogWait, TheLinesNameTheWriteTheReasonAndTheBound) {
  const Status full = Status::SqlError(1114, "HY000", "The table 'log' is full");
  const std::string line =
      LogWaitLine(7, "table full", full, "INSERT INTO t VALUES (1)", milliseconds(300000));
  EXPECT_THAT(line, HasSubstr("waiting: table full on the replication log, write #7"));
  EXPECT_THAT(line, HasSubstr("up to 300 s"));
  EXPECT_THAT(line, HasSubstr("ERROR 1114"));
  EXPECT_THAT(line, HasSubstr("INSERT INTO t VALUES (1)"));
  const Status gave_up = LogWaitGaveUp(full, "table full", milliseconds(300000), /*stopped=*/false);
  EXPECT_EQ(gave_up.sql_errno(), 1114u);
  EXPECT_THAT(gave_up.message(), HasSubstr("table full; still so after waiting 300 s"));
  EXPECT_THAT(LogWaitGaveUp(full, "table full", milliseconds(1500), true).message(),
              HasSubstr("waiting for it stopped after 1.5 s"));
}

TEST(LogWait, APauseEndsAtOnceWhenStopped) {
  EXPECT_FALSE(PauseUnlessStopped(milliseconds(60000), [] { return true; }));
  EXPECT_TRUE(PauseUnlessStopped(milliseconds(1), nullptr));
}

}  // namespace
}  // namespace sqlrepl::master
