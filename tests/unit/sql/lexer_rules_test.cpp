// One test per row of the rules table at the top of lexer.hpp, each taken
// from MariaDB's sql_lex.cc and checked against a 10.11 server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/classifier.hpp"
#include "sql/lexer.hpp"
#include "sql/policy.hpp"

namespace sqlrepl::sql {
namespace {

// The code tokens' texts, as the parser would see them.
std::vector<std::string> Code(std::string_view input) {
  std::vector<std::string> out;
  for (const Token& t : CodeTokens(input)) out.emplace_back(t.text);
  return out;
}
using V = std::vector<std::string>;

bool AnyDependsOnVersion(std::string_view input) {
  for (const Token& t : Tokenize(input)) {
    if (t.depends_on_version) return true;
  }
  return false;
}
bool AnyDependsOnCharset(std::string_view input) {
  for (const Token& t : Tokenize(input)) {
    if (t.depends_on_charset) return true;
  }
  return false;
}

TEST(LexerRules, StringsTakeBackslashEscapesAndDoubledQuotes) {
  EXPECT_EQ(Code(R"(SELECT 'a\'b', "c""d", 'e''f')"),
            (V{"SELECT", R"('a\'b')", ",", R"("c""d")", ",", "'e''f'"}));
}

TEST(LexerRules, BacktickNamesTakeDoubledBackticksNotBackslashes) {
  EXPECT_EQ(Code(R"(`a\` `b``c`)"), (V{R"(`a\`)", "`b``c`"}));
}

TEST(LexerRules, SqlModesThatChangeQuotingAreRefusedNotFollowed) {
  // A statement that changes how the statements after it are read is
  // refused: events carry the session's values instead.
  for (const char* sql :
       {"SET sql_mode = 'ANSI_QUOTES'", "SET @@session.sql_mode = 'NO_BACKSLASH_ESCAPES'",
        "SET `sql_mode` = 'ANSI'", "SET @a = 1, sql_mode = 'ORACLE'"}) {
    EXPECT_FALSE(CheckSlavePolicy(Classify(sql), "school", "repl_meta").allowed) << sql;
  }
  // SET STATEMENT changes how its statement runs, not how its text is read
  // (checked on the server: "x" stays a string): issue 17 accepts it.
  EXPECT_TRUE(
      CheckSlavePolicy(
          Classify("SET STATEMENT sql_mode = 'ANSI_QUOTES' FOR INSERT INTO t VALUES (\"x\")"),
          "school", "repl_meta")
          .allowed);
}

TEST(LexerRules, AsciiWhiteSpaceSeparatesTokens) {
  EXPECT_EQ(Code("a\tb\nc\vd\fe\rf g"), (V{"a", "b", "c", "d", "e", "f", "g"}));
}

TEST(LexerRules, DashDashNeedsSpaceOrControlByteOrEnd) {
  EXPECT_EQ(Code("1 --x"), (V{"1", "-", "-", "x"}));
  EXPECT_EQ(Code("1 -- x"), V{"1"});
  EXPECT_EQ(Code("1 --"), V{"1"});
  EXPECT_EQ(Code(std::string("1 --\x01x\n2")), (V{"1", "2"}));
  EXPECT_EQ(Code("1 --\x7fx\n2"), (V{"1", "2"}));  // DEL is a control character
  EXPECT_EQ(Code(std::string("1 --\0x\n2", 8)), (V{"1", std::string(1, '\0'), "x", "2"}));
}

TEST(LexerRules, LineCommentsEndAtNewlineOrNul) {
  EXPECT_EQ(Code("1 # x\n2"), (V{"1", "2"}));
  EXPECT_EQ(Code(std::string("1 # x\0" "2", 7)), (V{"1", std::string(1, '\0'), "2"}));
}

TEST(LexerRules, BlockCommentsDoNotNest) {
  EXPECT_EQ(Code("1 /* a /* b */ 2 */"), (V{"1", "2", "*", "/"}));
}

TEST(LexerRules, BangWithoutFiveDigitsIsCode) {
  EXPECT_EQ(Code("/*! 1 */"), V{"1"});
  EXPECT_EQ(Code("/*!5070 1 */"), (V{"5070", "1"}));
  EXPECT_EQ(Code("/*M! 1 */"), V{"1"});
  EXPECT_FALSE(AnyDependsOnVersion("/*! 1 */"));
  EXPECT_TRUE(AnyDependsOnVersion("/*M! 1 */"));  // MySQL reads /*M! as a comment
}

TEST(LexerRules, OldVersionGatesAreCodeEverywhere) {
  EXPECT_EQ(Code("/*!40101 1 */"), V{"1"});
  EXPECT_EQ(Code("/*!50699 1 */"), V{"1"});
  EXPECT_FALSE(AnyDependsOnVersion("/*!50699 1 */"));
}

TEST(LexerRules, MysqlOnlyGatesAreDiscardedQuotesAndAll) {
  EXPECT_EQ(Code("/*!50700 'x */ 1"), V{"1"});
  EXPECT_EQ(Code("/*!99999 1 */ 2"), V{"2"});
  EXPECT_TRUE(AnyDependsOnVersion("/*!50700 1 */"));
}

TEST(LexerRules, MariadbMarkerIsCodeForTheMysqlRange) {
  EXPECT_EQ(Code("/*M!50700 1 */"), V{"1"});
  EXPECT_TRUE(AnyDependsOnVersion("/*M!50700 1 */"));
}

TEST(LexerRules, SixDigitGatesCompareWithTheServerVersion) {
  EXPECT_EQ(Code("/*!100000 1 */"), V{"1"});
  EXPECT_EQ(Code("/*!101100 1 */"), V{"1"});
  EXPECT_EQ(Code("/*!101200 1 */ 2"), V{"2"});
  EXPECT_EQ(Code("/*M!999999 1 */ 2"), V{"2"});
  // Only six digits are the version: the seventh is code.
  EXPECT_EQ(Code("/*!1000000 1 */"), (V{"0", "1"}));
  EXPECT_TRUE(AnyDependsOnVersion("/*!100000 1 */"));
}

TEST(LexerRules, DiscardedGateSkipsOneNestedComment) {
  EXPECT_EQ(Code("/*!99999 a /* b */ c */ 1"), V{"1"});
}

TEST(LexerRules, CloseMarkerIsAFlagNotADepth) {
  EXPECT_EQ(Code("/*!1 /*!2 */ 3 */"), (V{"1", "2", "3", "*", "/"}));
  EXPECT_EQ(Code("1 */"), (V{"1", "*", "/"}));
  EXPECT_EQ(Code("/*!1 /* c */ 2 */"), (V{"1", "2"}));
}

TEST(LexerRules, HighBytesInNamesDependOnTheCharacterSet) {
  EXPECT_TRUE(AnyDependsOnCharset("INTO\xA0mysql.user"));
  EXPECT_TRUE(AnyDependsOnCharset("SELECT caf\xC3\xA9"));
  EXPECT_TRUE(AnyDependsOnCharset("SET @caf\xC3\xA9 = 1"));
  EXPECT_TRUE(AnyDependsOnCharset("1 --\xA0 x"));
  EXPECT_FALSE(AnyDependsOnCharset("SELECT '\xA0', `\xC3\xA9`, @'\xA0' /* \xA0 */ # \xA0"));
}

TEST(LexerRules, DotAfterANameMakesTheNextPartAName) {
  EXPECT_EQ(Code("mysql.5abc"), (V{"mysql", ".", "5abc"}));
  EXPECT_EQ(Code("t.1e5"), (V{"t", ".", "1e5"}));
  EXPECT_EQ(Code("t .5"), (V{"t", ".5"}));
  EXPECT_EQ(Code("`t`.5"), (V{"`t`", ".5"}));
}

TEST(LexerRules, SystemVariablesJoinScopeAndNameAcrossSpace) {
  EXPECT_EQ(Code("@@global.x"), V{"@@global.x"});
  EXPECT_EQ(Code("@@global /**/ . x"), (V{"@@global", ".", "x"}));
  EXPECT_EQ(Code("@@`sql_mode`"), V{"@@`sql_mode`"});
  EXPECT_EQ(Classify("SET @@global /* c */ . /* d */ x = 1").kind, StatementKind::kGlobalState);
  EXPECT_EQ(Classify("SET @@session . autocommit = 0").transaction, TransactionOp::kAutocommitOff);
}

TEST(LexerRules, UserVariablesTakeDotsOrQuotes) {
  EXPECT_EQ(Code("@a.b.c = 1"), (V{"@a.b.c", "=", "1"}));
  EXPECT_EQ(Code("@'a b' @`c`"), (V{"@'a b'", "@`c`"}));
}

}  // namespace
}  // namespace sqlrepl::sql
