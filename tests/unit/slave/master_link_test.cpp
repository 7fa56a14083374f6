// What the slave prints between attempts to reach its master, as a table:
// one notice per change of reason, never one per attempt.
#include "slave/master_link.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::slave {
namespace {

constexpr const char* kWhere = "127.0.0.1:18080";

std::vector<std::string> Lines(std::string reason, std::string last_reason, bool link_broke,
                               bool ever_connected) {
  return RetryLines(
      {kWhere, "5 seconds", std::move(reason), std::move(last_reason), link_broke, ever_connected});
}

TEST(RetryLines, EachAttemptSaysWhatChanged) {
  struct Row {
    const char* reason;
    const char* last_reason;
    bool link_broke;
    bool ever_connected;
    std::vector<std::string> expected;
  };
  const std::vector<Row> rows = {
      // The first attempt of a slave started before its master.
      {"Connection refused",
       "",
       false,
       false,
       {"Waiting for the master at 127.0.0.1:18080 ... (Connection refused; trying again every 5 "
        "seconds)"}},
      // The same again: nothing new to say.
      {"Connection refused", "Connection refused", false, false, {}},
      // Another reason (a wrong REPL_TOKEN, say).
      {"token",
       "Connection refused",
       false,
       false,
       {"Still waiting for the master at 127.0.0.1:18080: token"}},
      // A connected link ended.
      {"End of file",
       "End of file",
       true,
       true,
       {"Lost the master at 127.0.0.1:18080: End of file",
        "Master unavailable. Retrying in 5 seconds..."}},
      // The first attempt after the loss fails otherwise: said once.
      {"Connection refused",
       "End of file",
       false,
       true,
       {"Still waiting for the master at 127.0.0.1:18080: Connection refused"}},
      // A slave waiting for a master that went away prints nothing more.
      {"Connection refused", "Connection refused", false, true, {}},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(Lines(row.reason, row.last_reason, row.link_broke, row.ever_connected), row.expected)
        << row.reason << " / " << row.last_reason << " / " << row.link_broke << " / "
        << row.ever_connected;
  }
}

// Found in the demo: after 29 s without a master, `status` said "lost: ...
// (for 3 s)", the time since the last attempt.
TEST(MasterLinkState, ALinkDownCountsFromWhenItWentDownNotFromTheLastAttempt) {
  using std::chrono::seconds;
  const auto t0 = std::chrono::steady_clock::now();
  MasterLink::State s = MasterLink::WithConnection({}, "connecting (first attempt)", false, t0);
  EXPECT_EQ(s.since, t0);
  s = MasterLink::WithConnection(s, "waiting for the master: refused", false, t0 + seconds(5));
  EXPECT_EQ(s.since, t0);
  s = MasterLink::WithConnection(s, "connected", true, t0 + seconds(10));
  EXPECT_EQ(s.since, t0 + seconds(10));
  EXPECT_TRUE(s.ever_connected);
  s = MasterLink::WithConnection(s, "lost: Connection refused", false, t0 + seconds(20));
  EXPECT_EQ(s.since, t0 + seconds(20));
  s = MasterLink::WithConnection(s, "lost: Connection refused", false, t0 + seconds(49));
  EXPECT_EQ(s.since, t0 + seconds(20));
  EXPECT_EQ(s.connection, "lost: Connection refused");
  EXPECT_FALSE(s.connected);
}

}  // namespace
}  // namespace sqlrepl::slave
