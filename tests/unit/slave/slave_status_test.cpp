#include "slave/slave_status.hpp"

#include <gtest/gtest.h>

#include <map>

namespace sqlrepl::slave {
namespace {

using std::chrono::seconds;

std::map<std::string, std::string> Fields(const MasterLink::State& link,
                                          const Applier::Counters& applier,
                                          std::chrono::steady_clock::time_point now) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : DescribeStatus("127.0.0.1:8080", link, applier, now))
    out[name] = value;
  return out;
}

TEST(SlaveStatus, BeforeTheFirstConnectionTheLagIsUnknown) {
  const auto now = std::chrono::steady_clock::now();
  MasterLink::State link;
  link.connection = "waiting for the master (never connected yet): Connection refused";
  link.since = now - seconds(7);
  const std::map<std::string, std::string> expected = {
      {"Master", "127.0.0.1:8080"},
      {"Connection", "waiting for the master (never connected yet): Connection refused (for 7 s)"},
      {"Replication id", "none yet"},
      {"Applied position", "#0"},
      {"Lag", "unknown (the master was not reached yet)"},
      {"Refused events", "0"},
      {"Failed events", "0"},
      {"Last error", "none"}};
  EXPECT_EQ(Fields(link, {}, now), expected);
}

TEST(SlaveStatus, LagIsTheMastersLastEventMinusTheLastApplied) {
  const auto now = std::chrono::steady_clock::now();
  MasterLink::State link;
  link.connected = link.ever_connected = true;
  link.since = now - seconds(125);
  link.master_last_seq = 12;
  link.last_heard = now - seconds(1);
  Applier::Counters applier{"abc", 9, 2, 1, 3, "#8 failed: ERROR 1062", ""};
  const std::map<std::string, std::string> expected = {
      {"Master", "127.0.0.1:8080"},
      {"Connection", "connected for 2 min 5 s"},
      {"Replication id", "abc"},
      {"Applied position", "#9 (2 received, waiting to be applied)"},
      {"Lag", "3 events (master at #12, last heard 1 s ago)"},
      {"Refused events", "1"},
      {"Failed events", "3"},
      {"Last error", "#8 failed: ERROR 1062"}};
  EXPECT_EQ(Fields(link, applier, now), expected);
}

// Found in the demo: a slave blocked on a lock on its own server showed
// "2 received, waiting to be applied" and no reason.
TEST(SlaveStatus, AnEventThatWaitsSaysWhy) {
  const auto now = std::chrono::steady_clock::now();
  MasterLink::State link;
  link.connected = link.ever_connected = true;
  Applier::Counters applier{"abc", 4, 2, 0, 0, "", ""};
  applier.waiting = "event #5 waits: lock wait timeout (ERROR 1205); retrying";
  EXPECT_EQ(Fields(link, applier, now)["Applied position"],
            "#4 (2 received, waiting to be applied); event #5 waits: lock wait timeout "
            "(ERROR 1205); retrying");
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
