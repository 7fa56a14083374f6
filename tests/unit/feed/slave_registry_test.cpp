// SlaveRegistry without sockets: connection generations, the answers
// WaitFor gives, lagging slaves, and verify answers. Every wait has an
// explicit deadline; none relies on a sleep.
#include "feed/slave_registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sqlrepl::feed {
namespace {

using Clock = SlaveRegistry::Clock;
using std::chrono::milliseconds;

protocol::Ack Applied(uint64_t seq) {
  return protocol::Ack{seq, protocol::AckOutcome::kApplied, 0, ""};
}

const SlaveInfo* Find(const std::vector<SlaveInfo>& slaves, const std::string& id) {
  for (const SlaveInfo& s : slaves) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

TEST(SlaveRegistryTest, ConnectedSlaveIsCatchingUpThenLive) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "10.0.0.1:5000");
  EXPECT_EQ(r.Snapshot()[0].state, SlaveState::kCatchingUp);
  r.SetState("s1", g, SlaveState::kLive);
  EXPECT_EQ(r.Snapshot()[0].state, SlaveState::kLive);
  EXPECT_EQ(r.ConnectedSlaves(), std::vector<std::string>{"s1"});
}

TEST(SlaveRegistryTest, DisconnectedSlaveIsOfflineWithItsReason) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Disconnected("s1", g, "slave too slow");
  EXPECT_EQ(r.Snapshot()[0].state, SlaveState::kOffline);
  EXPECT_EQ(r.Snapshot()[0].last_error, "slave too slow");
  EXPECT_TRUE(r.ConnectedSlaves().empty());
}

// Item 6 of issue 10: a session closed midway must not come back as live.
TEST(SlaveRegistryTest, StateReportFromADisconnectedGenerationIsIgnored) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Disconnected("s1", g, "slave too slow");
  r.SetState("s1", g, SlaveState::kLive);
  EXPECT_EQ(r.Snapshot()[0].state, SlaveState::kOffline);
  EXPECT_TRUE(r.ConnectedSlaves().empty());
}

TEST(SlaveRegistryTest, ReportsFromAnOlderGenerationAreIgnored) {
  SlaveRegistry r;
  const uint64_t old_gen = r.Connected("s1", "a");
  const uint64_t new_gen = r.Connected("s1", "b");
  EXPECT_NE(old_gen, new_gen);
  r.Disconnected("s1", old_gen, "old connection died");
  r.Acknowledged("s1", old_gen, Applied(7));
  EXPECT_EQ(r.Snapshot()[0].state, SlaveState::kCatchingUp);
  EXPECT_EQ(r.Snapshot()[0].applied_seq, 0u);
  EXPECT_EQ(r.Snapshot()[0].address, "b");
}

// The Hello reports what the slave has queued, which it may never apply:
// only acknowledgements move the position the purger trusts.
TEST(SlaveRegistryTest, AppliedPositionComesFromAcknowledgementsNotFromHello) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  EXPECT_EQ(r.Snapshot()[0].applied_seq, 0u);
  r.Acknowledged("s1", g, Applied(10));
  EXPECT_EQ(r.Snapshot()[0].applied_seq, 10u);
}

TEST(SlaveRegistryTest, AcknowledgedPositionSurvivesAReconnect) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Acknowledged("s1", g, Applied(10));
  r.Disconnected("s1", g, "");
  r.Connected("s1", "a");
  EXPECT_EQ(r.Snapshot()[0].applied_seq, 10u);
  EXPECT_EQ(r.WaitFor(10, {"s1"}, Clock::now() + milliseconds(50))[0].kind, SlaveOutcome::kApplied);
}

TEST(SlaveRegistryTest, WaitForReturnsEachSlavesOutcome) {
  SlaveRegistry r;
  const uint64_t g1 = r.Connected("s1", "a");
  const uint64_t g2 = r.Connected("s2", "b");
  const uint64_t g3 = r.Connected("s3", "c");
  r.Acknowledged("s1", g1, Applied(1));
  r.Acknowledged("s2", g2,
                 protocol::Ack{1, protocol::AckOutcome::kRefused, 0, "DDL is not replicated"});
  r.Acknowledged("s3", g3,
                 protocol::Ack{1, protocol::AckOutcome::kError, 1146, "ERROR 1146: no table"});
  const std::vector<SlaveOutcome> out =
      r.WaitFor(1, {"s1", "s2", "s3"}, Clock::now() + std::chrono::seconds(5));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].kind, SlaveOutcome::kApplied);
  EXPECT_EQ(out[1].kind, SlaveOutcome::kRefused);
  EXPECT_EQ(out[1].message, "DDL is not replicated");
  EXPECT_EQ(out[2].kind, SlaveOutcome::kError);
  EXPECT_EQ(out[2].sql_errno, 1146u);
  const std::vector<SlaveInfo> slaves = r.Snapshot();
  const SlaveInfo* s3 = Find(slaves, "s3");
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->failed, 1u);
  EXPECT_EQ(s3->last_error, "ERROR 1146: no table");
}

// A provisioning connection copies a snapshot: no write waits for it, its
// position is the snapshot's (so retention keeps what it will follow), and
// \slaves shows how far the copy is.
TEST(SlaveRegistryTest, AProvisioningSlaveIsShownButNotWaitedFor) {
  SlaveRegistry r;
  const uint64_t follower = r.Connected("s1", "a");
  r.SetState("s1", follower, SlaveState::kLive);
  const uint64_t g = r.ProvisioningStarted("s2", "b");
  EXPECT_EQ(r.ConnectedSlaves(), std::vector<std::string>{"s1"});
  // No position before its snapshot: retention must not record it at 0.
  ASSERT_EQ(r.Positions().size(), 1u);
  r.SnapshotTaken("s2", g, 42);
  r.ProvisioningProgress("s2", g, 37);
  const std::vector<SlaveInfo> slaves = r.Snapshot();
  const SlaveInfo* s2 = Find(slaves, "s2");
  ASSERT_NE(s2, nullptr);
  EXPECT_EQ(s2->applied_seq, 42u);
  EXPECT_EQ(DescribeState(*s2), "provisioning 37%");
  EXPECT_EQ(r.Positions()[1].applied_seq, 42u);
  // Listed by a waiter before it began provisioning: answered at once.
  const auto started = Clock::now();
  const std::vector<SlaveOutcome> out = r.WaitFor(43, {"s2"}, started + std::chrono::seconds(5));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(out[0].kind, SlaveOutcome::kNoAck);
  r.Disconnected("s2", g, "");
  EXPECT_EQ(r.Snapshot()[1].state, SlaveState::kOffline);
}

TEST(SlaveRegistryTest, WaitForAnswersAtOnceForGoneAndUnknownSlaves) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Disconnected("s1", g, "");
  const auto started = Clock::now();
  const std::vector<SlaveOutcome> out =
      r.WaitFor(1, {"s1", "nobody"}, started + std::chrono::seconds(5));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(out[0].kind, SlaveOutcome::kNoAck);
  EXPECT_EQ(out[0].message, "disconnected before acknowledging");
  EXPECT_EQ(out[1].kind, SlaveOutcome::kNoAck);
  EXPECT_EQ(out[1].message, "unknown slave");
}

TEST(SlaveRegistryTest, WaitForWakesOnAnAckFromAnotherThread) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  std::thread acker([&] { r.Acknowledged("s1", g, Applied(3)); });
  const std::vector<SlaveOutcome> out =
      r.WaitFor(3, {"s1"}, Clock::now() + std::chrono::seconds(10));
  acker.join();
  EXPECT_EQ(out[0].kind, SlaveOutcome::kApplied);
}

TEST(SlaveRegistryTest, WaitForTimesOutWithAnEmptyMessage) {
  SlaveRegistry r;
  r.Connected("s1", "a");
  const std::vector<SlaveOutcome> out = r.WaitFor(1, {"s1"}, Clock::now() + milliseconds(50));
  EXPECT_EQ(out[0].kind, SlaveOutcome::kNoAck);
  EXPECT_EQ(out[0].message, "");
}

// Issue 10, "one stuck slave stalls every write": after one missed
// timeout the slave is not waited for until it has caught up.
TEST(SlaveRegistryTest, SlaveThatMissedTheTimeoutIsNotWaitedForAgain) {
  SlaveRegistry r;
  r.Connected("stuck", "a");
  r.Published(1);
  EXPECT_EQ(r.WaitFor(1, {"stuck"}, Clock::now() + milliseconds(50))[0].kind, SlaveOutcome::kNoAck);
  r.Published(2);
  const auto started = Clock::now();
  const std::vector<SlaveOutcome> out = r.WaitFor(2, {"stuck"}, started + std::chrono::seconds(5));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(out[0].kind, SlaveOutcome::kLagging);
  EXPECT_TRUE(r.Ready(2, {"stuck"}));
  EXPECT_TRUE(r.Snapshot()[0].lagging);
}

TEST(SlaveRegistryTest, LaggingIsReportedOnceWhenItStartsAndOnceWhenItEnds) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    r.Published(seq);
    r.WaitFor(seq, {"s1"}, Clock::now() + milliseconds(20));
  }
  std::vector<LagChange> changes = r.TakeLagChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].slave_id, "s1");
  EXPECT_TRUE(changes[0].lagging);
  EXPECT_TRUE(r.TakeLagChanges().empty());

  r.Acknowledged("s1", g, Applied(2));  // still behind #3
  EXPECT_TRUE(r.Snapshot()[0].lagging);
  EXPECT_TRUE(r.TakeLagChanges().empty());
  r.Acknowledged("s1", g, Applied(3));
  EXPECT_FALSE(r.Snapshot()[0].lagging);
  changes = r.TakeLagChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].lagging);
}

// Issue 19: the prompt learns at once that a lagging slave caught up, not
// with the next write's report; the callback may take the change itself.
TEST(SlaveRegistryTest, CatchingUpIsSignalledWhenItHappens) {
  SlaveRegistry r;
  std::vector<LagChange> taken;
  int calls = 0;
  r.set_on_caught_up([&] {
    ++calls;
    for (const LagChange& c : r.TakeLagChanges()) taken.push_back(c);  // no lock held
  });
  const uint64_t g = r.Connected("s1", "a");
  r.Published(1);
  r.WaitFor(1, {"s1"}, Clock::now() + milliseconds(20));
  EXPECT_EQ(calls, 0);  // falling behind is told with the write that waited
  r.Acknowledged("s1", g, Applied(1));
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_TRUE(taken[0].lagging);
  EXPECT_FALSE(taken[1].lagging);
  r.Acknowledged("s1", g, Applied(1));  // not lagging any more: nothing new
  EXPECT_EQ(calls, 1);
}

// Issue 19: `\slaves` showed "connection closed by the peer" next to a
// slave that had long come back live, as if it were still the case.
TEST(SlaveRegistryTest, WhyAConnectionEndedIsMarkedAsPastOnceTheSlaveIsLiveAgain) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Disconnected("s1", g, "connection closed by the peer");
  const uint64_t g2 = r.Connected("s1", "a");
  EXPECT_EQ(r.Snapshot()[0].last_error, "connection closed by the peer");  // still catching up
  r.SetState("s1", g2, SlaveState::kLive);
  EXPECT_EQ(r.Snapshot()[0].last_error, "before it reconnected: connection closed by the peer");
  r.SetState("s1", g2, SlaveState::kLive);  // marked once
  EXPECT_EQ(r.Snapshot()[0].last_error, "before it reconnected: connection closed by the peer");
}

// A failed event is not about the connection: it stays until another error.
TEST(SlaveRegistryTest, AFailedEventStaysTheLastErrorWhileLive) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.SetState("s1", g, SlaveState::kLive);
  r.Acknowledged("s1", g, protocol::Ack{1, protocol::AckOutcome::kError, 1146, "no such table"});
  r.SetState("s1", g, SlaveState::kCatchingUp);
  r.SetState("s1", g, SlaveState::kLive);
  EXPECT_EQ(r.Snapshot()[0].last_error, "no such table");
}

TEST(SlaveRegistryTest, CaughtUpSlaveIsWaitedForAgain) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Published(1);
  r.WaitFor(1, {"s1"}, Clock::now() + milliseconds(20));
  r.Acknowledged("s1", g, Applied(1));
  r.Published(2);
  EXPECT_FALSE(r.Ready(2, {"s1"}));
  std::thread acker([&] { r.Acknowledged("s1", g, Applied(2)); });
  EXPECT_EQ(r.WaitFor(2, {"s1"}, Clock::now() + std::chrono::seconds(10))[0].kind,
            SlaveOutcome::kApplied);
  acker.join();
}

TEST(SlaveRegistryTest, LaggingSlaveStaysLaggingAcrossAReconnect) {
  SlaveRegistry r;
  const uint64_t g = r.Connected("s1", "a");
  r.Published(5);
  r.WaitFor(5, {"s1"}, Clock::now() + milliseconds(20));
  r.Disconnected("s1", g, "");
  const uint64_t g2 = r.Connected("s1", "a");
  EXPECT_EQ(r.WaitFor(5, {"s1"}, Clock::now() + std::chrono::seconds(5))[0].kind,
            SlaveOutcome::kLagging);
  r.Acknowledged("s1", g2, Applied(5));
  EXPECT_FALSE(r.Snapshot()[0].lagging);
}

TEST(SlaveRegistryTest, OnlyTheSlaveThatMissedTheDeadlineLags) {
  SlaveRegistry r;
  const uint64_t fast = r.Connected("fast", "a");
  r.Connected("slow", "b");
  r.Published(1);
  r.Acknowledged("fast", fast, Applied(1));
  const std::vector<SlaveOutcome> out =
      r.WaitFor(1, {"fast", "slow"}, Clock::now() + milliseconds(20));
  EXPECT_EQ(out[0].kind, SlaveOutcome::kApplied);
  EXPECT_EQ(out[1].kind, SlaveOutcome::kNoAck);
  const std::vector<SlaveInfo> slaves = r.Snapshot();
  EXPECT_FALSE(Find(slaves, "fast")->lagging);
  EXPECT_TRUE(Find(slaves, "slow")->lagging);
}

TEST(SlaveRegistryTest, VerifyAnswersAreCollectedPerRequest) {
  SlaveRegistry r;
  const uint64_t g1 = r.Connected("s1", "a");
  const uint64_t g2 = r.Connected("s2", "b");
  r.VerifyAnswered("s1", g1, protocol::VerifyResult{7, {{"t", "123", ""}}});
  r.VerifyAnswered("s2", g2, protocol::VerifyResult{7, {{"t", "456", ""}}});
  const auto answers = r.WaitForVerify(7, {"s1", "s2"}, Clock::now() + std::chrono::seconds(5));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers.at("s1").tables[0].checksum, "123");
  EXPECT_EQ(answers.at("s2").tables[0].checksum, "456");
}

TEST(SlaveRegistryTest, VerifyDoesNotWaitForAGoneSlaveNorTakeStaleAnswers) {
  SlaveRegistry r;
  const uint64_t old_gen = r.Connected("s1", "a");
  const uint64_t g2 = r.Connected("s2", "b");
  r.Connected("s1", "a");  // reconnected: the old connection's answer is stale
  r.VerifyAnswered("s1", old_gen, protocol::VerifyResult{1, {{"t", "1", ""}}});
  r.Disconnected("s2", g2, "");
  const auto started = Clock::now();
  const auto answers = r.WaitForVerify(1, {"s2"}, started + std::chrono::seconds(5));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
  EXPECT_TRUE(answers.empty());
  EXPECT_TRUE(r.WaitForVerify(1, {"s1"}, Clock::now() + milliseconds(50)).empty());
}

// Ctrl-C at the prompt: the wait ends at once, and stopping early is not
// the slave's fault (it is not marked lagging).
TEST(SlaveRegistryTest, WokenWaitWhoseStopHoldsEndsEarlyWithoutLagging) {
  SlaveRegistry r;
  r.Connected("s1", "a");
  r.Published(1);
  std::atomic<bool> stop{false};
  std::thread ctrl_c([&] {
    stop = true;
    r.WakeWaiters();
  });
  bool stopped = false;
  const auto started = Clock::now();
  const std::vector<SlaveOutcome> out = r.WaitFor(
      1, {"s1"}, Clock::now() + std::chrono::seconds(30), [&] { return stop.load(); }, &stopped);
  ctrl_c.join();
  EXPECT_TRUE(stopped);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, SlaveOutcome::kNoAck);
  EXPECT_FALSE(r.Snapshot()[0].lagging);
  EXPECT_TRUE(r.TakeLagChanges().empty());
}

}  // namespace
}  // namespace sqlrepl::feed
