// The replication server in process, on loopback, with hand-written slaves:
// the per-slave queue bound and the handshake over real sockets. No
// database: a slave that is up to date goes live without reading the log.
#include "master/server.hpp"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>
#include <optional>
#include <thread>

#include "protocol/frame.hpp"
#include "protocol/frame_io.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/messages.hpp"
#include "replication/event.hpp"
#include "replication/handshake.hpp"

namespace sqlrepl::master {
namespace {

using asio::ip::tcp;
using protocol::MessageType;

const Secret kToken("server-test-token-0123456789");

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A slave written by hand with blocking sockets.
class RawSlave {
 public:
  explicit RawSlave(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }
  void Send(MessageType type, const std::string& payload) {
    asio::write(socket_, asio::buffer(protocol::EncodeFrame(type, payload)));
  }
  protocol::Frame Read() {
    std::array<uint8_t, protocol::kHeaderSize> header{};
    asio::read(socket_, asio::buffer(header));
    Result<protocol::FrameHeader> h = protocol::DecodeHeader(header);
    EXPECT_TRUE(h.ok());
    protocol::Frame f;
    f.type = h->type;
    f.payload.resize(h->length);
    asio::read(socket_, asio::buffer(f.payload));
    return f;
  }
  // Hello, then the answer to the challenge; returns the master's verdict.
  protocol::Frame Handshake(const Secret& token, const std::string& id, uint64_t applied) {
    Send(MessageType::kHello, protocol::Encode(protocol::Hello{protocol::kProtocolVersion, id, "log-1", applied}));
    protocol::Frame f = Read();
    protocol::Challenge challenge;
    EXPECT_EQ(f.type, MessageType::kChallenge);
    EXPECT_TRUE(protocol::Decode(f.payload, &challenge).ok());
    Send(MessageType::kAuth, protocol::Encode(protocol::Auth{replication::ComputeMac(token, challenge.nonce, id)}));
    return Read();
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

class ServerTest : public ::testing::Test {
 protected:
  void Start(size_t max_queued_bytes) {
    ReplicationServer::Options o;
    o.listen_host = "127.0.0.1";
    o.listen_port = 0;
    o.token = kToken;
    o.max_queued_bytes = max_queued_bytes;
    server_ = std::make_unique<ReplicationServer>(io_, o, &registry_,
                                                  replication::LogBounds{"log-1", 1, 0});
    io_thread_.emplace(io_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    io_thread_.reset();  // before the server: late handlers still reach it
  }

  asio::io_context io_;
  SlaveRegistry registry_;
  std::unique_ptr<ReplicationServer> server_;
  std::optional<protocol::IoThread> io_thread_;
};

TEST_F(ServerTest, SlaveThatStopsReadingIsDroppedAtTheQueueBound) {
  Start(/*max_queued_bytes=*/1024 * 1024);
  RawSlave slow(server_->port());
  ASSERT_EQ(slow.Handshake(kToken, "slow", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  // 20 MB of events: more than the socket buffers and the 1 MiB bound hold.
  const std::string big(100 * 1024, 'x');
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    server_->Publish(seq, replication::EncodeEvent(replication::Event{seq, "school", {{{}, "INSERT INTO t VALUES ('" + big + "')"}}}));
  }
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().empty(); }, std::chrono::seconds(10)));
  const std::vector<SlaveInfo> slaves = registry_.Snapshot();
  ASSERT_EQ(slaves.size(), 1u);
  EXPECT_EQ(slaves[0].state, SlaveState::kOffline);
  EXPECT_NE(slaves[0].last_error.find("slave too slow: more than 1 MiB of events waiting"), std::string::npos)
      << slaves[0].last_error;
}

TEST_F(ServerTest, SlaveThatReadsGetsEveryEventInOrder) {
  // The bound is on what is queued at once: it must exceed the burst below.
  Start(/*max_queued_bytes=*/16 * 1024 * 1024);
  RawSlave reader(server_->port());
  ASSERT_EQ(reader.Handshake(kToken, "reader", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  const std::string big(100 * 1024, 'y');
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    server_->Publish(seq, replication::EncodeEvent(replication::Event{seq, "school", {{{}, "INSERT INTO t VALUES ('" + big + "')"}}}));
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
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  std::atomic<bool> stop{false};
  std::thread heartbeats([&] {
    while (!stop) {
      first.Send(MessageType::kHeartbeat, protocol::Encode(protocol::Heartbeat{0}));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the slave's own pace, not a wait
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
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  RawSlave again(server_->port());
  EXPECT_EQ(again.Handshake(kToken, "host1", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  EXPECT_NE(registry_.Snapshot()[0].last_error.find("silent"), std::string::npos)
      << registry_.Snapshot()[0].last_error;
}

// Issue 10, "one stuck slave stalls every write": a slave that stops
// acknowledging costs one timeout, not one per write.
TEST_F(ServerTest, SlaveThatStopsAcknowledgingIsNotWaitedForAfterOneTimeout) {
  Start(16 * 1024 * 1024);
  RawSlave stuck(server_->port());
  ASSERT_EQ(stuck.Handshake(kToken, "stuck", 0).type, MessageType::kWelcome);
  ASSERT_TRUE(WaitFor([&] { return registry_.ConnectedSlaves().size() == 1; }, std::chrono::seconds(5)));
  auto publish = [&](uint64_t seq) {
    server_->Publish(seq, replication::EncodeEvent(replication::Event{seq, "school", {{{}, "DELETE FROM t"}}}));
  };
  auto read_event = [&] {
    protocol::Frame f = stuck.Read();
    while (f.type == MessageType::kHeartbeat) f = stuck.Read();
    EXPECT_EQ(f.type, MessageType::kEvent);
    return *replication::PeekEventSeq(f.payload);
  };
  publish(1);
  ASSERT_EQ(read_event(), 1u);
  stuck.Send(MessageType::kAck, protocol::Encode(protocol::Ack{1, protocol::AckOutcome::kApplied, 0, ""}));
  EXPECT_EQ(registry_.WaitFor(1, {"stuck"}, SlaveRegistry::Clock::now() + std::chrono::seconds(5))[0].kind,
            SlaveOutcome::kApplied);
  // Event 2 is never acknowledged in time: one timeout.
  publish(2);
  ASSERT_EQ(read_event(), 2u);
  EXPECT_EQ(registry_.WaitFor(2, {"stuck"}, SlaveRegistry::Clock::now() + std::chrono::milliseconds(300))[0].kind,
            SlaveOutcome::kNoAck);
  // Event 3 does not wait for it at all.
  publish(3);
  const auto started = SlaveRegistry::Clock::now();
  EXPECT_EQ(registry_.WaitFor(3, {"stuck"}, started + std::chrono::seconds(4))[0].kind, SlaveOutcome::kLagging);
  EXPECT_LT(SlaveRegistry::Clock::now() - started, std::chrono::seconds(1));
  std::vector<LagChange> changes = registry_.TakeLagChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].lagging);
  // It acknowledges everything published: writes wait for it again.
  ASSERT_EQ(read_event(), 3u);
  for (uint64_t seq : {2, 3}) {
    stuck.Send(MessageType::kAck, protocol::Encode(protocol::Ack{seq, protocol::AckOutcome::kApplied, 0, ""}));
  }
  ASSERT_TRUE(WaitFor([&] { return !registry_.Snapshot()[0].lagging; }, std::chrono::seconds(5)));
  changes = registry_.TakeLagChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].lagging);
  publish(4);
  EXPECT_FALSE(registry_.Ready(4, {"stuck"}));
  ASSERT_EQ(read_event(), 4u);
  stuck.Send(MessageType::kAck, protocol::Encode(protocol::Ack{4, protocol::AckOutcome::kApplied, 0, ""}));
  EXPECT_EQ(registry_.WaitFor(4, {"stuck"}, SlaveRegistry::Clock::now() + std::chrono::seconds(5))[0].kind,
            SlaveOutcome::kApplied);
}

}  // namespace
}  // namespace sqlrepl::master
