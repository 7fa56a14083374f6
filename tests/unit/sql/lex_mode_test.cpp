// Statements read under the sql_mode they run under (issue 11): a slave
// reads each event's text as the server will under the carried sql_mode,
// instead of refusing ANSI_QUOTES and NO_BACKSLASH_ESCAPES.
#include <gtest/gtest.h>

#include "sql/classifier.hpp"
#include "sql/lexer.hpp"
#include "sql/policy.hpp"

namespace sqlrepl::sql {
namespace {

const LexMode kAnsiQuotes = LexMode::FromSqlMode("STRICT_TRANS_TABLES,ANSI_QUOTES");
const LexMode kNoBackslashEscapes = LexMode::FromSqlMode("NO_BACKSLASH_ESCAPES");

TEST(LexMode, ReadFromSqlModeValues) {
  EXPECT_TRUE(kAnsiQuotes.ansi_quotes);
  EXPECT_FALSE(kAnsiQuotes.no_backslash_escapes);
  EXPECT_TRUE(kNoBackslashEscapes.no_backslash_escapes);
  EXPECT_TRUE(LexMode::FromSqlMode("ansi").ansi_quotes);  // ANSI includes ANSI_QUOTES
  EXPECT_EQ(LexMode::FromSqlMode(""), LexMode{});
  EXPECT_FALSE(LexMode::FromSqlMode("NO_ANSI_QUOTESX").ansi_quotes);
}

TEST(LexMode, DoubleQuotesNameUnderAnsiQuotes) {
  const std::vector<Token> t = CodeTokens("\"my;table\"", kAnsiQuotes);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].kind, TokenKind::kQuotedIdent);
  EXPECT_EQ(Unquote(t[0]), "my;table");
  EXPECT_EQ(CodeTokens("\"my;table\"")[0].kind, TokenKind::kString);
}

TEST(LexMode, BackslashIsItselfUnderNoBackslashEscapes) {
  const std::vector<Token> t = CodeTokens("'a\\' 'b'", kNoBackslashEscapes);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(Unquote(t[0]), "a\\");
  EXPECT_EQ(Unquote(CodeTokens("'a\\' 'b'")[0]), "a' ");  // by default \' escapes the quote
}

TEST(LexMode, AnsiQuotedSystemTableIsSeenAndRefused) {
  const std::string sql = "UPDATE \"mysql\".\"global_priv\" SET Priv = '{}'";
  const Classification c = Classify(sql, kAnsiQuotes);
  EXPECT_EQ(c.kind, StatementKind::kDataChange);
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0].schema, "mysql");
  EXPECT_FALSE(CheckSlavePolicy(c, "school", "repl_meta").allowed);
}

TEST(LexMode, StringEndingInBackslashCannotHideASecondStatement) {
  // Under NO_BACKSLASH_ESCAPES the server ends the string at \' and sees a
  // DROP after the ';'; read by default, everything is one string.
  const std::string sql = "INSERT INTO t (s) VALUES ('x\\'); DROP TABLE t; -- ')";
  EXPECT_FALSE(Classify(sql).multiple_statements);
  const Classification c = Classify(sql, kNoBackslashEscapes);
  EXPECT_TRUE(c.multiple_statements);
  EXPECT_FALSE(CheckSlavePolicy(c, "school", "repl_meta").allowed);
}

TEST(LexMode, CarriedQuotingModesAreFollowedOtherGrammarsRefused) {
  Classification carried;
  carried.sql_modes = {"ANSI_QUOTES,NO_BACKSLASH_ESCAPES"};
  EXPECT_EQ(CheckLexicalSettings(carried, /*lexer_follows_quoting=*/true), "");
  EXPECT_NE(CheckLexicalSettings(carried), "");  // written in a statement, still refused
  carried.sql_modes = {"ORACLE"};
  EXPECT_NE(CheckLexicalSettings(carried, true), "");
}

}  // namespace
}  // namespace sqlrepl::sql
