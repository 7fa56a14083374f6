// One slave's connection on the master, from handshake to close. Lives on
// the server's I/O thread; owned by itself (shared_from_this) while its
// coroutines run, and listed in the server while authenticated.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "base/secret.hpp"
#include "feed/slave_registry.hpp"
#include "feed/snapshot_feed.hpp"
#include "log/log_reader.hpp"
#include "protocol/frame_io.hpp"
#include "protocol/link_timing.hpp"
#include "protocol/messages.hpp"
#include "protocol/transport.hpp"
#include "replication/handshake.hpp"
#include "replication/log_bounds.hpp"

namespace sqlrepl::feed {

class SlaveSession;

// What a session needs from the server that accepted it. I/O thread only.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const Secret& token() const = 0;
  // As of now: the last sequence number moves on while the session waits.
  virtual replication::LogBounds bounds() const = 0;
  virtual size_t max_queued_bytes() const = 0;
  // At most this many authenticated slaves at once (Options::max_slaves).
  virtual size_t max_slaves() const = 0;
  virtual size_t slave_count() const = 0;
  // Where the handshake's nonces come from (tests make it fail).
  virtual replication::RandomSource random() const = 0;
  // Once per session, when its handshake ends, either way: it no longer
  // counts as a pending connection.
  virtual void HandshakeEnded() = 0;
  virtual SlaveRegistry& registry() = 0;
  virtual log::LogReader& reader() = 0;
  virtual void Log(const std::string& line) const = 0;
  // The open registered session of slave `slave_id`, or null.
  virtual std::shared_ptr<SlaveSession> FindSession(const std::string& slave_id) const = 0;
  // Starts reading a snapshot for a provisioning; `wake` (which must only
  // post to the I/O thread) says there is something to take.
  virtual std::shared_ptr<SnapshotFeed> StartSnapshot(std::function<void()> wake) = 0;
  // The session passed the handshake / has ended.
  virtual void Register(const std::shared_ptr<SlaveSession>& session) = 0;
  virtual void Unregister(const std::shared_ptr<SlaveSession>& session) = 0;
};

class SlaveSession : public std::enable_shared_from_this<SlaveSession> {
 public:
  // `host` must outlive the session's coroutines.
  SlaveSession(SessionHost* host, protocol::Stream stream);

  void Start();
  // A newly committed event; sent now if the session is live and due for it.
  // `event` is the encoded event, shared by every session; each session
  // seals it with its own keys.
  void DeliverLive(uint64_t seq, const std::shared_ptr<const std::string>& event);
  // A verify request (its payload); it follows every event already queued.
  void SendVerify(const std::shared_ptr<const std::string>& request);
  // Closes the connection, once, logging why (empty: quietly). A closed
  // session reports nothing more to the registry.
  void Close(const std::string& reason);
  const std::string& slave_id() const { return slave_id_; }
  bool closed() const { return closed_; }
  // When the slave last sent anything (it heartbeats every second).
  std::chrono::steady_clock::time_point last_heard() const { return last_heard_; }

  // Another catch-up batch is read once fewer frames and bytes than these
  // wait to be written (the bytes bound is also at most a quarter of
  // max_queued_bytes), so that catching up with large events does not
  // overflow the queue bound of a slave that reads at full speed.
  static constexpr size_t kCatchUpLowWater = 500;
  static constexpr size_t kCatchUpLowWaterBytes = 8 * 1024 * 1024;
  // How long a newcomer waits for a sign of life from an open connection
  // with its SLAVE_ID: three slave heartbeats, and under the slave's
  // handshake deadline so that a real reconnect is not timed out meanwhile.
  static constexpr auto kDuplicateProbe = std::chrono::seconds(3);
  static_assert(kDuplicateProbe < protocol::kHandshakeTimeout);

 private:
  asio::awaitable<void> Run();
  // One sealed frame from the slave, opened: an acknowledgement, a verify
  // answer or a heartbeat; an error closes the session.
  Status OnFrame(protocol::Frame& frame);
  // Hello, challenge and proof, then the decision: ReadHello, Authenticate, Admit.
  asio::awaitable<Status> Handshake();
  // The slave's hello, once it speaks this protocol version; `payload`
  // gets its bytes, which the handshake's transcript covers.
  asio::awaitable<Result<protocol::Hello>> ReadHello(std::string* payload);
  // Proves the master's token to the slave and checks the slave's proof;
  // the session's keys. `id`: the slave's id, escaped for the log.
  asio::awaitable<Result<replication::SessionKeys>> Authenticate(const std::string& hello_payload,
                                                                 const std::string& id);
  // Decides where the slave resumes (or refuses it), claims its id and
  // welcomes it: the session is registered.
  asio::awaitable<Status> Admit(const protocol::Hello& hello, const replication::SessionKeys& keys,
                                const std::string& id);
  // Lets in at most one open connection per SLAVE_ID; see the .cpp.
  asio::awaitable<Status> ClaimSlaveId(const std::string& slave_id);
  asio::awaitable<void> Heartbeats();
  asio::awaitable<void> Writer();
  void Enqueue(protocol::MessageType type, std::shared_ptr<const std::string> payload);
  // The two sides disagree about TLS (`why`, from ServerHandshake): answers
  // the slave in its own terms so that it can say so too, then returns.
  asio::awaitable<void> RefuseTlsMismatch(const std::string& why);
  // Writes one frame during the handshake, before the writer runs.
  asio::awaitable<Status> WriteNow(const std::string& frame);
  // Answers the slave with `reject`, sealed with `seal` when the session
  // has keys, and returns `why`: the reason Run() closes the connection with.
  asio::awaitable<Status> Refuse(const protocol::Reject& reject, protocol::FrameMac* seal,
                                 const Status& why);
  bool WantsBatch() const;
  void StartCatchUp();
  void RequestBatch();
  void OnBatch(log::LogReader::Batch batch);
  void GoLive();
  void ReportState(SlaveState state);
  // A provisioning: the snapshot's messages go out as the writer drains.
  void StartSnapshot();
  void PumpSnapshot();
  // The snapshot's first message names its position and size.
  void SnapshotBegun(const std::string& payload);
  // The reader ended: `status` is OK once SnapshotEnd went out.
  void SnapshotEnded(const Status& status);

  SessionHost* host_;
  protocol::Stream stream_;
  protocol::FrameWriter writer_;
  std::optional<protocol::FrameMac> from_slave_;  // checks the slave's frames once keyed
  asio::steady_timer timer_;                      // handshake deadline, then heartbeats
  std::string address_;
  std::string slave_id_;
  uint64_t generation_ = 0;
  uint64_t next_seq_ = 1;  // the next event this slave is due
  bool authenticated_ = false;
  bool claiming_id_ = false;  // past authentication, probing a namesake
  bool catching_up_ = false;
  bool batch_pending_ = false;
  bool closed_ = false;
  bool provisioning_ = false;  // this connection copies a snapshot, it follows nothing
  std::shared_ptr<SnapshotFeed> feed_;
  bool snapshot_ended_ = false;  // the reader has ended, either way
  bool snapshot_sent_ = false;   // ... with SnapshotEnd sent
  uint64_t snapshot_bytes_estimate_ = 0;
  std::chrono::steady_clock::time_point last_heard_ = std::chrono::steady_clock::now();
};

}  // namespace sqlrepl::feed
