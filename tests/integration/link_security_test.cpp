// Issue 12, "the link": a slave follows only a master that proves it knows
// REPL_TOKEN, and nobody can forge, alter or replay a frame of a session.
// In process, on loopback: a hand-written master (blocking sockets) against
// the real MasterLink. No database is needed: the applier is never started,
// so what the link hands it stays queued where the test can see it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <asio.hpp>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <thread>

#include "db/connection.hpp"
#include "feed/server.hpp"
#include "feed/slave_registry.hpp"
#include "log/replication_log.hpp"
#include "mariadb_server.hpp"
#include "protocol/frame.hpp"
#include "protocol/frame_io.hpp"
#include "protocol/frame_mac.hpp"
#include "protocol/io_thread.hpp"
#include "protocol/messages.hpp"
#include "replication/event.hpp"
#include "replication/handshake.hpp"
#include "slave/applier.hpp"
#include "slave/master_link.hpp"
#include "wait_for.hpp"

namespace sqlrepl::slave {
namespace {

using asio::ip::tcp;
using protocol::MessageType;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Secret kToken("link-security-token-0123456789");
const Secret kWrongToken("an-impostors-guess-0123456789");

using sqlrepl::testing::WaitFor;

class NoReports : public ApplyReports {
 public:
  void SendAck(const protocol::Ack&) override {}
  void SendVerifyResult(const protocol::VerifyResult&) override {}
};

std::string EventPayload(uint64_t seq) {
  return replication::EncodeEvent(replication::Event{
      seq, "school", {{{}, "INSERT INTO t VALUES (" + std::to_string(seq) + ")"}}});
}

// One connection from the slave, seen from the master's chair.
class MasterEnd {
 public:
  explicit MasterEnd(tcp::socket socket) : socket_(std::move(socket)) {}

  void Write(const std::string& bytes) {
    asio::error_code ignored;
    asio::write(socket_, asio::buffer(bytes), ignored);
  }
  std::string Frame(MessageType type, const std::string& payload) {
    return to_slave_ ? to_slave_->SealFrame(type, payload) : protocol::EncodeFrame(type, payload);
  }
  void Send(MessageType type, const std::string& payload) { Write(Frame(type, payload)); }
  // Writes what the slave takes within `timeout`: a slave that stops
  // reading must not hang the test in a blocking send. Returns bytes sent.
  size_t WriteFor(const std::string& bytes, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t done = 0;
    while (done < bytes.size()) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{socket_.native_handle(), POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::send(socket_.native_handle(), bytes.data() + done, bytes.size() - done,
                               MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) done += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
    }
    return done;
  }
  // The next frame, or nullopt when the connection ends or nothing comes
  // within `timeout`.
  std::optional<protocol::Frame> Read(milliseconds timeout = milliseconds(5000)) {
    std::array<uint8_t, protocol::kHeaderSize> header{};
    if (!ReadExactly(header.data(), header.size(), timeout)) return std::nullopt;
    Result<protocol::FrameHeader> h = protocol::DecodeHeader(header);
    if (!h.ok()) return std::nullopt;
    protocol::Frame f;
    f.type = h->type;
    f.payload.resize(h->length);
    if (!ReadExactly(f.payload.data(), f.payload.size(), timeout)) return std::nullopt;
    return f;
  }
  // True once the slave has closed this connection; frames it sends first
  // (heartbeats, a refusal) are read and dropped.
  bool ClosedBySlaveWithin(milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<char, 4096> sink;
    for (;;) {
      const ssize_t n = Receive(sink.data(), sink.size(), deadline);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }

  // The master's side up to its Challenge, proving `token`; false if the
  // slave did not say hello.
  bool Challenge(const Secret& token) {
    std::optional<protocol::Frame> hello = Read();
    if (!hello || hello->type != MessageType::kHello) return false;
    EXPECT_TRUE(protocol::Decode(hello->payload, &hello_).ok());
    protocol::Challenge challenge;
    challenge.nonce = replication::MakeNonce().value();
    transcript_ = replication::MakeTranscript(hello->payload, challenge.nonce);
    challenge.proof = replication::MasterProof(token, transcript_);
    Send(MessageType::kChallenge, protocol::Encode(challenge));
    return true;
  }
  // The slave's Auth, checked with `token`; keys the session on success.
  bool CheckAuth(const Secret& token) {
    std::optional<protocol::Frame> f = Read();
    protocol::Auth auth;
    if (!f || f->type != MessageType::kAuth || !protocol::Decode(f->payload, &auth).ok())
      return false;
    if (!replication::VerifySlaveProof(token, transcript_, auth.mac)) return false;
    KeyWith(token);
    return true;
  }
  // Seals what follows with the keys that `token` gives for this session
  // (an impostor's guess gives keys the slave does not share).
  void KeyWith(const Secret& token) {
    const replication::SessionKeys keys = replication::DeriveSessionKeys(token, transcript_);
    to_slave_.emplace(keys.master_to_slave);
  }
  protocol::FrameMac& to_slave() { return *to_slave_; }
  const protocol::Hello& hello() const { return hello_; }

 private:
  // Up to `size` bytes once some arrive: 0 at the end of the stream (or a
  // reset), -1 when nothing came before `deadline`.
  ssize_t Receive(char* data, size_t size, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return -1;
      pollfd p{socket_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::recv(socket_.native_handle(), data, size, MSG_DONTWAIT);
      if (n > 0) return n;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return 0;
    }
  }
  bool ReadExactly(void* data, size_t size, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (size_t done = 0; done < size;) {
      const ssize_t n = Receive(static_cast<char*>(data) + done, size - done, deadline);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  tcp::socket socket_;
  protocol::Hello hello_;
  replication::Transcript transcript_{};
  std::optional<protocol::FrameMac> to_slave_;
};

class LinkSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override { StartSlave(config::kDefaultMaxQueuedBytes); }
  void StartSlave(size_t max_queued_bytes) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor_.listen();
    acceptor_.non_blocking(true);
    applier_ = std::make_unique<Applier>(
        Applier::Options{},
        []() -> Result<std::unique_ptr<ApplySession>> {
          return Status::Unavailable("no database in this test");
        },
        reports_, SlavePosition{});
    MasterLink::Options o;
    o.master_port = acceptor_.local_endpoint().port();
    o.slave_id = "slave-under-test";
    o.token = kToken;
    o.reconnect_seconds = 1;
    o.max_queued_bytes = max_queued_bytes;
    o.print = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      printed_ += line + "\n";
    };
    link_ = std::make_unique<MasterLink>(slave_io_, o);
    asio::co_spawn(slave_io_, link_->Run(*applier_), [this](std::exception_ptr, int status) {
      exit_status_ = status;
      finished_ = true;
    });
    slave_thread_.emplace(slave_io_);
  }
  void TearDown() override {
    if (!link_) return;
    link_->Stop();
    EXPECT_TRUE(WaitFor([&] { return finished_.load(); }, seconds(10)));
    slave_thread_.reset();
  }

  // The slave's next connection attempt.
  std::optional<MasterEnd> Accept(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      tcp::socket socket(io_);
      asio::error_code ec;
      acceptor_.accept(socket, ec);
      if (!ec) {
        socket.non_blocking(false);
        return MasterEnd(std::move(socket));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return std::nullopt;
  }
  // The real master's handshake, up to a sealed Welcome into log-1.
  std::optional<MasterEnd> AcceptAndWelcome() {
    std::optional<MasterEnd> m = Accept();
    if (!m || !m->Challenge(kToken) || !m->CheckAuth(kToken)) return std::nullopt;
    m->Send(MessageType::kWelcome, protocol::Encode(protocol::Welcome{"log-1", 1, 0}));
    return m;
  }
  std::string Printed() {
    std::lock_guard lock(mu_);
    return printed_;
  }
  // What the impostor must never achieve.
  void ExpectUntouched() {
    EXPECT_FALSE(finished_) << "the slave stopped: " << Printed();
    EXPECT_EQ(applier_->ResumePosition().replication_id, "");
    EXPECT_EQ(applier_->ResumePosition().applied_seq, 0u);
    EXPECT_EQ(applier_->queued(), 0u);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  NoReports reports_;
  std::unique_ptr<Applier> applier_;
  asio::io_context slave_io_;
  std::unique_ptr<MasterLink> link_;
  std::optional<protocol::IoThread> slave_thread_;
  std::atomic<bool> finished_{false};
  std::atomic<int> exit_status_{-1};
  std::mutex mu_;
  std::string printed_;
};

// The positive case first, so that the refusals below are not vacuous.
TEST_F(LinkSecurityTest, MasterThatProvesTheTokenIsFollowed) {
  std::optional<MasterEnd> m = AcceptAndWelcome();
  ASSERT_TRUE(m);
  m->Send(MessageType::kEvent, EventPayload(1));
  EXPECT_TRUE(WaitFor([&] { return applier_->queued() == 1; }, seconds(5))) << Printed();
  EXPECT_EQ(applier_->ResumePosition().replication_id, "log-1");
  EXPECT_FALSE(m->ClosedBySlaveWithin(milliseconds(300)));
}

TEST_F(LinkSecurityTest, RefusalFromAPeerThatProvesNothingDoesNotStopTheSlave) {
  for (protocol::RejectCode code :
       {protocol::RejectCode::kBadAuth, protocol::RejectCode::kPurged}) {
    std::optional<MasterEnd> m = Accept();
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->Read());  // the hello
    m->Send(MessageType::kReject, protocol::Encode(protocol::Reject{code, "go away\x1b[2J"}));
    EXPECT_TRUE(m->ClosedBySlaveWithin(seconds(5)));
  }
  ASSERT_TRUE(Accept()) << "the slave keeps trying: " << Printed();
  ExpectUntouched();
  EXPECT_NE(
      Printed().find("without proving it knows REPL_TOKEN, so it is not obeyed: go away\\x1b[2J"),
      std::string::npos)
      << Printed();
  EXPECT_EQ(Printed().find('\x1b'), std::string::npos)
      << "a peer's text reaches the terminal escaped";
}

TEST_F(LinkSecurityTest, ImpostorWithoutTheTokenCannotSetTheLogOrFeedEvents) {
  std::optional<MasterEnd> m = Accept();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Challenge(kWrongToken));
  // The slave does not answer an unproven challenge; it says why and leaves.
  std::optional<protocol::Frame> answer = m->Read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->type, MessageType::kReject);
  m->KeyWith(kWrongToken);
  m->Send(MessageType::kWelcome, protocol::Encode(protocol::Welcome{"evil-log", 1, 5}));
  m->Send(MessageType::kEvent, EventPayload(1));
  EXPECT_TRUE(m->ClosedBySlaveWithin(seconds(5)));
  ASSERT_TRUE(Accept()) << "the slave keeps trying: " << Printed();
  ExpectUntouched();
  EXPECT_NE(Printed().find("could not prove it knows REPL_TOKEN"), std::string::npos) << Printed();
}

TEST_F(LinkSecurityTest, PeerThatSkipsTheChallengeCannotSetTheLogOrFeedEvents) {
  std::optional<MasterEnd> m = Accept();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Read());  // the hello
  m->Send(MessageType::kWelcome, protocol::Encode(protocol::Welcome{"evil-log", 1, 5}));
  m->Send(MessageType::kEvent, EventPayload(1));
  EXPECT_TRUE(m->ClosedBySlaveWithin(seconds(5)));
  ASSERT_TRUE(Accept()) << "the slave keeps trying: " << Printed();
  ExpectUntouched();
}

TEST_F(LinkSecurityTest, TamperedEventClosesTheLinkAndIsNotApplied) {
  std::optional<MasterEnd> m = AcceptAndWelcome();
  ASSERT_TRUE(m);
  m->Send(MessageType::kEvent, EventPayload(1));
  ASSERT_TRUE(WaitFor([&] { return applier_->queued() == 1; }, seconds(5))) << Printed();
  std::string frame = m->to_slave().SealFrame(MessageType::kEvent, EventPayload(2));
  frame[frame.size() - protocol::kTagSize - 3] ^= 0x01;  // inside the statement's text
  m->Write(frame);
  EXPECT_TRUE(m->ClosedBySlaveWithin(seconds(5)));
  EXPECT_EQ(applier_->queued(), 1u);
  EXPECT_EQ(applier_->ResumePosition().applied_seq, 1u);
  EXPECT_TRUE(WaitFor(
      [&] { return Printed().find("event frame failed authentication") != std::string::npos; },
      seconds(5)))
      << Printed();
  EXPECT_TRUE(Accept()) << "a broken link is retried like any other";
}

TEST_F(LinkSecurityTest, ReplayedFrameClosesTheLink) {
  std::optional<MasterEnd> m = AcceptAndWelcome();
  ASSERT_TRUE(m);
  const std::string frame =
      m->to_slave().SealFrame(MessageType::kHeartbeat, protocol::Encode(protocol::Heartbeat{0}));
  m->Write(frame);
  EXPECT_FALSE(m->ClosedBySlaveWithin(milliseconds(300)));
  m->Write(frame);
  EXPECT_TRUE(m->ClosedBySlaveWithin(seconds(5)));
}

// What a protocol 1 master does with a protocol 2 hello: it cannot parse
// it and hangs up. The slave says what that probably means and retries.
TEST_F(LinkSecurityTest, MasterThatHangsUpDuringTheHandshakeIsExplained) {
  std::optional<MasterEnd> m = Accept();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->Read());
  m.reset();
  ASSERT_TRUE(Accept());
  EXPECT_NE(Printed().find("a master older than protocol version 2 does this"), std::string::npos)
      << Printed();
  ExpectUntouched();
}

// Issue 12, limits: the slave's back-pressure counted events only (20,000
// of up to 16 MiB each); it counts bytes too.
class SlaveQueueBytesTest : public LinkSecurityTest {
 protected:
  void SetUp() override { StartSlave(3 * 1024 * 1024); }
};

TEST_F(SlaveQueueBytesTest, SlaveStopsReadingAtTheQueuedBytesBoundAndKeepsTheLink) {
  std::optional<MasterEnd> m = AcceptAndWelcome();
  ASSERT_TRUE(m);
  const std::string big(1024 * 1024, 'x');
  std::string frames;
  for (uint64_t seq = 1; seq <= 8; ++seq) {
    frames += m->Frame(MessageType::kEvent,
                       replication::EncodeEvent(replication::Event{
                           seq, "school", {{{}, "INSERT INTO t VALUES ('" + big + "')"}}}));
  }
  // More than the slave may hold: part of it stays unsent once the slave
  // stops reading and the socket buffers are full.
  ASSERT_GT(m->WriteFor(frames, seconds(2)), 3u * big.size());
  // The applier is not running, so nothing leaves its queue: the link reads
  // until 3 MiB are held, then waits.
  ASSERT_TRUE(WaitFor([&] { return applier_->queued() == 3; }, seconds(5))) << applier_->queued();
  EXPECT_FALSE(WaitFor([&] { return applier_->queued() > 3; }, milliseconds(500)))
      << applier_->queued();
  // Waiting for the applier is not silence: the link stays up.
  EXPECT_FALSE(m->ClosedBySlaveWithin(milliseconds(300)));
  EXPECT_FALSE(finished_);
}

// Issue 12, limits: catch-up asked for the next log batch whenever fewer
// than 500 frames were queued, whatever their size, so a slave catching up
// on large events overflowed the master's per-slave byte bound and was
// dropped, though nothing but catch-up was queued for it. Here the slave
// holds 2 MiB and reads no more (its applier does not run): the master must
// pace the catch-up to it, not drop it.
TEST(CatchUpBytesTest, CatchUpOnLargeEventsIsPacedNotDroppedAtTheQueueBound) {
  Result<std::unique_ptr<sqlrepl::testing::MariaDbServer>> db =
      sqlrepl::testing::MariaDbServer::Start("link-catchup");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("DROP DATABASE IF EXISTS repl_meta").ok());
  Result<db::Connection> conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  Result<log::ReplicationLog> log = log::ReplicationLog::Open(&*conn, "repl_meta");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::string big(1024 * 1024, 'x');
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(conn->Execute("START TRANSACTION").ok());
    replication::Event event{0, "school", {{{}, "INSERT INTO t VALUES ('" + big + "')"}}};
    Result<std::string> appended = log->AppendAndCommit(&*conn, &event);
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    log->MarkCommitted(event.seq);
  }
  Result<replication::LogBounds> bounds = log::ReplicationLog::ReadBounds(&*conn, "repl_meta");
  ASSERT_TRUE(bounds.ok()) << bounds.status().ToString();
  ASSERT_EQ(bounds->last_seq, 40u);

  std::mutex mu;
  std::string master_log;
  feed::SlaveRegistry registry;
  asio::io_context master_io;
  feed::ReplicationServer::Options o;
  o.listen_host = "127.0.0.1";
  o.listen_port = 0;
  o.token = kToken;
  o.meta_schema = "repl_meta";
  o.db = (*db)->Options();
  o.max_queued_bytes = 12 * 1024 * 1024;
  o.log = [&](const std::string& line) {
    std::lock_guard lock(mu);
    master_log += line + "\n";
  };
  feed::ReplicationServer server(master_io, o, &registry, log->replication_id(),
                                 log->first_seq_at_open(), log->head());
  std::optional<protocol::IoThread> master_thread(std::in_place, master_io);
  ASSERT_TRUE(server.Start().ok());

  NoReports reports;
  Applier applier(
      Applier::Options{},
      []() -> Result<std::unique_ptr<ApplySession>> {
        return Status::Unavailable("no database for this slave");
      },
      reports, SlavePosition{});
  asio::io_context slave_io;
  MasterLink::Options so;
  so.master_port = server.port();
  so.slave_id = "catching-up";
  so.token = kToken;
  so.max_queued_bytes = 2 * 1024 * 1024;
  MasterLink link(slave_io, so);
  std::atomic<bool> finished{false};
  asio::co_spawn(slave_io, link.Run(applier), [&](std::exception_ptr, int) { finished = true; });
  std::optional<protocol::IoThread> slave_thread(std::in_place, slave_io);

  EXPECT_TRUE(WaitFor([&] { return applier.queued() >= 2; }, seconds(20))) << applier.queued();
  // Long enough for several 8 MiB batches to be read from the log.
  EXPECT_FALSE(WaitFor(
      [&] {
        std::lock_guard lock(mu);
        return master_log.find("too slow") != std::string::npos;
      },
      seconds(3)))
      << master_log;
  EXPECT_EQ(registry.ConnectedSlaves(), std::vector<std::string>{"catching-up"}) << master_log;

  link.Stop();
  EXPECT_TRUE(WaitFor([&] { return finished.load(); }, seconds(10)));
  slave_thread.reset();
  server.Stop();
  master_thread.reset();
}

}  // namespace
}  // namespace sqlrepl::slave
