#include "console/input_state.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::console {
namespace {

TEST(InputState, ContinuationPromptShowsTheOpenQuoteOrComment) {
  EXPECT_EQ(ContinuationPrompt(ScanInput("SELECT 1\n").open), "    -> ");
  EXPECT_EQ(ContinuationPrompt(ScanInput("SELECT 'abc\n").open), "    '> ");
  EXPECT_EQ(ContinuationPrompt(ScanInput("SELECT \"abc\n").open), "    \"> ");
  EXPECT_EQ(ContinuationPrompt(ScanInput("SELECT `ab\n").open), "    `> ");
  EXPECT_EQ(ContinuationPrompt(ScanInput("SELECT /* note\n").open), "   /*> ");
}

TEST(InputState, ClosedAndEscapedQuotesAreNotOpen) {
  EXPECT_EQ(ScanInput("SELECT 'it''s'").open, OpenQuote::kNone);
  EXPECT_EQ(ScanInput("SELECT 'it\\'s'").open, OpenQuote::kNone);
  EXPECT_EQ(ScanInput("SELECT \"a'b\"").open, OpenQuote::kNone);
  EXPECT_EQ(ScanInput("SELECT 1 -- it's\n").open, OpenQuote::kNone);
  EXPECT_EQ(ScanInput("SELECT 1 # it's\n").open, OpenQuote::kNone);
  EXPECT_EQ(ScanInput("SELECT /* it's */ 1").open, OpenQuote::kNone);
}

TEST(InputState, BackslashCClearsOnlyOutsideQuotes) {
  EXPECT_TRUE(ScanInput("SELECT 1 \\c").clear);
  EXPECT_TRUE(ScanInput("INSERT INTO t\nVALUES (1) \\c\n").clear);
  EXPECT_FALSE(ScanInput("SELECT 'a\\c'").clear);
  EXPECT_FALSE(ScanInput("SELECT `a\\c`").clear);
  EXPECT_FALSE(ScanInput("SELECT 1 -- \\c\n").clear);
}

}  // namespace
}  // namespace sqlrepl::console
