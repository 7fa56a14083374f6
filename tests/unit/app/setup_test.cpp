// `slave --setup`'s plan as a table: what is missing is created, the grants
// become exactly the required set, and a server already set up gets no
// statement at all (a second run changes nothing).
#include "app/setup.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/grants.hpp"

namespace sqlrepl::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kUsage = "GRANT USAGE ON *.* TO `s`@`h` IDENTIFIED BY PASSWORD '*AB'";
const std::string kOnDatabase = "GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `s`@`h`";
const std::string kOnPosition =
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `repl_meta`.`slave_position` TO `s`@`h`";

std::vector<std::string> Plan(const SetupFacts& facts) {
  return PlanSlaveSetup(facts, "school", "repl_meta");
}

TEST(PlanSlaveSetup, AFreshServerGetsSchemasTablesThenGrants) {
  const std::vector<std::string> plan = Plan({false, false, {}, {kUsage}});
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0], "CREATE DATABASE IF NOT EXISTS `school` CHARACTER SET utf8mb4");
  EXPECT_EQ(plan[1], "CREATE DATABASE IF NOT EXISTS `repl_meta`");
  EXPECT_THAT(plan[2], HasSubstr("CREATE TABLE IF NOT EXISTS `repl_meta`.slave_position"));
  EXPECT_EQ(plan[3], "GRANT DELETE, INSERT, SELECT, UPDATE ON `school`.* TO `s`@`h`");
  EXPECT_EQ(plan[4],
            "GRANT DELETE, INSERT, SELECT, UPDATE ON `repl_meta`.`slave_position` TO `s`@`h`");
}

TEST(PlanSlaveSetup, ASetUpServerGetsNothing) {
  EXPECT_THAT(Plan({true, true, {"slave_position"}, {kUsage, kOnDatabase, kOnPosition}}),
              IsEmpty());
}

TEST(PlanSlaveSetup, OnlyWhatIsMissingIsCreated) {
  EXPECT_THAT(Plan({true, true, {"other"}, {kUsage, kOnDatabase, kOnPosition}}),
              ElementsAre(HasSubstr("CREATE TABLE IF NOT EXISTS `repl_meta`.slave_position")));
  EXPECT_THAT(Plan({true, true, {"slave_position"}, {kUsage, kOnPosition}}),
              ElementsAre("GRANT DELETE, INSERT, SELECT, UPDATE ON `school`.* TO `s`@`h`"));
}

TEST(PlanSlaveSetup, BroaderGrantsAreRevokedThenTheNeededOnesGiven) {
  EXPECT_THAT(
      Plan({true, true, {"slave_position"}, {"GRANT ALL PRIVILEGES ON *.* TO `s`@`h`"}}),
      ElementsAre(
          "REVOKE ALL PRIVILEGES ON *.* FROM `s`@`h`",
          "GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `s`@`h`",
          "GRANT SELECT, INSERT, UPDATE, DELETE ON `repl_meta`.`slave_position` TO `s`@`h`"));
}

TEST(PlanSlaveSetup, EveryRequiredObjectIsGranted) {
  // The plan follows the one list of required objects, whatever it holds.
  const std::vector<std::string> plan = Plan({true, true, {}, {kUsage}});
  for (const GrantObject& o : SlaveGrantObjects("school", "repl_meta")) {
    EXPECT_THAT(plan, ::testing::Contains(HasSubstr("ON " + o.Quoted() + " TO")));
  }
}

TEST(QuoteAccount, SplitsAtTheLastAt) {
  EXPECT_EQ(QuoteAccount("sqlrepl@127.0.0.1"), "`sqlrepl`@`127.0.0.1`");
  EXPECT_EQ(QuoteAccount("a@b@localhost"), "`a@b`@`localhost`");
  EXPECT_EQ(QuoteAccount("we`ird@%"), "`we``ird`@`%`");
}

}  // namespace
}  // namespace sqlrepl::app
