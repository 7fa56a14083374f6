// slave --provision's gate as a table: an empty database proceeds, a
// non-empty one only with --force, and the partial copy of an unfinished
// provisioning is replaced without it.
#include "provision/gate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sqlrepl::provision {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(DecideGate, Table) {
  struct Row {
    std::vector<std::string> tables;
    bool marker;
    bool force;
    bool proceed;
    size_t dropped;
  };
  const std::vector<Row> rows = {
      {{}, false, false, true, 0},         // empty: proceed
      {{}, true, false, true, 0},          // empty, unfinished before: proceed
      {{"a", "b"}, true, false, true, 2},  // a partial copy: replaced, no --force needed
      {{"a"}, false, false, false, 0},     // someone's data: refused
      {{"a"}, false, true, true, 1},       // --force replaces it
  };
  for (const Row& r : rows) {
    const GateDecision d = DecideGate({"school", r.tables, r.marker, r.force});
    EXPECT_EQ(d.proceed, r.proceed) << ::testing::PrintToString(r.tables) << r.marker << r.force;
    EXPECT_EQ(d.drop.size(), r.dropped);
    EXPECT_EQ(d.refusal.empty(), r.proceed);
  }
}

TEST(DecideGate, TheRefusalNamesTheDatabaseSomeTablesAndForce) {
  const GateDecision d =
      DecideGate({"school", {"t1", "t2", "t3", "t4", "t5", "t6", "t7"}, false, false});
  EXPECT_FALSE(d.proceed);
  EXPECT_THAT(d.drop, IsEmpty());
  EXPECT_THAT(d.refusal, HasSubstr("database 'school' is not empty (7 objects: t1, t2, t3, t4, "
                                   "t5 and 2 more)"));
  EXPECT_THAT(d.refusal, HasSubstr("slave --provision --force"));
}

TEST(DecideGate, ForceDropsExactlyWhatIsThere) {
  EXPECT_THAT(DecideGate({"school", {"students", "v"}, false, true}).drop,
              ElementsAre("students", "v"));
}

}  // namespace
}  // namespace sqlrepl::provision
