// Which SHOW GRANTS lines let the master's account read every trigger body
// (TRIGGER) and view definition (SHOW VIEW) of its database, as a table.
#include "db/privileges.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::db {
namespace {

struct CoverCase {
  const char* grant;
  const char* privilege;
  bool covers;  // for database `school`
};

// clang-format off
const CoverCase kCoverCases[] = {
  {"GRANT ALL PRIVILEGES ON *.* TO `sqlrepl`@`localhost`",                          "TRIGGER",   true},
  {"GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `m`@`%`",                 "TRIGGER",   false},
  {"GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `m`@`%`",                 "SHOW VIEW", false},
  {"GRANT SELECT, TRIGGER, SHOW VIEW ON `school`.* TO `m`@`%`",                     "TRIGGER",   true},
  {"GRANT SELECT, TRIGGER, SHOW VIEW ON `school`.* TO `m`@`%`",                     "SHOW VIEW", true},
  {"GRANT ALL PRIVILEGES ON `school`.* TO `m`@`%`",                                 "SHOW VIEW", true},
  {"GRANT TRIGGER ON `other`.* TO `m`@`%`",                                         "TRIGGER",   false},
  {"GRANT TRIGGER ON `sch%`.* TO `m`@`%`",                                          "TRIGGER",   true},
  {"GRANT TRIGGER ON `schoo_`.* TO `m`@`%`",                                        "TRIGGER",   true},
  {"GRANT TRIGGER ON `schoo\\_`.* TO `m`@`%`",                                      "TRIGGER",   false},
  // One table only: the other tables' triggers stay hidden.
  {"GRANT TRIGGER ON `school`.`trig` TO `m`@`%`",                                   "TRIGGER",   false},
  // A column list's commas are not the list's.
  {"GRANT SELECT (`a`, `b`), TRIGGER ON `school`.* TO `m`@`%`",                     "TRIGGER",   true},
  // A role's own grants are listed by SHOW GRANTS once it is enabled.
  {"GRANT SHOW VIEW, TRIGGER ON `school`.* TO `r_catalog`",                         "TRIGGER",   true},
  {"GRANT `r_catalog` TO `m`@`%`",                                                  "TRIGGER",   false},
  {"GRANT EXECUTE ON PROCEDURE `school`.`p` TO `m`@`%`",                            "TRIGGER",   false},
};
// clang-format on

TEST(Privileges, SchemaWideGrantsCoverEveryTableOfTheDatabase) {
  for (const CoverCase& c : kCoverCases) {
    EXPECT_EQ(GrantsCoverSchema({c.grant}, "school", c.privilege), c.covers)
        << c.grant << " / " << c.privilege;
  }
  EXPECT_FALSE(GrantsCoverSchema({}, "school", "TRIGGER"));
}

// The GRANT the master prints for a missing privilege must run as printed,
// whatever the account's name holds.
TEST(Privileges, AccountLiteralEscapesQuotesAndBackslashes) {
  EXPECT_EQ(QuoteAccountLiteral("least@127.0.0.1"), "'least'@'127.0.0.1'");
  EXPECT_EQ(QuoteAccountLiteral("o'brien@%"), "'o''brien'@'%'");
  EXPECT_EQ(QuoteAccountLiteral("a\\b@host"), "'a\\\\b'@'host'");
  EXPECT_EQ(QuoteAccountLiteral("odd@name@host"), "'odd@name'@'host'");
  EXPECT_EQ(QuoteAccountLiteral("nohost"), "'nohost'");
}

}  // namespace
}  // namespace sqlrepl::db
