// Statements that walked around the slave policy in review against a real
// MariaDB 10.11 server (issue 12): each was allowed here while the server ran
// something else. Every case must now be refused, or read as the server
// reads it.
#include <gtest/gtest.h>

#include <string>

#include "sql/classifier.hpp"
#include "sql/policy.hpp"

namespace sqlrepl::sql {
namespace {

PolicyDecision Check(std::string_view sql) {
  return CheckSlavePolicy(Classify(sql), "school", "repl_meta");
}

TEST(PolicyBypass, MysqlOnlyVersionCommentHidesAQuoteNotAStatement) {
  // The server discards the /*!50700 body, quotes included, and runs DROP TABLE.
  const std::string sql = "/*!50700 SET @a = '*/ DROP TABLE t /*!50700 '*/";
  EXPECT_EQ(Classify(sql).kind, StatementKind::kDdl);
  EXPECT_FALSE(Check(sql).allowed);
}

TEST(PolicyBypass, FutureVersionCommentIsNotCode) {
  const std::string sql = "/*!999999 SET @a = '*/ DROP TABLE t /*!999999 '*/";
  EXPECT_EQ(Classify(sql).kind, StatementKind::kDdl);
  EXPECT_FALSE(Check(sql).allowed);
}

TEST(PolicyBypass, DashDashBeforeDeleteCharacterIsAComment) {
  const std::string sql =
      "SET @a = 1 --\x7f'\n"
      ", @@global.max_connections = 77 #'";
  EXPECT_EQ(Classify(sql).kind, StatementKind::kGlobalState);
  EXPECT_FALSE(Check(sql).allowed);
}

TEST(PolicyBypass, OdbcTableEscapeNamesTheRealTable) {
  Classification c = Classify("UPDATE { x mysql.global_priv } SET Priv = '{}'");
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], (TableRef{"mysql", "global_priv"}));
  EXPECT_FALSE(Check("UPDATE { x mysql.global_priv } SET Priv = '{}'").allowed);
  EXPECT_FALSE(Check("DELETE FROM { x mysql.global_priv } WHERE User = 'u'").allowed);
  EXPECT_FALSE(Check("UPDATE students s, { OJ mysql.db } SET s.name = 'a'").allowed);
}

TEST(PolicyBypass, GlobalScopeJoinsAcrossCommentsAndSpaces) {
  EXPECT_EQ(Classify("SET @@global /**/.max_connections = 77").kind, StatementKind::kGlobalState);
  EXPECT_EQ(Classify("SET @@global .max_connections = 78").kind, StatementKind::kGlobalState);
  EXPECT_EQ(Classify("SET @@global. max_connections = 78").kind, StatementKind::kGlobalState);
  EXPECT_EQ(Classify("SET @@`global`.max_connections = 78").kind, StatementKind::kGlobalState);
  EXPECT_FALSE(Check("SET @@global /**/.max_connections = 77").allowed);
}

TEST(PolicyBypass, BacktickedVariableNamesAreTheSameVariables) {
  EXPECT_FALSE(Check("SET `sql_mode` = 'ANSI_QUOTES'").allowed);
  EXPECT_FALSE(Check("SET @@`sql_mode` = 'NO_BACKSLASH_ESCAPES'").allowed);
  EXPECT_FALSE(Check("SET @@session /**/ . sql_mode = 'ANSI'").allowed);
  Classification c = Classify("SET `autocommit` = 1");
  EXPECT_EQ(c.kind, StatementKind::kTransaction);
  EXPECT_EQ(c.transaction, TransactionOp::kAutocommitOn);
}

TEST(PolicyBypass, EveryItemOfASetListIsRead) {
  // Found by probing the server: NAMES, CHARACTER SET and PASSWORD are list
  // items like any assignment, so what follows them still runs.
  EXPECT_EQ(Classify("SET NAMES latin1, @@global.max_connections = 77").kind,
            StatementKind::kGlobalState);
  EXPECT_EQ(Classify("SET CHARACTER SET utf8mb4, GLOBAL max_connections = 78").kind,
            StatementKind::kGlobalState);
  EXPECT_EQ(Classify("SET @a = 1, PASSWORD = PASSWORD('x')").kind, StatementKind::kAccount);
  EXPECT_EQ(Classify("SET @a = 1, ROLE NONE").kind, StatementKind::kAccount);
  EXPECT_FALSE(Check("SET @a = 1, NAMES sjis").allowed);
  EXPECT_FALSE(Check("SET @a = 1, CHARSET big5").allowed);
  // Session statements never reach a slave as text (issue 17): refused too.
  EXPECT_FALSE(Check("SET NAMES utf8mb4 COLLATE utf8mb4_bin, @a = 1").allowed);
}

TEST(PolicyBypass, Latin1SpaceByteIsRefusedOutsideStrings) {
  // In latin1 0xA0 is white space: "--\xA0" starts a comment and
  // "INTO\xA0mysql.user" is two words.
  EXPECT_FALSE(Check("INSERT INTO\xA0mysql.user VALUES ()").allowed);
  EXPECT_FALSE(Check("SET @a = 1 --\xA0'\n, @@global.max_connections = 77 #'").allowed);
  EXPECT_FALSE(Check("INSERT INTO caf\xC3\xA9 VALUES (1)").allowed);
  // Inside strings and quoted names every allowed character set agrees.
  EXPECT_TRUE(Check("INSERT INTO `caf\xC3\xA9` VALUES ('\xA0\xC3\xA9')").allowed);
}

TEST(PolicyBypass, DeepNestingIsUnknownNotAStackOverflow) {
  std::string sql;
  for (int i = 0; i < 100000; ++i) sql += "ANALYZE ";
  sql += "SELECT 1";
  EXPECT_EQ(Classify(sql).kind, StatementKind::kUnknown);
  std::string with;
  for (int i = 0; i < 100000; ++i) with += "WITH a AS (SELECT 1) ";
  with += "DELETE FROM students";
  EXPECT_EQ(Classify(with).kind, StatementKind::kUnknown);
  std::string set;
  for (int i = 0; i < 100000; ++i) set += "SET STATEMENT max_statement_time = 1 FOR ";
  set += "DELETE FROM students";
  EXPECT_EQ(Classify(set).kind, StatementKind::kUnknown);
  EXPECT_FALSE(Check(set).allowed);
}

TEST(PolicyBypass, ShallowNestingStillSeesTheStatement) {
  EXPECT_EQ(Classify("ANALYZE ANALYZE DELETE FROM students").kind, StatementKind::kDataChange);
  EXPECT_EQ(Classify("SET STATEMENT max_statement_time = 1 FOR DROP TABLE t").kind,
            StatementKind::kDdl);
}

}  // namespace
}  // namespace sqlrepl::sql
