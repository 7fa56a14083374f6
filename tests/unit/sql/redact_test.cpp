// Passwords in account statements are replaced by '<redacted>' wherever the
// server would read them, and nothing else changes.
#include "sql/redact.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::sql {
namespace {

TEST(RedactPasswords, IdentifiedByStringIsReplaced) {
  EXPECT_EQ(RedactPasswords("CREATE OR REPLACE USER IF NOT EXISTS u IDENTIFIED BY 'pw'"),
            "CREATE OR REPLACE USER IF NOT EXISTS u IDENTIFIED BY '<redacted>'");
  EXPECT_EQ(RedactPasswords("CREATE USER 'u'@'%' IDENTIFIED BY 's3cret'"),
            "CREATE USER 'u'@'%' IDENTIFIED BY '<redacted>'");
  EXPECT_EQ(RedactPasswords("alter user u identified by \"s3cret\";"),
            "alter user u identified by '<redacted>';");
}

TEST(RedactPasswords, HashAfterByPasswordIsReplaced) {
  EXPECT_EQ(RedactPasswords(
                "CREATE USER u IDENTIFIED BY PASSWORD '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'"),
            "CREATE USER u IDENTIFIED BY PASSWORD '<redacted>'");
}

TEST(RedactPasswords, EveryUserOfAStatementIsRedactedAndUserNamesKept) {
  EXPECT_EQ(
      RedactPasswords("CREATE USER 'a'@'h' IDENTIFIED BY 'pa', 'b'@'h' IDENTIFIED BY 'pb', c"),
      "CREATE USER 'a'@'h' IDENTIFIED BY '<redacted>', 'b'@'h' IDENTIFIED BY '<redacted>', c");
}

TEST(RedactPasswords, CommentsBetweenKeywordsDoNotHideThePassword) {
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED /* note */ BY -- x\n 'pw'"),
            "CREATE USER u IDENTIFIED /* note */ BY -- x\n '<redacted>'");
  EXPECT_EQ(RedactPasswords("CREATE USER u /*!100000 IDENTIFIED BY 'pw' */"),
            "CREATE USER u /*!100000 IDENTIFIED BY '<redacted>' */");
}

TEST(RedactPasswords, QuotesAndEscapesInsideThePasswordAreReplacedWhole) {
  EXPECT_EQ(RedactPasswords(R"(CREATE USER u IDENTIFIED BY 'it''s \' , REQUIRE')"),
            "CREATE USER u IDENTIFIED BY '<redacted>'");
  // Adjacent strings are one literal to the server: both halves go.
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED BY 'ab' \"cd\""),
            "CREATE USER u IDENTIFIED BY '<redacted>' '<redacted>'");
  // An unterminated string runs to the end: all of it goes.
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED BY 'never closed"),
            "CREATE USER u IDENTIFIED BY '<redacted>'");
}

TEST(RedactPasswords, HexAndIntroducedLiteralsAreReplaced) {
  EXPECT_EQ(RedactPasswords("SET PASSWORD = PASSWORD(0x707730)"),
            "SET PASSWORD = PASSWORD('<redacted>')");
  EXPECT_EQ(RedactPasswords("SET PASSWORD = PASSWORD(X'707730')"),
            "SET PASSWORD = PASSWORD(X'<redacted>')");
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED BY _utf8mb4'pw'"),
            "CREATE USER u IDENTIFIED BY _utf8mb4'<redacted>'");
}

TEST(RedactPasswords, PluginAuthenticationStringsAreReplaced) {
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('pw')"),
            "CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('<redacted>')");
  EXPECT_EQ(RedactPasswords("ALTER USER u IDENTIFIED VIA mysql_native_password USING '*AB12' "
                            "OR unix_socket"),
            "ALTER USER u IDENTIFIED VIA mysql_native_password USING '<redacted>' OR unix_socket");
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED WITH ed25519 AS 'hash' "
                            "OR mysql_native_password USING PASSWORD('pw2')"),
            "CREATE USER u IDENTIFIED WITH ed25519 AS '<redacted>' "
            "OR mysql_native_password USING PASSWORD('<redacted>')");
}

TEST(RedactPasswords, SetPasswordKeepsTheUserAndRedactsTheValue) {
  EXPECT_EQ(RedactPasswords("SET PASSWORD FOR 'bob'@'%' = PASSWORD('pw')"),
            "SET PASSWORD FOR 'bob'@'%' = PASSWORD('<redacted>')");
  EXPECT_EQ(RedactPasswords("set password for bob = old_password('pw')"),
            "set password for bob = old_password('<redacted>')");
  EXPECT_EQ(RedactPasswords("SET PASSWORD = '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'"),
            "SET PASSWORD = '<redacted>'");
}

TEST(RedactPasswords, GrantIdentifiedByRedactsOnlyThePassword) {
  EXPECT_EQ(
      RedactPasswords("GRANT SELECT ON `db`.* TO 'u'@'%' IDENTIFIED BY 'pw' "
                      "WITH MAX_QUERIES_PER_HOUR 10"),
      "GRANT SELECT ON `db`.* TO 'u'@'%' IDENTIFIED BY '<redacted>' WITH MAX_QUERIES_PER_HOUR 10");
}

TEST(RedactPasswords, OptionClausesAfterTheAuthenticationAreKept) {
  EXPECT_EQ(
      RedactPasswords(
          "ALTER USER u IDENTIFIED BY 'pw' REQUIRE SUBJECT 'CN=x' PASSWORD EXPIRE INTERVAL 9 DAY"),
      "ALTER USER u IDENTIFIED BY '<redacted>' REQUIRE SUBJECT 'CN=x' PASSWORD EXPIRE INTERVAL 9 "
      "DAY");
  EXPECT_EQ(RedactPasswords("CREATE USER u IDENTIFIED BY 'pw' PASSWORD EXPIRE INTERVAL 9 DAY"),
            "CREATE USER u IDENTIFIED BY '<redacted>' PASSWORD EXPIRE INTERVAL 9 DAY");
}

TEST(RedactPasswords, ServerOptionsAndMasterPasswordAreReplaced) {
  EXPECT_EQ(RedactPasswords(
                "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD 'pw')"),
            "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD '<redacted>')");
  EXPECT_EQ(RedactPasswords("CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD = 'pw'"),
            "CHANGE MASTER TO MASTER_USER='r', MASTER_PASSWORD = '<redacted>'");
}

TEST(RedactPasswords, SetStatementForAnAccountStatementIsRedacted) {
  EXPECT_EQ(
      RedactPasswords("SET STATEMENT max_statement_time = 5 FOR CREATE USER u IDENTIFIED BY 'pw'"),
      "SET STATEMENT max_statement_time = 5 FOR CREATE USER u IDENTIFIED BY '<redacted>'");
  EXPECT_EQ(RedactPasswords("SET STATEMENT sql_mode = '' FOR INSERT INTO t VALUES ('pw')"),
            "SET STATEMENT sql_mode = '' FOR INSERT INTO t VALUES ('pw')");
}

TEST(RedactPasswords, DynamicSqlThatMayHoldASecretIsReplacedWhole) {
  EXPECT_EQ(RedactPasswords("EXECUTE IMMEDIATE 'CREATE USER u IDENTIFIED BY ''pw'''"),
            "EXECUTE IMMEDIATE '<redacted>'");
  EXPECT_EQ(RedactPasswords("EXECUTE IMMEDIATE 'SELECT 1'"), "EXECUTE IMMEDIATE 'SELECT 1'");
}

TEST(RedactPasswords, DataStatementsAndLookalikesAreUnchanged) {
  for (const char* sql : {
           "INSERT INTO t VALUES (PASSWORD('pw'), 'IDENTIFIED BY x')",
           "UPDATE t SET password = 'pw' WHERE id = 1",
           "SELECT 'CREATE USER u IDENTIFIED BY pw'",
           "CREATE TABLE identified (password VARCHAR(10) DEFAULT 'pw')",
           "CREATE USER u",
           "CREATE OR REPLACE TABLE t (password INT DEFAULT 0x70) AS SELECT 'pw' AS identified",
           "-- CREATE USER u IDENTIFIED BY 'pw'\nSELECT 1",
           "",
       }) {
    EXPECT_EQ(RedactPasswords(sql), sql);
  }
}

}  // namespace
}  // namespace sqlrepl::sql
