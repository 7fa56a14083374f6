#include "slave/slave_status.hpp"

#include <gtest/gtest.h>

#include <map>

namespace sqlrepl::slave {
namespace {

using std::chrono::seconds;

std::map<std::string, std::string> Fields(const MasterLink::State& link, const Applier::Counters& applier,
                                          std::chrono::steady_clock::time_point now) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : DescribeStatus("127.0.0.1:8080", link, applier, now)) out[name] = value;
  return out;
}

TEST(SlaveStatus, BeforeTheFirstConnectionTheLagIsUnknown) {
  const auto now = std::chrono::steady_clock::now();
  MasterLink::State link;
  link.connection = "waiting for the master (never connected yet): Connection refused";
  link.since = now - seconds(7);
  auto f = Fields(link, {}, now);
  EXPECT_EQ(f["Master"], "127.0.0.1:8080");
  EXPECT_EQ(f["Connection"], "waiting for the master (never connected yet): Connection refused (for 7 s)");
  EXPECT_EQ(f["Replication id"], "none yet");
  EXPECT_EQ(f["Applied position"], "#0");
  EXPECT_EQ(f["Lag"], "unknown (the master was not reached yet)");
  EXPECT_EQ(f["Last error"], "none");
}

TEST(SlaveStatus, LagIsTheMastersLastEventMinusTheLastApplied) {
  const auto now = std::chrono::steady_clock::now();
  MasterLink::State link;
  link.connected = link.ever_connected = true;
  link.since = now - seconds(125);
  link.master_last_seq = 12;
  link.last_heard = now - seconds(1);
  Applier::Counters applier{"abc", 9, 2, 1, 3, "#8 failed: ERROR 1062"};
  auto f = Fields(link, applier, now);
  EXPECT_EQ(f["Connection"], "connected for 2 min 5 s");
  EXPECT_EQ(f["Replication id"], "abc");
  EXPECT_EQ(f["Applied position"], "#9 (2 received, waiting to be applied)");
  EXPECT_EQ(f["Lag"], "3 events (master at #12, last heard 1 s ago)");
  EXPECT_EQ(f["Refused events"], "1");
  EXPECT_EQ(f["Failed events"], "3");
  EXPECT_EQ(f["Last error"], "#8 failed: ERROR 1062");
}

TEST(SlaveStatus, ASlaveAheadOfWhatItHeardIsNotBehind) {
  const auto now = std::chrono::steady_clock::now();
  MasterLink::State link;
  link.ever_connected = true;
  link.master_last_seq = 4;
  link.last_heard = now;
  Applier::Counters applier;
  applier.applied_seq = 5;
  EXPECT_EQ(Fields(link, applier, now)["Lag"], "0 events (master at #4, last heard 0 s ago)");
}

}  // namespace
}  // namespace sqlrepl::slave
