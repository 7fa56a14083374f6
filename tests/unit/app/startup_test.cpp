// The master warns at start when it listens beyond loopback without TLS;
// IsLoopback decides what "beyond loopback" is.
#include "app/startup.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::app {
namespace {

TEST(IsLoopback, OnlyLoopbackAddressesAre) {
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("127.8.9.10"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback("::"));
  EXPECT_FALSE(IsLoopback("10.1.2.3"));
  EXPECT_FALSE(IsLoopback("localhost"));  // not an address: the master refuses it anyway
}

}  // namespace
}  // namespace sqlrepl::app
