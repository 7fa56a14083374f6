// The slave's link to the master: connects, authenticates, resumes from the
// applier's position, hands received events to the applier and sends its
// acknowledgements back. When the master cannot be reached or the link
// breaks (including silence: heartbeats flow both ways every second), it
// says so and tries again every RECONNECT_SECONDS, forever, until stopped.
// A refusal by the master (another log, purged position, duplicate
// SLAVE_ID) needs an operator and ends Run() with exit status 2, but only
// once the master proved it knows REPL_TOKEN (replication/handshake.hpp):
// a peer that cannot prove it (a wrong token on either side, or an impostor
// on the master's address) is treated as unavailable and retried.
#pragma once

#include <asio.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/secret.hpp"
#include "config/defaults.hpp"
#include "protocol/frame_io.hpp"
#include "protocol/messages.hpp"
#include "protocol/transport.hpp"
#include "replication/handshake.hpp"
#include "slave/applier.hpp"

namespace sqlrepl::slave {

// What the slave prints after an attempt to reach the master failed, or
// after its link to the master ended.
struct RetryView {
  std::string where;        // HOST:PORT
  std::string every;        // "5 seconds"
  std::string reason;       // why the attempt failed or the link ended
  std::string last_reason;  // the reason told before (printed or logged); empty: none
  bool link_broke = false;  // this attempt had connected, and its link ended
  bool ever_connected = false;
};
std::vector<std::string> RetryLines(const RetryView& view);

// Where a provisioning's snapshot messages go, in order (the loader's
// queue). I/O thread.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // The master welcomed the provisioning: the snapshot follows.
  virtual void Welcomed() = 0;
  // While true, the link stops reading, so that TCP pushes back to the master.
  virtual bool Full() const = 0;
  virtual void Put(protocol::MessageType type, std::string payload) = 0;
};

// Delivers the applier's acknowledgements and verify results on whatever
// link is current; the applier is handed to Run(), not kept.
class MasterLink : public ApplyReports {
 public:
  struct Options {
    std::string master_host = "127.0.0.1";
    uint16_t master_port = config::kDefaultReplicationPort;
    std::string slave_id;
    Secret token;
    int reconnect_seconds = config::kDefaultReconnectSeconds;
    std::function<void(const std::string&)> print;
    // The operational log (SLAVE_LOG): attempts, connections, handshakes,
    // disconnections with their reasons, refusals. Never holds the token.
    std::function<void(const std::string&)> log;
    // Reading from the master pauses while the applier holds this many
    // bytes of events (or Applier::kMaxQueued events), whichever comes first.
    size_t max_queued_bytes = config::kDefaultMaxQueuedBytes;
    // TLS_CA (and a client certificate): the link is TLS, and the master's
    // certificate must verify and name master_host. Null: plain.
    std::shared_ptr<protocol::TlsContext> tls;
    replication::RandomSource random = replication::SystemRandom;  // the handshake's nonce
  };

  // Runs on `io`.
  MasterLink(asio::io_context& io, Options options);

  // Feeds `applier`, which must outlive the io_context's run. Returns the
  // exit status: 0 when stopped, 2 when the master refused us.
  asio::awaitable<int> Run(Applier& applier);
  // `slave --provision`: one connection that copies a snapshot into `sink`
  // (docs/provisioning.md), never retried. Ends when the link closes (by
  // Stop(), once the copy is loaded) or fails: kFailedPrecondition when the
  // master refused or gave up, with its reason; kUnavailable otherwise.
  asio::awaitable<Status> Provision(SnapshotSink& sink);
  // Tells the master how far the copy has been loaded (any thread).
  void SendProgress(const protocol::SnapshotProgress& progress);
  // Stops Run() or Provision() (any thread).
  void Stop();
  // What the slave's `status` shows about the link (any thread).
  struct State {
    std::string connection;  // "connected", "waiting for the master: ...", "lost: ..."
    bool connected = false;
    // Since the link was last up or last went down: a new reason for being
    // down (another failed attempt) does not reset it.
    std::chrono::steady_clock::time_point since{};
    bool ever_connected = false;
    uint64_t master_last_seq = 0;                        // the master's last event, as last heard
    std::chrono::steady_clock::time_point last_heard{};  // from the master; epoch: never
  };
  State state() const;
  // `state` after the link is said to be `connection` (connected or not) at `now`.
  static State WithConnection(State state, std::string connection, bool connected,
                              std::chrono::steady_clock::time_point now);

  // Send on the current link, if any (any thread).
  void SendAck(const protocol::Ack& ack) override;
  void SendVerifyResult(const protocol::VerifyResult& result) override;

 private:
  struct Link;
  asio::awaitable<Status> Connect(std::shared_ptr<Link> link);
  // kFailedPrecondition when the master, proven, refused us; kUnavailable
  // for a peer that did not prove REPL_TOKEN.
  asio::awaitable<Status> Handshake(std::shared_ptr<Link> link, Applier& applier);
  // The handshake for `purpose`, its three steps below; the link's writer
  // is sealed once the master welcomed us.
  asio::awaitable<Result<protocol::Welcome>> Greet(Link& link, const SlavePosition& position,
                                                   protocol::HelloPurpose purpose);
  // The handshake's three steps: the Hello sent (its payload, which the
  // transcript covers); the master's proof checked and ours sent (the
  // session's keys); the master's sealed answer (its Welcome, or its
  // refusal as the status).
  asio::awaitable<Result<std::string>> SendHello(Link& link, const SlavePosition& position,
                                                 protocol::HelloPurpose purpose);
  asio::awaitable<Result<replication::SessionKeys>> Authenticate(Link& link,
                                                                const std::string& where,
                                                                const std::string& hello_payload);
  asio::awaitable<Result<protocol::Welcome>> ReadWelcome(Link& link, const std::string& where,
                                                         const replication::SessionKeys& keys);
  asio::awaitable<Status> Receive(std::shared_ptr<Link> link, Applier& applier);
  // The next frame from the master, opened, once `hold()` is false (the
  // socket is not read meanwhile, so TCP pushes back).
  asio::awaitable<Result<protocol::Frame>> NextFrame(std::shared_ptr<Link> link,
                                                     const std::function<bool()>& hold);
  asio::awaitable<Status> ReceiveSnapshot(std::shared_ptr<Link> link, SnapshotSink& sink);
  // Every second; each says `applied()`, the last event applied.
  asio::awaitable<void> Heartbeats(std::shared_ptr<Link> link, std::function<uint64_t()> applied);
  void Print(const std::string& line) const;
  void Log(const std::string& line) const;
  void SetConnection(std::string connection, bool connected);
  void Heard(uint64_t master_seq);  // a message from the master that names its last event
  // What the applier handed over and still holds, in bytes (I/O thread).
  size_t QueuedBytes(const Applier& applier);
  void Queued(size_t bytes);

  asio::io_context& io_;
  Options options_;
  std::shared_ptr<Link> link_;  // the current link, I/O thread only
  asio::steady_timer retry_timer_;
  bool stopped_ = false;
  mutable std::mutex state_mu_;
  State state_;  // guarded by state_mu_
  // The size of each item handed to the applier, oldest first, trimmed to
  // what it still holds. The applier counts items, not bytes, and removes
  // them only from the front, so the items it holds are the newest
  // queued() of these. A byte count in the applier would replace this.
  std::deque<size_t> queued_sizes_;
  size_t queued_bytes_ = 0;
};

}  // namespace sqlrepl::slave
