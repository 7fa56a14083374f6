#include "config/env_file.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::config {
namespace {

std::string ValueOf(std::string_view text, const std::string& key) {
  Result<std::vector<EnvEntry>> r = ParseEnvText(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return "<error>";
  for (const EnvEntry& e : *r) {
    if (e.key == key) return e.value;
  }
  return "<missing>";
}

std::string ErrorOf(std::string_view text) {
  Result<std::vector<EnvEntry>> r = ParseEnvText(text);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(EnvFile, PlainValue) { EXPECT_EQ(ValueOf("DB_USER=app\n", "DB_USER"), "app"); }

TEST(EnvFile, BlankLinesAndCommentsAreSkipped) {
  Result<std::vector<EnvEntry>> r = ParseEnvText("\n# a comment\n   \n  # indented\nA=1\n\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].line, 5);
}

TEST(EnvFile, ExportPrefixIsAccepted) { EXPECT_EQ(ValueOf("export A=1", "A"), "1"); }

TEST(EnvFile, SpacesAroundEqualsAreTrimmed) { EXPECT_EQ(ValueOf("A =  x y  \n", "A"), "x y"); }

TEST(EnvFile, InlineCommentNeedsSpaceBefore) {
  EXPECT_EQ(ValueOf("A=abc # note", "A"), "abc");
  EXPECT_EQ(ValueOf("A=ab#c", "A"), "ab#c");
}

TEST(EnvFile, SingleQuotesAreLiteral) {
  EXPECT_EQ(ValueOf(R"(A='a\n "b" #c')", "A"), R"(a\n "b" #c)");
}

TEST(EnvFile, DoubleQuotesHaveEscapes) {
  EXPECT_EQ(ValueOf(R"(A="x\"y\\z\n" # c)", "A"), "x\"y\\z\n");
}

TEST(EnvFile, EmptyValueIsAllowed) {
  EXPECT_EQ(ValueOf("A=\n", "A"), "");
  EXPECT_EQ(ValueOf("A=''\n", "A"), "");
}

TEST(EnvFile, CarriageReturnsAreIgnored) { EXPECT_EQ(ValueOf("A=1\r\nB=2\r\n", "B"), "2"); }

TEST(EnvFile, LastLineWithoutNewline) { EXPECT_EQ(ValueOf("A=1\nB=2", "B"), "2"); }

TEST(EnvFile, MissingEqualsNamesLineAndKey) {
  EXPECT_EQ(ErrorOf("A=1\nB 2\n"), "line 2: expected '=' after B");
}

TEST(EnvFile, BadKeyNamesLine) {
  EXPECT_EQ(ErrorOf("\n\n1A=x"), "line 3: expected KEY=VALUE (a key starts with a letter or '_')");
  EXPECT_EQ(ErrorOf("=x"), "line 1: expected KEY=VALUE (a key starts with a letter or '_')");
}

TEST(EnvFile, UnterminatedQuotesNameLineAndKey) {
  EXPECT_EQ(ErrorOf("A='abc"), "line 1: unterminated single-quoted value for A");
  EXPECT_EQ(ErrorOf("X=1\nA=\"abc"), "line 2: unterminated double-quoted value for A");
}

TEST(EnvFile, TextAfterClosingQuoteIsAnError) {
  EXPECT_EQ(ErrorOf("A='abc' def"), "line 1: unexpected text after the quoted value of A");
}

TEST(EnvFile, DuplicateKeyNamesBothLines) {
  EXPECT_EQ(ErrorOf("A=1\nB=2\nA=3\n"), "line 3: A is set twice (first on line 1)");
}

TEST(EnvFile, ErrorsNeverQuoteTheValue) {
  const std::string message = ErrorOf("DB_PASS='s3cr3t-value");
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace sqlrepl::config
