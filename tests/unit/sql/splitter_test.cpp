#include "sql/splitter.hpp"

#include <gtest/gtest.h>

#include <random>

namespace sqlrepl::sql {
namespace {

std::vector<std::string> SplitAll(std::string_view input, bool finish = true) {
  StatementSplitter s;
  s.Feed(input);
  if (finish) s.Finish();
  std::vector<std::string> out;
  while (auto st = s.Next()) out.push_back(st->error.empty() ? st->text : "ERROR: " + st->error);
  return out;
}

using V = std::vector<std::string>;

struct SplitCase {
  const char* input;
  V statements;
};

class SplitterCases : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitterCases, Statements) { EXPECT_EQ(SplitAll(GetParam().input), GetParam().statements); }

INSTANTIATE_TEST_SUITE_P(
    Splitter, SplitterCases,
    ::testing::Values(
        SplitCase{"SELECT 1; SELECT 2;", {"SELECT 1", "SELECT 2"}},
        SplitCase{"INSERT INTO t VALUES ('a;b');", {"INSERT INTO t VALUES ('a;b')"}},
        SplitCase{R"(INSERT INTO t VALUES ('it\'s;');)", {R"(INSERT INTO t VALUES ('it\'s;'))"}},
        SplitCase{"SELECT `a;b` FROM t;", {"SELECT `a;b` FROM t"}},
        SplitCase{"SELECT 1 -- ; not here\n;", {"SELECT 1 -- ; not here"}},
        SplitCase{"SELECT 1 # ; no\n, 2;", {"SELECT 1 # ; no\n, 2"}},
        SplitCase{"SELECT /* ; */ 1;", {"SELECT /* ; */ 1"}},
        SplitCase{"SELECT @`x;y`;", {"SELECT @`x;y`"}}, SplitCase{";;  ; SELECT 1;;", {"SELECT 1"}},
        SplitCase{"-- only a comment\n;", {}}, SplitCase{"SELECT 1", {"SELECT 1"}},
        SplitCase{"SELECT 1;\nSELECT 'unterminated", {"SELECT 1", "SELECT 'unterminated"}},
        SplitCase{"SELECT 1\\G SELECT 2\\g", {"SELECT 1", "SELECT 2"}},
        SplitCase{
            "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\nSELECT 2;",
            {"CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"}},
        SplitCase{"delimiter $$\nSELECT 1$$ SELECT '$$'$$", {"SELECT 1", "SELECT '$$'"}},
        SplitCase{
            "DELIMITER \nSELECT 1;",
            {"ERROR: DELIMITER must be followed by a delimiter (not empty, without backslash)",
             "SELECT 1"}},
        SplitCase{"SELECT 'a' 'b';SELECT \"c;\";", {"SELECT 'a' 'b'", "SELECT \"c;\""}},
        // Found by the fuzzer: the delimiter wins over a comment that would
        // start inside it, as in the mysql client, however the input arrives.
        SplitCase{"DELIMITER //\nSELECT 1//*/\n", {"SELECT 1", "*/"}},
        SplitCase{"DELIMITER ;;\nSELECT 1;;-- x\n", {"SELECT 1"}},
        SplitCase{"DELIMITER /\nSELECT 1//*o\n", {"SELECT 1", "*o"}},
        SplitCase{"DELIMITER '\nSELECT 1'x'\n", {"SELECT 1", "x"}}));

TEST(Splitter, VerticalTerminatorIsReported) {
  StatementSplitter s;
  s.Feed("SELECT 1\\G\nSELECT 2;\n");
  auto a = s.Next();
  auto b = s.Next();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->vertical);
  EXPECT_FALSE(b->vertical);
}

TEST(Splitter, IncompleteStatementWaitsForMoreInput) {
  StatementSplitter s;
  s.Feed("INSERT INTO t VALUES ('a;\n");
  EXPECT_FALSE(s.Next());
  EXPECT_TRUE(s.HasPendingText());
  s.Feed("b');\n");
  auto st = s.Next();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->text, "INSERT INTO t VALUES ('a;\nb')");
  EXPECT_FALSE(s.HasPendingText());
}

// A comment opened before any statement swallows what follows until it is
// closed; the prompt must say so (found at the prompt: it showed the normal
// prompt and statements typed next silently went into the comment).
TEST(Splitter, CommentStillOpenBeforeAnyStatementIsPending) {
  StatementSplitter s;
  s.Feed("/* forgot to close\n");
  EXPECT_TRUE(s.HasPendingText());
  s.Feed("INSERT INTO t VALUES (1);\n");
  EXPECT_FALSE(s.Next());
  EXPECT_TRUE(s.HasPendingText());
  s.Feed("*/\n");
  EXPECT_FALSE(s.HasPendingText());  // a closed comment alone is no statement
  s.Feed("-- a line comment\n");
  EXPECT_FALSE(s.HasPendingText());
}

TEST(Splitter, UnterminatedCommentIsIncomplete) {
  StatementSplitter s;
  s.Feed("SELECT 1 /* still; open\n");
  EXPECT_FALSE(s.Next());
  s.Feed("*/ ;\n");
  EXPECT_TRUE(s.Next());
}

TEST(Splitter, DelimiterCommandWaitsForItsLine) {
  StatementSplitter s;
  s.Feed("DELIMITER //");
  EXPECT_EQ(s.delimiter(), ";");
  s.Feed("\nSELECT 1//");
  EXPECT_EQ(s.delimiter(), "//");
  ASSERT_TRUE(s.Next());
}

TEST(Splitter, ChunkBoundaryDoesNotChangeTheStatements) {
  const std::string inputs[] = {
      "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nx//*/\nDELIMITER ;\n",
      "DELIMITER /\nSELECT 1\n~DED//*o\nDELIMITER ;\n",
      "SELECT 1;-- c;\n;'a;b';#x\n",
      // Found by the fuzzer in CI: a delimiter that is a letter.
      "DELIMITER E p() R E p() BEGIN SELECT BEGIN SELECT 1; EeD//\nDELIMITER ;\n",
  };
  for (const std::string& input : inputs) {
    const std::vector<std::string> whole = SplitAll(input);
    for (size_t cut = 0; cut <= input.size(); ++cut) {
      StatementSplitter s;
      s.Feed(input.substr(0, cut));
      s.Feed(input.substr(cut));
      s.Finish();
      std::vector<std::string> got;
      while (auto st = s.Next()) got.push_back(st->text);
      EXPECT_EQ(got, whole) << "cut at " << cut << " of " << input;
    }
  }
}

TEST(Splitter, LineNumbersPointAtStatementStart) {
  StatementSplitter s;
  s.Feed("SELECT 1;\n\n  SELECT\n2;");
  s.Feed("\nSELECT 3;");
  auto a = s.Next(), b = s.Next(), c = s.Next();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->line, 1);
  EXPECT_EQ(b->line, 3);
  EXPECT_EQ(c->line, 5);
}

TEST(Splitter, FeedingLineByLineEqualsFeedingAtOnce) {
  const std::string script =
      "INSERT INTO t VALUES ('x;\ny');\n-- c;\nUPDATE t SET a=1 /* ; */ WHERE b='\\'';\n"
      "DELIMITER //\nSELECT 1; SELECT 2//\nDELIMITER ;\nSELECT 3";
  StatementSplitter by_line;
  size_t pos = 0;
  while (pos < script.size()) {
    size_t nl = script.find('\n', pos);
    nl = nl == std::string::npos ? script.size() : nl + 1;
    by_line.Feed(std::string_view(script).substr(pos, nl - pos));
    pos = nl;
  }
  by_line.Finish();
  std::vector<std::string> got;
  while (auto st = by_line.Next()) got.push_back(st->text);
  EXPECT_EQ(got, SplitAll(script));
  EXPECT_EQ(got.size(), 4u);
}

// Property: joining statements with ";" and splitting gives them back,
// whatever strings, comments and names with ';' they contain.
TEST(Splitter, SplittingAConcatenationGivesTheStatementsBack) {
  const std::vector<std::string> pieces = {
      "SELECT 1",        "'a;b'",        "\"c;d\"",    "`e;f`",     "/* g;h */",
      "'i\\';j'",        "'k'';l'",       "x",          "-- m;n\n",  "# o;p\n",
      "/*!40101 q */",   "@`r;s`",        "(1, 2)",     "'\\\\'",     "WHERE a = 'b'",
  };
  std::mt19937 rng(20261122);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::string> statements;
    std::string input;
    const int count = 1 + static_cast<int>(rng() % 6);
    for (int s = 0; s < count; ++s) {
      std::string st = "INSERT";
      const int parts = 1 + static_cast<int>(rng() % 5);
      for (int p = 0; p < parts; ++p) st += " " + pieces[rng() % pieces.size()];
      st += " END";
      statements.push_back(st);
      input += st + (rng() % 2 ? ";" : ";\n");
    }
    EXPECT_EQ(SplitAll(input), statements) << input;
  }
}

TEST(Splitter, BlankSqlDetection) {
  EXPECT_TRUE(IsBlankSql("  -- x\n /* y */ # z"));
  EXPECT_FALSE(IsBlankSql("/*!40101 SET x=1 */"));
  EXPECT_FALSE(IsBlankSql("x"));
}

}  // namespace
}  // namespace sqlrepl::sql
