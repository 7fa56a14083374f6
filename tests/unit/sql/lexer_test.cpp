#include "sql/lexer.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::sql {
namespace {

// "kind:text" for each token, for compact expectations.
std::vector<std::string> Describe(std::string_view input) {
  std::vector<std::string> out;
  for (const Token& t : Tokenize(input)) {
    const char* k = "?";
    switch (t.kind) {
      case TokenKind::kWord: k = "w"; break;
      case TokenKind::kQuotedIdent: k = "q"; break;
      case TokenKind::kString: k = "s"; break;
      case TokenKind::kNumber: k = "n"; break;
      case TokenKind::kVariable: k = "v"; break;
      case TokenKind::kOperator: k = "o"; break;
      case TokenKind::kComment: k = "c"; break;
      case TokenKind::kExecOpen: k = "x<"; break;
      case TokenKind::kExecClose: k = "x>"; break;
      case TokenKind::kClientCommand: k = "\\"; break;
    }
    out.push_back(std::string(k) + ":" + std::string(t.text) + (t.unterminated ? "!" : ""));
  }
  return out;
}

using V = std::vector<std::string>;

struct LexCase {
  const char* input;
  V tokens;
};

class LexerCases : public ::testing::TestWithParam<LexCase> {};

TEST_P(LexerCases, Tokens) { EXPECT_EQ(Describe(GetParam().input), GetParam().tokens); }

INSTANTIATE_TEST_SUITE_P(
    Lexer, LexerCases,
    ::testing::Values(
        LexCase{"SELECT 1", {"w:SELECT", "n:1"}},
        LexCase{"a.b", {"w:a", "o:.", "w:b"}},
        LexCase{"'it''s'", {"s:'it''s'"}},
        LexCase{R"('a\'b' c)", {R"(s:'a\'b')", "w:c"}},
        LexCase{R"('a\\' ;)", {R"(s:'a\\')", "o:;"}},
        LexCase{R"("dq \" ; x")", {R"(s:"dq \" ; x")"}},
        LexCase{"`we``ird;`", {"q:`we``ird;`"}},
        LexCase{R"(`a\`)", {R"(q:`a\`)"}},
        LexCase{"'open", {"s:'open!"}},
        LexCase{"-- c\nx", {"c:-- c", "w:x"}},
        LexCase{"--\nx", {"c:--", "w:x"}},
        LexCase{"1--1", {"n:1", "o:-", "o:-", "n:1"}},
        LexCase{"# hash ; x\ny", {"c:# hash ; x", "w:y"}},
        LexCase{"/* c ; */x", {"c:/* c ; */", "w:x"}},
        LexCase{"/* open", {"c:/* open!"}},
        LexCase{"/*!40101 SET x=1 */", {"x<:/*!40101", "w:SET", "w:x", "o:=", "n:1", "x>:*/"}},
        LexCase{"/*M!100500 DROP */", {"x<:/*M!100500", "w:DROP", "x>:*/"}},
        LexCase{"/*!DROP*/", {"x<:/*!", "w:DROP", "x>:*/"}},
        LexCase{"a*/b", {"w:a", "o:*", "o:/", "w:b"}},
        LexCase{"@x := @@global.max_connections",
                {"v:@x", "o::=", "v:@@global.max_connections"}},
        LexCase{"@'q v'", {"v:@'q v'"}},
        LexCase{"x <=> y >= z", {"w:x", "o:<=>", "w:y", "o:>=", "w:z"}},
        LexCase{"1.5e3 0x1F .5 1abc", {"n:1.5e3", "n:0x1F", "n:.5", "w:1abc"}},
        LexCase{"select 1\\G", {"w:select", "n:1", "\\:\\G"}},
        LexCase{"naïve_名前", {"w:naïve_名前"}},
        LexCase{"", {}}));

TEST(Lexer, KeywordComparisonIgnoresCase) {
  std::vector<Token> t = Tokenize("dRoP");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].Is("DROP"));
  EXPECT_FALSE(t[0].Is("DROPS"));
}

TEST(Lexer, CodeTokensSkipCommentsAndMarkers) {
  std::vector<Token> t = CodeTokens("/*!50000 DROP */ /* x */ -- y\n TABLE");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(t[0].Is("DROP"));
  EXPECT_TRUE(t[1].Is("TABLE"));
}

TEST(Lexer, UnquoteAppliesEscapes) {
  EXPECT_EQ(Unquote(Tokenize(R"('a\'b''c\n')")[0]), "a'b'c\n");
  EXPECT_EQ(Unquote(Tokenize("`x``y`")[0]), "x`y");
  EXPECT_EQ(Unquote(Tokenize("plain")[0]), "plain");
}

TEST(Lexer, OffsetsPointIntoInput) {
  const std::string input = "  SELECT  'x'";
  for (const Token& t : Tokenize(input)) EXPECT_EQ(input.substr(t.begin, t.text.size()), t.text);
}

}  // namespace
}  // namespace sqlrepl::sql
