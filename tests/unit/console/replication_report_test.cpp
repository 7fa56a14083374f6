// What the master prints about replication: outcome lines after a write,
// lag transitions, and the \slaves table.
#include "console/replication_report.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::console {
namespace {

using feed::SlaveOutcome;

SlaveOutcome Outcome(const std::string& id, SlaveOutcome::Kind kind,
                     const std::string& message = "") {
  SlaveOutcome o;
  o.slave_id = id;
  o.kind = kind;
  o.message = message;
  return o;
}

TEST(FormatOutcomesTest, NoSlaveMeansLoggedForLater) {
  EXPECT_EQ(FormatOutcomes(4, {}, 0.1, 5000),
            "No slave connected: logged as #4 for slaves that connect later\n");
}

TEST(FormatOutcomesTest, EverySlaveAppliedIsOneLine) {
  EXPECT_EQ(FormatOutcomes(
                1, {Outcome("s1", SlaveOutcome::kApplied), Outcome("s2", SlaveOutcome::kApplied)},
                0.84, 5000),
            "Replicated to 2/2 slaves (0.8 ms)\n");
  EXPECT_EQ(FormatOutcomes(1, {Outcome("s1", SlaveOutcome::kApplied)}, 1.0, 5000),
            "Replicated to 1/1 slave (1.0 ms)\n");
}

TEST(FormatOutcomesTest, RefusalsAreGroupedByReason) {
  EXPECT_EQ(
      FormatOutcomes(
          1,
          {Outcome("s1", SlaveOutcome::kRefused, "DDL is not replicated to slaves: DROP TABLE"),
           Outcome("s2", SlaveOutcome::kRefused, "DDL is not replicated to slaves: DROP TABLE")},
          0.5, 5000),
      "Refused by 2/2 slaves: DDL is not replicated to slaves: DROP TABLE\n");
}

TEST(FormatOutcomesTest, ErrorsAndMissingAcksAreNamedPerSlave) {
  EXPECT_EQ(
      FormatOutcomes(1,
                     {Outcome("s1", SlaveOutcome::kApplied),
                      Outcome("s2", SlaveOutcome::kError,
                              "ERROR 1146 (42S02): Table 'school.x' doesn't exist"),
                      Outcome("s3", SlaveOutcome::kNoAck),
                      Outcome("s4", SlaveOutcome::kNoAck, "disconnected before acknowledging")},
                     2.0, 5000),
      "Replicated to 1/4 slaves (2.0 ms)\n"
      "s2: ERROR 1146 (42S02): Table 'school.x' doesn't exist\n"
      "s3: no acknowledgement within 5000 ms, it will catch up\n"
      "s4: disconnected before acknowledging, it will catch up\n");
}

TEST(FormatOutcomesTest, LaggingSlaveIsNamedAsNotWaitedFor) {
  EXPECT_EQ(FormatOutcomes(
                9, {Outcome("s1", SlaveOutcome::kApplied), Outcome("s2", SlaveOutcome::kLagging)},
                0.3, 5000),
            "Replicated to 1/2 slaves (0.3 ms)\n"
            "s2: lagging, not waited for\n");
}

// Issue 19: a known slave that is offline is named after the outcome
// lines; one that was asked (it went away while the write waited) is not.
TEST(FormatOutcomesTest, KnownSlavesThatAreOfflineAreNamedAfterTheOutcomes) {
  const feed::SlaveInfo live{"s1", "a:1", feed::SlaveState::kLive, 7, 0, 0, "", false};
  const feed::SlaveInfo asked{"s2", "a:2", feed::SlaveState::kOffline, 6, 0, 0, "", false};
  const feed::SlaveInfo gone{"s3", "a:3", feed::SlaveState::kOffline, 3, 0, 0, "", false};
  const std::vector<SlaveOutcome> outcomes = {
      Outcome("s1", SlaveOutcome::kApplied),
      Outcome("s2", SlaveOutcome::kNoAck, "disconnected before acknowledging")};
  EXPECT_EQ(FormatOutcomes(7, outcomes, 0.5, 5000, {live, asked, gone}),
            "Replicated to 1/2 slaves (0.5 ms)\n"
            "s2: disconnected before acknowledging, it will catch up\n"
            "s3: offline (applied #3 of #7), it will catch up from the log\n");
  EXPECT_EQ(FormatOutcomes(7, {Outcome("s1", SlaveOutcome::kApplied)}, 0.5, 5000, {live}),
            "Replicated to 1/1 slave (0.5 ms)\n");
  // With no slave connected, the first line already says they get it later.
  EXPECT_EQ(FormatOutcomes(7, {}, 0.5, 5000, {gone}),
            "No slave connected: logged as #7 for slaves that connect later\n");
}

TEST(FormatLagChangesTest, BothTransitionsAreSaid) {
  EXPECT_EQ(FormatLagChanges({{"slave2", true}}, 5000),
            "slave2 is lagging: no acknowledgement within 5000 ms; writes no longer wait for it\n");
  EXPECT_EQ(FormatLagChanges({{"slave2", false}}, 5000),
            "slave2 has caught up; writes wait for it again\n");
  EXPECT_EQ(FormatLagChanges({}, 5000), "");
}

TEST(FormatSlavesTest, NoSlaveYet) {
  EXPECT_EQ(FormatSlaves({}, 10), "No slave has connected since the master started.\n");
}

TEST(FormatSlavesTest, TableShowsStateLagAndLastError) {
  feed::SlaveInfo live{"s1", "10.0.0.1:4000", feed::SlaveState::kLive, 10, 0, 0, "", false};
  feed::SlaveInfo behind{"s2", "10.0.0.2:4000", feed::SlaveState::kLive, 4, 1, 2, "ERROR 1146",
                         true};
  const std::string table = FormatSlaves({live, behind}, 10);
  EXPECT_NE(table.find("| s1    | 10.0.0.1:4000 | live          |      10 |   0 |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| s2    | 10.0.0.2:4000 | live, lagging |       4 |   6 |       1 |      2 "
                       "| ERROR 1146 |"),
            std::string::npos)
      << table;
}

// Issue 19: a piped master that exits while slaves are behind says which,
// and how far, instead of leaving them to stop half-way in silence.
TEST(FormatBehindAtExitTest, NamesEverySlaveBehindAndHowFar) {
  const feed::SlaveInfo done{"s1", "a:1", feed::SlaveState::kLive, 600, 0, 0, "", false};
  const feed::SlaveInfo live{"s2", "a:2", feed::SlaveState::kLive, 4, 0, 0, "", true};
  const feed::SlaveInfo gone{"s3", "a:3", feed::SlaveState::kOffline, 599, 0, 0, "", false};
  EXPECT_EQ(FormatBehindAtExit({done}, 600), "");
  EXPECT_EQ(FormatBehindAtExit({}, 600), "");
  EXPECT_EQ(FormatBehindAtExit({done, live, gone}, 600),
            "master: exiting while 2 slaves are behind; they get the rest only while a master runs "
            "(start "
            "the master again, interactively or with another script):\n"
            "  s2: applied #4 of #600 (596 events behind), live\n"
            "  s3: applied #599 of #600 (1 event behind), offline\n");
}

master::VerifyReport OneTableOnTwoSlaves(const std::string& s2_checksum) {
  master::VerifyReport r;
  r.slaves = {"s1", "s2"};
  master::TableComparison c;
  c.table = "students";
  c.master = "42";
  c.slaves = {"42", s2_checksum};
  c.same = s2_checksum == "42";
  c.different = !c.same && s2_checksum != "no answer";
  c.unanswered = s2_checksum == "no answer";
  r.tables.push_back(c);
  r.differences = c.different ? 1 : 0;
  if (c.unanswered) r.unanswered.push_back("s2");
  return r;
}

std::string LastLine(const std::string& text) {
  const size_t end = text.find_last_not_of('\n');
  return text.substr(text.rfind('\n', end) + 1, end - text.rfind('\n', end));
}

// Issue 19: a table only a slave holds is named on a line of its own and
// counted in the verdict, which keeps its other parts.
TEST(FormatVerifyReportTest, TheVerdictNamesEveryKindOfDifference) {
  master::VerifyReport only = OneTableOnTwoSlaves("42");
  only.slave_only = {{"s1", "notes"}, {"s2", "a"}, {"s2", "b"}};
  master::VerifyReport all = OneTableOnTwoSlaves("7");
  all.slave_only = {{"s2", "notes"}};
  all.unanswered = {"s3"};
  // clang-format off
  const std::vector<std::pair<master::VerifyReport, std::string>> rows = {
      {OneTableOnTwoSlaves("42"),        "Verified 1 table on 2 slaves: all match."},
      {OneTableOnTwoSlaves("7"),         "Verified 1 table on 2 slaves: 1 DIFFERENT."},
      {OneTableOnTwoSlaves("no answer"), "Verified 1 table on 2 slaves: no answer from s2 within 60 s (still applying earlier writes?)."},
      {only,                             "Verified 1 table on 2 slaves: 3 tables only on a slave."},
      {all,                              "Verified 1 table on 2 slaves: 1 DIFFERENT; 1 table only on a slave; no answer from s3 within 60 s (still applying earlier writes?)."},
  };
  // clang-format on
  for (const auto& [report, verdict] : rows)
    EXPECT_EQ(LastLine(FormatVerifyReport(report, 60)), verdict);
  const std::string text = FormatVerifyReport(only, 60);
  EXPECT_NE(text.find("| students |     42 | 42 | 42 | match  |\n"
                      "+----------+--------+----+----+--------+\n"
                      "s1: table notes exists only on this slave\n"
                      "s2: table a exists only on this slave\n"
                      "s2: table b exists only on this slave\n"
                      "Verified"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace sqlrepl::console
