// The slave's start-up review of SHOW GRANTS: exactly SELECT, INSERT,
// UPDATE, DELETE on DB_NAME.* and META_SCHEMA.slave_position passes;
// anything more is named with the REVOKE that removes it.
#include "app/grants.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sqlrepl::app {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kUsage =
    "GRANT USAGE ON *.* TO `slave`@`127.0.0.1` IDENTIFIED BY PASSWORD "
    "'*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'";
const std::string kOnDatabase =
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `slave`@`127.0.0.1`";
const std::string kOnPosition =
    "GRANT SELECT, INSERT, UPDATE, DELETE ON `repl_meta`.`slave_position` TO `slave`@`127.0.0.1`";

GrantReview Review(std::vector<std::string> lines) {
  return ReviewSlaveGrants(lines, "school", "repl_meta");
}

TEST(ParseGrantLine, ReadsPrivilegesObjectAndAccountButNotThePasswordHash) {
  std::optional<GrantLine> g = ParseGrantLine(kUsage);
  ASSERT_TRUE(g);
  EXPECT_THAT(g->privileges, ElementsAre("USAGE"));
  EXPECT_EQ(g->schema, "*");
  EXPECT_EQ(g->account, "`slave`@`127.0.0.1`");
  g = ParseGrantLine(
      "GRANT SELECT (`a`, `b`), CREATE TEMPORARY TABLES ON `s`.`t` TO 'u'@'%' WITH GRANT OPTION");
  ASSERT_TRUE(g);
  EXPECT_THAT(g->privileges, ElementsAre("SELECT (`a`, `b`)", "CREATE TEMPORARY TABLES"));
  EXPECT_EQ(g->schema, "s");
  EXPECT_EQ(g->table, "t");
  EXPECT_TRUE(g->grant_option);
  g = ParseGrantLine("GRANT `admin` TO `u`@`%`");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->role, "`admin`");
  EXPECT_FALSE(ParseGrantLine("SET DEFAULT ROLE `admin` FOR `u`@`%`"));
}

TEST(ReviewSlaveGrants, ExactlyTheApplyingPrivilegesPass) {
  const GrantReview r = Review({kUsage, kOnDatabase, kOnPosition});
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.excess) << ::testing::PrintToString(r.missing);
  EXPECT_THAT(r.fixes, IsEmpty());
}

TEST(ReviewSlaveGrants, AllPrivilegesOnEverythingIsRefusedWithTheRevoke) {
  const GrantReview r =
      Review({"GRANT ALL PRIVILEGES ON *.* TO `sqlrepl`@`127.0.0.1` IDENTIFIED BY PASSWORD '*AB'"});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.excess, ElementsAre("ALL PRIVILEGES ON *.*"));
  EXPECT_THAT(r.missing, IsEmpty());
  EXPECT_THAT(
      r.fixes,
      ElementsAre("REVOKE ALL PRIVILEGES ON *.* FROM `sqlrepl`@`127.0.0.1`",
                  "GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `sqlrepl`@`127.0.0.1`",
                  "GRANT SELECT, INSERT, UPDATE, DELETE ON `repl_meta`.`slave_position` TO "
                  "`sqlrepl`@`127.0.0.1`"));
}

TEST(ReviewSlaveGrants, DdlOnTheDatabaseAndGlobalPrivilegesAreExcess) {
  const GrantReview r =
      Review({"GRANT SUPER, FILE ON *.* TO `slave`@`h`",
              "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP ON `school`.* TO `slave`@`h`",
              kOnPosition});
  EXPECT_THAT(r.excess, ElementsAre("SUPER, FILE ON *.*", "CREATE, DROP ON `school`.*"));
  EXPECT_THAT(r.fixes, Contains("REVOKE CREATE, DROP ON `school`.* FROM `slave`@`h`"));
}

TEST(ReviewSlaveGrants, TheWholeMetaSchemaOrTheMysqlSchemaIsExcess) {
  const GrantReview r =
      Review({kUsage, kOnDatabase, "GRANT SELECT, INSERT ON `repl_meta`.* TO `slave`@`127.0.0.1`",
              "GRANT SELECT ON `mysql`.`user` TO `slave`@`127.0.0.1`"});
  EXPECT_THAT(r.excess, ElementsAre("SELECT, INSERT ON `repl_meta`.*", "SELECT ON `mysql`.`user`"));
}

TEST(ReviewSlaveGrants, GrantOptionRolesAndRoutinesAreExcess) {
  const GrantReview r = Review({kUsage, kOnDatabase + " WITH GRANT OPTION", kOnPosition,
                                "GRANT `dba` TO `slave`@`127.0.0.1`",
                                "GRANT EXECUTE ON PROCEDURE `school`.`p` TO `slave`@`127.0.0.1`"});
  EXPECT_THAT(r.excess, ElementsAre("GRANT OPTION ON `school`.*",
                                    "role `dba` (its privileges are not checked)",
                                    "EXECUTE ON PROCEDURE `school`.`p`"));
  EXPECT_THAT(r.fixes, Contains("REVOKE `dba` FROM `slave`@`127.0.0.1`"));
}

TEST(ReviewSlaveGrants, MissingPrivilegesAreNamedWithTheGrant) {
  const GrantReview r = Review({kUsage, "GRANT SELECT ON `school`.* TO `slave`@`127.0.0.1`"});
  EXPECT_THAT(r.excess, IsEmpty());
  EXPECT_THAT(r.missing,
              ElementsAre("DELETE, INSERT, UPDATE ON `school`.*",
                          "DELETE, INSERT, SELECT, UPDATE ON `repl_meta`.`slave_position`"));
  EXPECT_THAT(
      r.fixes,
      Contains(HasSubstr("GRANT DELETE, INSERT, UPDATE ON `school`.* TO `slave`@`127.0.0.1`")));
}

TEST(ReviewSlaveGrants, ColumnAndTableGrantsInsideTheDatabaseAreNotExcess) {
  const GrantReview r =
      Review({kUsage, kOnDatabase, kOnPosition,
              "GRANT UPDATE (`name`) ON `school`.`students` TO `slave`@`127.0.0.1`"});
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.excess);
}

TEST(SlaveSetupSql, CreatesTheMetaTableThenGrantsOnlyDataPrivileges) {
  const std::vector<std::string> sql = SlaveSetupSql("school", "repl_meta", "'s'@'h'");
  ASSERT_EQ(sql.size(), 4u);
  EXPECT_EQ(sql[0], "CREATE DATABASE IF NOT EXISTS `repl_meta`");
  EXPECT_THAT(sql[1], HasSubstr("CREATE TABLE IF NOT EXISTS `repl_meta`.slave_position"));
  EXPECT_EQ(sql[2], "GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO 's'@'h'");
  EXPECT_EQ(sql[3],
            "GRANT SELECT, INSERT, UPDATE, DELETE ON `repl_meta`.`slave_position` TO 's'@'h'");
}

}  // namespace
}  // namespace sqlrepl::app
