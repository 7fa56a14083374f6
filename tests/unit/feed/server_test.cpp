// The replication server in process, on loopback, with hand-written slaves:
// the per-slave queue bound and the handshake over real sockets. No
// database: a slave that is up to date goes live without reading the log.
#include "feed/server.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "base/coding.hpp"
#include "protocol/frame.hpp"
#include "protocol/frame_io.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/messages.hpp"
#include "raw_slave.hpp"
#include "replication/event.hpp"
#include "wait_for.hpp"

namespace sqlrepl::feed {
namespace {

using protocol::MessageType;
using testing::RawSlave;

const Secret kToken("server-test-token-0123456789");

using sqlrepl::testing::WaitFor;

class ServerTest : public ::testing::Test {
 protected:
  // Until the one slave went live. An event published while its session
  // still decides between catch-up and live would be read from the log,
  // which these tests have none of (the real master's log has it).
  bool WaitUntilLive() {
    return WaitFor(
        [&] {
          const std::vector<SlaveInfo> slaves = registry_.Snapshot();
          return slaves.size() == 1 && slaves[0].state == SlaveState::kLive;
        },
        std::chrono::seconds(5));
  }

  void Start(size_t max_queued_bytes,
             const std::function<void(ReplicationServer::Options&)>& tweak = {}) {
    ReplicationServer::Options o;
    o.listen_host = "127.0.0.1";
    o.listen_port = 0;
    o.token = kToken;
    o.max_queued_bytes = max_queued_bytes;
    o.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_.push_back(line);
    };
    if (tweak) tweak(o);
    server_ = std::make_unique<ReplicationServer>(io_, o, &registry_, "log-1", 1, &head_);
    io_thread_.emplace(io_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    io_thread_.reset();  // before the server: late handlers still reach it
  }

  std::vector<std::string> Log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }
  bool Logged(const std::string& text) {
    for (const std::string& line : Log()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::mutex log_mu_;
  std::vector<std::string> log_;
  asio::io_context io_;
  SlaveRegistry registry_;
  log::LogHead head_{0};  // the log's last sequence number, as ReplicationLog would keep it
  std::unique_ptr<ReplicationServer> server_;
  std::optional<protocol::IoThread> io_thread_;
};

TEST_F(ServerTest, SlaveThatStopsReadingIsDroppedAtTheQueueBound) {
  Start(/*max_queued_bytes=*/1024 * 1024);
  RawSlave slow(server_->port());
  ASSERT_EQ(slow.Handshake(kToken, "slow", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitUntilLive());
  // 20 MB of events: more than the socket buffers and the 1 MiB bound hold.
  const std::string big(100 * 1024, 'x');
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    head_.Advance(seq);  // as ReplicationLog::MarkCommitted does before the executor publishes
    server_->Publish(seq, replication::EncodeEvent(replication::Event{
                              seq, "school", {{{}, "INSERT INTO t VALUES ('" + big + "')"}}}));
  }
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().empty(); }, std::chrono::seconds(10)));
  const std::vector<SlaveInfo> slaves = registry_.Snapshot();
  ASSERT_EQ(slaves.size(), 1u);
  EXPECT_EQ(slaves[0].state, SlaveState::kOffline);
  EXPECT_NE(slaves[0].last_error.find("slave too slow: more than 1 MiB of events waiting"),
            std::string::npos)
      << slaves[0].last_error;
}

TEST_F(ServerTest, SlaveThatReadsGetsEveryEventInOrder) {
  // The bound is on what is queued at once: it must exceed the burst below.
  Start(/*max_queued_bytes=*/16 * 1024 * 1024);
  RawSlave reader(server_->port());
  ASSERT_EQ(reader.Handshake(kToken, "reader", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitUntilLive());
  const std::string big(100 * 1024, 'y');
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    head_.Advance(seq);  // as ReplicationLog::MarkCommitted does before the executor publishes
    server_->Publish(seq, replication::EncodeEvent(replication::Event{
                              seq, "school", {{{}, "INSERT INTO t VALUES ('" + big + "')"}}}));
  }
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    protocol::Frame f = reader.Read();
    while (f.type == MessageType::kHeartbeat) f = reader.Read();
    ASSERT_EQ(f.type, MessageType::kEvent);
    ASSERT_EQ(*replication::PeekEventSeq(f.payload), seq);
  }
  EXPECT_EQ(registry_.ConnectedSlaves().size(), 1u);
}

TEST_F(ServerTest, WrongTokenIsRejectedAndNeverRegistered) {
  Start(1024 * 1024);
  RawSlave intruder(server_->port());
  protocol::Frame verdict = intruder.Handshake(Secret("not-the-token-0123456789"), "intruder", 0);
  ASSERT_EQ(verdict.type, MessageType::kReject);
  protocol::Reject reject;
  ASSERT_TRUE(protocol::Decode(verdict.payload, &reject).ok());
  EXPECT_EQ(reject.code, protocol::RejectCode::kBadAuth);
  EXPECT_TRUE(registry_.Snapshot().empty());
}

// Two slaves configured with one SLAVE_ID: the second is refused while the
// first is alive (it heartbeats), and the first keeps its place.
TEST_F(ServerTest, SecondSlaveWithALiveSlavesIdIsRefused) {
  Start(1024 * 1024);
  RawSlave first(server_->port());
  ASSERT_EQ(first.Handshake(kToken, "host1", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  std::atomic<bool> stop{false};
  std::thread heartbeats([&] {
    while (!stop) {
      first.Send(MessageType::kHeartbeat, protocol::Encode(protocol::Heartbeat{0}));
      std::this_thread::sleep_for(
          std::chrono::milliseconds(200));  // the slave's own pace, not a wait
    }
  });
  RawSlave second(server_->port());
  protocol::Frame verdict = second.Handshake(kToken, "host1", 0);
  stop = true;
  heartbeats.join();
  ASSERT_EQ(verdict.type, MessageType::kReject);
  protocol::Reject reject;
  ASSERT_TRUE(protocol::Decode(verdict.payload, &reject).ok());
  EXPECT_EQ(reject.code, protocol::RejectCode::kDuplicateSlaveId);
  EXPECT_NE(reject.reason.find("SLAVE_ID"), std::string::npos) << reject.reason;
  const std::vector<SlaveInfo> slaves = registry_.Snapshot();
  ASSERT_EQ(slaves.size(), 1u);
  EXPECT_NE(slaves[0].state, SlaveState::kOffline);
}

// A slave whose old connection died without a word must still get back in.
TEST_F(ServerTest, SlaveWhoseOldConnectionIsSilentGetsBackIn) {
  Start(1024 * 1024);
  RawSlave dead(server_->port());
  ASSERT_EQ(dead.Handshake(kToken, "host1", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  RawSlave again(server_->port());
  EXPECT_EQ(again.Handshake(kToken, "host1", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  EXPECT_NE(registry_.Snapshot()[0].last_error.find("silent"), std::string::npos)
      << registry_.Snapshot()[0].last_error;
}

// Issue 10, "one stuck slave stalls every write": a slave that stops
// acknowledging costs one timeout, not one per write.
TEST_F(ServerTest, SlaveThatStopsAcknowledgingIsNotWaitedForAfterOneTimeout) {
  Start(16 * 1024 * 1024);
  RawSlave stuck(server_->port());
  ASSERT_EQ(stuck.Handshake(kToken, "stuck", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitUntilLive());
  auto publish = [&](uint64_t seq) {
    head_.Advance(seq);  // as ReplicationLog::MarkCommitted does before the executor publishes
    server_->Publish(
        seq, replication::EncodeEvent(replication::Event{seq, "school", {{{}, "DELETE FROM t"}}}));
  };
  auto read_event = [&] {
    protocol::Frame f = stuck.Read();
    while (f.type == MessageType::kHeartbeat) f = stuck.Read();
    EXPECT_EQ(f.type, MessageType::kEvent);
    return *replication::PeekEventSeq(f.payload);
  };
  publish(1);
  ASSERT_EQ(read_event(), 1u);
  stuck.Send(MessageType::kAck,
             protocol::Encode(protocol::Ack{1, protocol::AckOutcome::kApplied, 0, ""}));
  EXPECT_EQ(
      registry_.WaitFor(1, {"stuck"}, SlaveRegistry::Clock::now() + std::chrono::seconds(5))[0]
          .kind,
      SlaveOutcome::kApplied);
  // Event 2 is never acknowledged in time: one timeout.
  publish(2);
  ASSERT_EQ(read_event(), 2u);
  EXPECT_EQ(
      registry_
          .WaitFor(2, {"stuck"}, SlaveRegistry::Clock::now() + std::chrono::milliseconds(300))[0]
          .kind,
      SlaveOutcome::kNoAck);
  // Event 3 does not wait for it at all.
  publish(3);
  const auto started = SlaveRegistry::Clock::now();
  EXPECT_EQ(registry_.WaitFor(3, {"stuck"}, started + std::chrono::seconds(4))[0].kind,
            SlaveOutcome::kLagging);
  EXPECT_LT(SlaveRegistry::Clock::now() - started, std::chrono::seconds(1));
  std::vector<LagChange> changes = registry_.TakeLagChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].lagging);
  // It acknowledges everything published: writes wait for it again.
  ASSERT_EQ(read_event(), 3u);
  for (uint64_t seq : {2, 3}) {
    stuck.Send(MessageType::kAck,
               protocol::Encode(protocol::Ack{seq, protocol::AckOutcome::kApplied, 0, ""}));
  }
  ASSERT_TRUE(WaitFor([&] { return !registry_.Snapshot()[0].lagging; }, std::chrono::seconds(5)));
  changes = registry_.TakeLagChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].lagging);
  publish(4);
  EXPECT_FALSE(registry_.Ready(4, {"stuck"}));
  ASSERT_EQ(read_event(), 4u);
  stuck.Send(MessageType::kAck,
             protocol::Encode(protocol::Ack{4, protocol::AckOutcome::kApplied, 0, ""}));
  EXPECT_EQ(
      registry_.WaitFor(4, {"stuck"}, SlaveRegistry::Clock::now() + std::chrono::seconds(5))[0]
          .kind,
      SlaveOutcome::kApplied);
}

// Issue 12: the slave must be able to tell the master from an impostor.
TEST_F(ServerTest, MasterProvesTheTokenInItsChallenge) {
  Start(1024 * 1024);
  RawSlave honest(server_->port());
  ASSERT_EQ(honest.Handshake(kToken, "honest", 0).type, MessageType::kWelcome);
  EXPECT_TRUE(honest.master_proved());
  EXPECT_TRUE(honest.sealed());
  RawSlave other(server_->port());
  other.Handshake(Secret("not-the-token-0123456789"), "other", 0);
  EXPECT_FALSE(other.master_proved()) << "the proof must depend on the token";
}

TEST_F(ServerTest, SlaveOfProtocolVersionOneIsToldToUpgrade) {
  Start(1024 * 1024);
  RawSlave old(server_->port());
  std::string hello;  // version 1 had no nonce
  PutFixed16(&hello, 1);
  PutString(&hello, "old");
  PutString(&hello, "");
  PutFixed64(&hello, 0);
  old.Send(MessageType::kHello, hello);
  protocol::Frame verdict = old.Read();
  ASSERT_EQ(verdict.type, MessageType::kReject);
  protocol::Reject reject;
  ASSERT_TRUE(protocol::Decode(verdict.payload, &reject).ok());
  EXPECT_EQ(reject.code, protocol::RejectCode::kVersion);
  EXPECT_NE(reject.reason.find("protocol version 1 is not supported (the master speaks 2 to 3)"),
            std::string::npos)
      << reject.reason;
  EXPECT_TRUE(old.ClosedWithin(std::chrono::seconds(5)));
  EXPECT_TRUE(
      WaitFor([&] { return Logged("speaks protocol version 1"); }, std::chrono::seconds(5)));
}

TEST_F(ServerTest, TamperedFrameClosesOnlyThatSlavesConnection) {
  Start(1024 * 1024);
  RawSlave good(server_->port()), bad(server_->port());
  ASSERT_EQ(good.Handshake(kToken, "good", 0).type, MessageType::kWelcome);
  ASSERT_EQ(bad.Handshake(kToken, "bad", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().size() == 2; }, std::chrono::seconds(5)));
  std::string frame =
      bad.to_master().SealFrame(MessageType::kHeartbeat, protocol::Encode(protocol::Heartbeat{0}));
  frame[protocol::kHeaderSize] ^= 1;  // one bit of the body, as a man in the middle would
  bad.SendRaw(frame);
  EXPECT_TRUE(bad.ClosedWithin(std::chrono::seconds(5)));
  ASSERT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(registry_.ConnectedSlaves()[0], "good");
  EXPECT_TRUE(Logged("heartbeat frame failed authentication"));
  good.Send(MessageType::kHeartbeat, protocol::Encode(protocol::Heartbeat{0}));
  EXPECT_FALSE(good.ClosedWithin(std::chrono::milliseconds(300)));
}

TEST_F(ServerTest, ReplayedFrameClosesTheConnection) {
  Start(1024 * 1024);
  RawSlave slave(server_->port());
  ASSERT_EQ(slave.Handshake(kToken, "replayed", 0).type, MessageType::kWelcome);
  const std::string frame = slave.to_master().SealFrame(MessageType::kHeartbeat,
                                                        protocol::Encode(protocol::Heartbeat{0}));
  slave.SendRaw(frame);
  EXPECT_FALSE(slave.ClosedWithin(std::chrono::milliseconds(300)));
  slave.SendRaw(frame);
  EXPECT_TRUE(slave.ClosedWithin(std::chrono::seconds(5)));
}

TEST_F(ServerTest, UnsealedFrameAfterTheWelcomeClosesTheConnection) {
  Start(1024 * 1024);
  RawSlave slave(server_->port());
  ASSERT_EQ(slave.Handshake(kToken, "plain", 0).type, MessageType::kWelcome);
  slave.SendRaw(protocol::EncodeFrame(
      MessageType::kAck,
      protocol::Encode(protocol::Ack{1, protocol::AckOutcome::kApplied, 0, "x"})));
  EXPECT_TRUE(slave.ClosedWithin(std::chrono::seconds(5)));
}

TEST_F(ServerTest, ConnectionsBeyondThePendingLimitAreClosedAndTheOthersStay) {
  Start(1024 * 1024, [](ReplicationServer::Options& o) { o.max_pending = 3; });
  // Accepted in the order they connect (the listen queue is first in,
  // first out): the fourth finds three handshakes under way.
  RawSlave p1(server_->port()), p2(server_->port()), p3(server_->port()), extra(server_->port());
  EXPECT_TRUE(extra.ClosedWithin(std::chrono::seconds(3)));
  EXPECT_TRUE(WaitFor([&] { return Logged("3 connections are in the handshake already"); },
                      std::chrono::seconds(5)));
  EXPECT_FALSE(p2.ClosedWithin(std::chrono::milliseconds(200)));
  // The pending ones were not disturbed: one of them gets in...
  EXPECT_EQ(p1.Handshake(kToken, "first", 0).type, MessageType::kWelcome);
  // ...which frees a place for a newcomer.
  RawSlave later(server_->port());
  EXPECT_EQ(later.Handshake(kToken, "later", 0).type, MessageType::kWelcome);
  EXPECT_TRUE(
      WaitFor([&] { return registry_.ConnectedSlaves().size() == 2; }, std::chrono::seconds(5)));
}

// Takes every free file descriptor of the process (under a lowered soft
// limit, so that it takes few) and gives them back when destroyed.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::atoi(entry.path().filename().c_str()));
    }
    rlimit lowered = saved_;
    lowered.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, static_cast<rlim_t>(highest) + 8);
    ::setrlimit(RLIMIT_NOFILE, &lowered);
    for (int fd; (fd = ::dup(STDERR_FILENO)) >= 0;) held_.push_back(fd);
    exhausted_ = errno == EMFILE;
  }
  ~DescriptorExhaustion() {
    for (int fd : held_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  DescriptorExhaustion(const DescriptorExhaustion&) = delete;
  DescriptorExhaustion& operator=(const DescriptorExhaustion&) = delete;
  bool exhausted() const { return exhausted_; }

 private:
  rlimit saved_{};
  std::vector<int> held_;
  bool exhausted_ = false;
};

TEST_F(ServerTest, AcceptOutOfDescriptorsBacksOffAndRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizers' runtime needs descriptors of its own: UBSan's vptr check
  // tests memory through a pipe, and with none left it reports valid objects
  // as having an invalid vptr. This test runs in the plain build.
  GTEST_SKIP() << "needs every descriptor of the process; not under the sanitizers";
#endif
  Start(1024 * 1024);
  // The socket of the waiting connection is made while descriptors last.
  const int waiting = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(waiting, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server_->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  {
    DescriptorExhaustion exhaustion;
    ASSERT_TRUE(exhaustion.exhausted());
    // The kernel completes the connection in the listen queue; the master's
    // accept then has no descriptor to give it.
    ASSERT_EQ(::connect(waiting, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
    ASSERT_TRUE(
        WaitFor([&] { return Logged("accept failed: Too many open files; retrying with backoff"); },
                std::chrono::seconds(20)));
    // Long enough for a loop without backoff to fail hundreds of thousands
    // of times; with it, about eight.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  // Descriptors are back: the next retry (at most a second away) accepts.
  // The deadline is generous for a sanitizer build on a loaded machine.
  ASSERT_TRUE(
      WaitFor([&] { return Logged("accept works again, after "); }, std::chrono::seconds(20)))
      << "log so far:\n"
      << ::testing::PrintToString(Log());
  size_t failures = 0;
  for (const std::string& line : Log()) {
    const size_t at = line.find("accept works again, after ");
    if (at != std::string::npos) failures = std::strtoul(line.c_str() + at + 26, nullptr, 10);
  }
  EXPECT_GE(failures, 2u);
  EXPECT_LE(failures, 20u) << "accept was retried without pausing";
  // Nobody was locked out: a slave gets in as usual.
  RawSlave slave(server_->port());
  EXPECT_EQ(slave.Handshake(kToken, "after", 0).type, MessageType::kWelcome);
  ::close(waiting);
}

TEST_F(ServerTest, SlavesBeyondTheLimitAreToldToRetryAndTheOthersStay) {
  Start(1024 * 1024, [](ReplicationServer::Options& o) { o.max_slaves = 1; });
  RawSlave first(server_->port());
  ASSERT_EQ(first.Handshake(kToken, "first", 0).type, MessageType::kWelcome);
  RawSlave second(server_->port());
  protocol::Frame verdict = second.Handshake(kToken, "second", 0);
  ASSERT_EQ(verdict.type, MessageType::kReject);
  EXPECT_TRUE(second.sealed()) << "a refusal from the real master is sealed";
  protocol::Reject reject;
  ASSERT_TRUE(protocol::Decode(verdict.payload, &reject).ok());
  EXPECT_EQ(reject.code, protocol::RejectCode::kTooManySlaves);
  EXPECT_NE(reject.reason.find("try again later"), std::string::npos) << reject.reason;
  EXPECT_EQ(registry_.ConnectedSlaves(), std::vector<std::string>{"first"});
}

std::atomic<bool> random_fails{false};
bool FailingRandom(uint8_t* out, size_t size) {
  return !random_fails && replication::SystemRandom(out, size);
}

// Issue 19: MakeNonce threw inside the session's coroutine, which ended the
// whole process. Now that slave is refused with the reason, and the master
// serves the next one once randomness is back.
TEST_F(ServerTest, NoRandomnessRefusesThatSlaveAndTheMasterServesOn) {
  random_fails = true;
  Start(1024 * 1024, [](ReplicationServer::Options& o) { o.random = FailingRandom; });
  RawSlave refused(server_->port());
  refused.Send(MessageType::kHello,
               protocol::Encode(protocol::Hello{protocol::kProtocolVersion, "s1", "", 0, {}}));
  const protocol::Frame answer = refused.Read();
  ASSERT_EQ(answer.type, MessageType::kReject);
  protocol::Reject reject;
  ASSERT_TRUE(protocol::Decode(answer.payload, &reject).ok());
  EXPECT_NE(reject.reason.find("random"), std::string::npos) << reject.reason;
  EXPECT_TRUE(refused.ClosedWithin(std::chrono::seconds(5)));
  EXPECT_TRUE(WaitFor([&] { return Logged("random source failed"); }, std::chrono::seconds(5)));
  EXPECT_TRUE(registry_.Snapshot().empty());

  random_fails = false;
  RawSlave next(server_->port());
  EXPECT_EQ(next.Handshake(kToken, "s1", 0).type, MessageType::kWelcome);
}

TEST_F(ServerTest, SlaveIdWithControlCharactersIsRefusedAndNeverLoggedRaw) {
  Start(1024 * 1024);
  RawSlave evil(server_->port());
  std::string hello;  // the encoder would write it; the decoder must refuse it
  PutFixed16(&hello, protocol::HelloVersion(protocol::HelloPurpose::kFollow));
  PutString(&hello, "\x1b]0;owned\x07\x1b[2J");
  PutString(&hello, "");
  PutFixed64(&hello, 0);
  hello.append(protocol::kNonceSize, 'n');
  evil.Send(MessageType::kHello, hello);
  EXPECT_TRUE(evil.ClosedWithin(std::chrono::seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return Logged("bad slave id"); }, std::chrono::seconds(5)));
  for (const std::string& line : Log()) {
    for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
  }
  EXPECT_TRUE(registry_.Snapshot().empty());
}

}  // namespace
}  // namespace sqlrepl::feed
