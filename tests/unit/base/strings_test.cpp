// Hex: the digits of X'...' literals, shared by the event's user variables
// and the snapshot loader's values.
#include "base/strings.hpp"

#include <gtest/gtest.h>

namespace sqlrepl {
namespace {

TEST(JoinComma, CommaSeparatedWithoutATrailingOne) {
  EXPECT_EQ(JoinComma({}), "");
  EXPECT_EQ(JoinComma({"view `v`"}), "view `v`");
  EXPECT_EQ(JoinComma({"a", "", "c"}), "a, , c");
  EXPECT_EQ(JoinComma({"", "b"}), ", b");
}

TEST(Hex, TwoUpperCaseDigitsPerByte) {
  EXPECT_EQ(Hex(""), "");
  EXPECT_EQ(Hex(std::string("\x00\x09\x0a\x7f\x80\xff", 6)), "00090A7F80FF");
  EXPECT_EQ(Hex("a'\\"), "61275C");
}

}  // namespace
}  // namespace sqlrepl
