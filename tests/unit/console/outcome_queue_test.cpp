// OutcomeQueue against an in-memory SlaveRegistry: output leaves in order,
// never before its writes are acknowledged or their deadline has passed,
// and Ctrl-C ends a wait. Waits have explicit deadlines; none sleeps.
#include "console/outcome_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace sqlrepl::console {
namespace {

using Clock = OutcomeQueue::Clock;
using feed::SlaveRegistry;

constexpr int kLongTimeoutMs = 60000;  // never reached when the test passes

protocol::Ack Applied(uint64_t seq) {
  return protocol::Ack{seq, protocol::AckOutcome::kApplied, 0, ""};
}

OutcomeQueue::Entry Output(std::string out, std::vector<uint64_t> seqs = {},
                           std::vector<std::string> slaves = {},
                           Clock::time_point committed_at = Clock::now()) {
  return OutcomeQueue::Entry{std::move(out), "", std::move(seqs), std::move(slaves), committed_at};
}

std::vector<OutcomeQueue::Released> Release(OutcomeQueue& queue, bool wait) {
  std::vector<OutcomeQueue::Released> released;
  queue.Release(wait, [&](const OutcomeQueue::Released& r) { released.push_back(r); });
  return released;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `first` and `second` both appear in `text`, in that order.
void ExpectInOrder(const std::string& text, const std::string& first, const std::string& second) {
  const size_t a = text.find(first);
  const size_t b = text.find(second);
  ASSERT_NE(a, std::string::npos) << text;
  ASSERT_NE(b, std::string::npos) << text;
  EXPECT_LT(a, b) << text;
}

class OutcomeQueueTest : public ::testing::Test {
 protected:
  // Slave s1 connects and writes up to `published` go out; its generation.
  uint64_t ConnectSlave(uint64_t published) {
    const uint64_t generation = registry.Connected("s1", "127.0.0.1:5000");
    registry.Published(published);
    return generation;
  }

  SlaveRegistry registry;
};

TEST_F(OutcomeQueueTest, OutputWithoutWritesLeavesAtOnce) {
  OutcomeQueue queue(&registry, kLongTimeoutMs);
  OutcomeQueue::Entry entry = Output("rows\n");
  entry.err = "warning\n";
  queue.Push(std::move(entry));
  const std::vector<OutcomeQueue::Released> released = Release(queue, false);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].out, "rows\n");
  EXPECT_EQ(released[0].err, "warning\n");
  EXPECT_EQ(released[0].report, "");
  EXPECT_EQ(queue.size(), 0u);
}

TEST_F(OutcomeQueueTest, LaterOutputWaitsBehindAnUnacknowledgedWrite) {
  const uint64_t g = ConnectSlave(1);
  OutcomeQueue queue(&registry, kLongTimeoutMs);
  queue.Push(Output("write\n", {1}, {"s1"}));
  queue.Push(Output("read\n"));
  EXPECT_TRUE(Release(queue, false).empty());
  EXPECT_EQ(queue.size(), 2u);

  registry.Acknowledged("s1", g, Applied(1));
  const std::vector<OutcomeQueue::Released> released = Release(queue, false);
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].out, "write\n");
  EXPECT_TRUE(Contains(released[0].report, "Replicated to 1/1 slave")) << released[0].report;
  EXPECT_EQ(released[1].out, "read\n");
  EXPECT_EQ(released[1].report, "");
}

// Issue 19: "Replicated to 1/1 slave" is followed by the known slave that
// is offline, read from the registry.
TEST_F(OutcomeQueueTest, AKnownSlaveThatIsOfflineIsNamedAfterTheReport) {
  const uint64_t gone = registry.Connected("s0", "127.0.0.1:5001");
  registry.Acknowledged("s0", gone, Applied(0));
  registry.Disconnected("s0", gone, "connection closed by the peer");
  const uint64_t g = ConnectSlave(1);
  registry.Acknowledged("s1", g, Applied(1));
  OutcomeQueue queue(&registry, kLongTimeoutMs);
  queue.Push(Output("write\n", {1}, {"s1"}));
  const std::vector<OutcomeQueue::Released> released = Release(queue, false);
  ASSERT_EQ(released.size(), 1u);
  ExpectInOrder(released[0].report, "Replicated to 1/1 slave (",
                "s0: offline (applied #0 of #1), it will catch up from the log\n");
}

TEST_F(OutcomeQueueTest, PassedDeadlineReleasesWithTheMissingSlaveNamedAndLagging) {
  ConnectSlave(1);
  OutcomeQueue queue(&registry, /*ack_timeout_ms=*/1000);
  queue.Push(Output("write\n", {1}, {"s1"}, Clock::now() - std::chrono::seconds(2)));
  const std::vector<OutcomeQueue::Released> released = Release(queue, false);
  ASSERT_EQ(released.size(), 1u);
  // The outcome, then the lag change it caused.
  ExpectInOrder(released[0].report, "s1: no acknowledgement within 1000 ms", "s1 is lagging");
  EXPECT_EQ(queue.TakeLagChanges(), "");  // reported once
}

TEST_F(OutcomeQueueTest, WaitReleasesEverythingInOrderOnceAcknowledged) {
  const uint64_t g = ConnectSlave(2);
  OutcomeQueue queue(&registry, kLongTimeoutMs);
  queue.Push(Output("first\n", {1}, {"s1"}));
  queue.Push(Output("second\n", {2}, {"s1"}));
  std::thread slave([&] {
    registry.Acknowledged("s1", g, Applied(1));
    registry.Acknowledged("s1", g, Applied(2));
  });
  const std::vector<OutcomeQueue::Released> released = Release(queue, true);
  slave.join();
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].out, "first\n");
  EXPECT_EQ(released[1].out, "second\n");
  EXPECT_TRUE(Contains(released[0].report, "Replicated to 1/1 slave")) << released[0].report;
  EXPECT_TRUE(Contains(released[1].report, "Replicated to 1/1 slave")) << released[1].report;
}

// Ctrl-C arrives before the wait (the flag is already set): the wait
// ends at once instead of at the 60 s deadline.
TEST_F(OutcomeQueueTest, CtrlCStopsTheWaitWithoutBlamingTheSlave) {
  ConnectSlave(1);
  OutcomeQueue queue(&registry, kLongTimeoutMs);
  std::atomic<bool> pending{true};
  int taken = 0;
  queue.set_interrupt([&] { return pending.load(); },
                      [&] {
                        ++taken;
                        return pending.exchange(false);
                      });
  queue.Push(Output("write\n", {1}, {"s1"}));
  queue.Push(Output("next\n"));
  const std::vector<OutcomeQueue::Released> released = Release(queue, true);
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].report,
            "Ctrl-C -- stopped waiting. Write #1 is committed on the master; "
            "not acknowledged yet by: s1\n");
  EXPECT_EQ(taken, 1);
  EXPECT_FALSE(pending.load());
  EXPECT_FALSE(registry.Snapshot()[0].lagging);  // stopping was not the slave's fault
  EXPECT_EQ(released[1].out, "next\n");
}

// The statement's later writes are not waited for after Ctrl-C; each is
// reported, and the interrupt is consumed once.
TEST_F(OutcomeQueueTest, AfterCtrlCTheStatementsOtherWritesAreNotWaitedFor) {
  ConnectSlave(2);
  OutcomeQueue queue(&registry, kLongTimeoutMs);
  int taken = 0;
  queue.set_interrupt([] { return true; }, [&] { return ++taken > 0; });
  queue.Push(Output("write\n", {1, 2}, {"s1"}));
  const std::vector<OutcomeQueue::Released> released = Release(queue, true);
  ASSERT_EQ(released.size(), 1u);
  ExpectInOrder(released[0].report, "Write #1 is committed", "Write #2 is committed");
  EXPECT_EQ(taken, 1);
}

}  // namespace
}  // namespace sqlrepl::console
