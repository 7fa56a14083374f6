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

namespace sqlrepl::app {
namespace {

std::variant<CommandLine, int> ParseSlave(std::vector<std::string> args) {
  args.insert(args.begin(), "slave");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseCommandLine("slave", "test", false, static_cast<int>(argv.size()), argv.data());
}

TEST(ParseCommandLine, TheSlavesProvisionTakesForceAndNothingElseDoes) {
  auto parsed = ParseSlave({"--provision", "--force"});
  ASSERT_TRUE(std::holds_alternative<CommandLine>(parsed));
  EXPECT_TRUE(std::get<CommandLine>(parsed).provision);
  EXPECT_TRUE(std::get<CommandLine>(parsed).force);
  EXPECT_EQ(std::get<int>(ParseSlave({"--force"})), kExitSetupFailed);
  EXPECT_EQ(std::get<int>(ParseSlave({"--setup", "--provision"})), kExitSetupFailed);
}

}  // namespace
}  // namespace sqlrepl::app
