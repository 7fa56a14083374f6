// The master's replication server: accepts slaves on LISTEN_HOST:LISTEN_PORT,
// authenticates them, streams what each lacks from the log (catch-up), then
// live events as they commit. Its sockets live on an io_context that main
// owns and runs on an I/O thread; it adds a catch-up reader thread. Publish(),
// SetFirstSeq() and SendVerify() are the calls other threads make.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "config/defaults.hpp"
#include "db/connection.hpp"
#include "feed/event_sink.hpp"
#include "feed/slave_registry.hpp"
#include "feed/slave_session.hpp"
#include "feed/snapshot_feed.hpp"
#include "log/log_head.hpp"
#include "log/log_reader.hpp"
#include "protocol/messages.hpp"
#include "protocol/transport.hpp"
#include "replication/log_bounds.hpp"

namespace sqlrepl::feed {

class ReplicationServer : public EventSink, private SessionHost {
 public:
  struct Options {
    std::string listen_host = "0.0.0.0";
    uint16_t listen_port = config::kDefaultReplicationPort;  // 0: any free port (tests)
    Secret token;
    std::string meta_schema{config::kDefaultMetaSchema};
    db::ConnectOptions db;                        // for the catch-up reader's own connection
    std::function<void(const std::string&)> log;  // connection events, from the I/O thread
    size_t max_queued_bytes =
        config::kDefaultMaxQueuedBytes;  // per slave; a slower slave is dropped
    // Connections accepted and not yet through the handshake (which lasts
    // at most protocol::kHandshakeTimeout): more are closed at once, so that
    // a flood cannot use up the process's file descriptors and lock real
    // slaves out.
    size_t max_pending = kDefaultMaxPending;
    size_t max_slaves = kDefaultMaxSlaves;  // authenticated at once; more are told to retry
    // TLS_CERT/TLS_KEY (and TLS_CA): every slave must speak TLS. Null: plain.
    std::shared_ptr<protocol::TlsContext> tls;
    replication::RandomSource random = replication::SystemRandom;  // the handshake's nonces
  };
  static constexpr size_t kDefaultMaxPending = 64;
  static constexpr size_t kDefaultMaxSlaves = 100;
  // After a failed accept (EMFILE, ENFILE, ENOBUFS, ...) the loop waits
  // before trying again, doubling up to the maximum: a failing accept
  // returns at once and would otherwise spin.
  static constexpr auto kAcceptRetryFirst = std::chrono::milliseconds(10);
  static constexpr auto kAcceptRetryMax = std::chrono::milliseconds(1000);

  // `io`, `registry` and `head` must outlive the server. The caller runs
  // `io` on an I/O thread, and stops that thread before destroying the
  // server. `head` is the log's last sequence number (ReplicationLog::head()),
  // advanced by the committing thread before it calls Publish();
  // `first_seq` is the log's oldest event now, moved by SetFirstSeq().
  ReplicationServer(asio::io_context& io, Options options, SlaveRegistry* registry,
                    std::string replication_id, uint64_t first_seq, const log::LogHead* head);
  ~ReplicationServer() override;
  ReplicationServer(const ReplicationServer&) = delete;
  ReplicationServer& operator=(const ReplicationServer&) = delete;

  // Binds and starts accepting. kInvalidArgument for a bad address,
  // kUnavailable when the port cannot be bound.
  Status Start();
  // Stops accepting, closes every connection and waits until that is done;
  // the caller's I/O thread must still be running. Not from the I/O thread.
  void Stop();

  void Publish(uint64_t seq, const std::string& encoded_event) override;
  // The log's oldest event after a purge (any thread).
  void SetFirstSeq(uint64_t first_seq);
  // Sends a checksum request to every connected slave (any thread).
  void SendVerify(const protocol::Verify& request);
  uint16_t port() const { return port_; }

 private:
  asio::awaitable<void> AcceptLoop();

  // SessionHost, for the sessions (I/O thread only).
  const Secret& token() const override { return options_.token; }
  replication::LogBounds bounds() const override {
    return {replication_id_, first_seq_, head_->last_seq()};
  }
  size_t max_queued_bytes() const override { return options_.max_queued_bytes; }
  size_t max_slaves() const override { return options_.max_slaves; }
  size_t slave_count() const override { return sessions_.size(); }
  replication::RandomSource random() const override { return options_.random; }
  void HandshakeEnded() override { --pending_; }
  SlaveRegistry& registry() override { return *registry_; }
  log::LogReader& reader() override { return *reader_; }
  void Log(const std::string& line) const override;
  std::shared_ptr<SlaveSession> FindSession(const std::string& slave_id) const override;
  std::shared_ptr<SnapshotFeed> StartSnapshot(std::function<void()> wake) override;
  void Register(const std::shared_ptr<SlaveSession>& session) override;
  void Unregister(const std::shared_ptr<SlaveSession>& session) override;

  asio::io_context& io_;
  Options options_;
  SlaveRegistry* registry_;
  const std::string replication_id_;
  uint64_t first_seq_;  // I/O thread; SetFirstSeq() posts there
  const log::LogHead* head_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::unique_ptr<log::LogReader> reader_;
  std::set<std::shared_ptr<SlaveSession>> sessions_;
  size_t pending_ = 0;  // accepted, handshake not ended
  // Every snapshot reader not yet joined: Stop() joins them, off the I/O
  // thread, since a reader may be inside a database call.
  std::mutex feeds_mu_;
  std::vector<std::shared_ptr<SnapshotFeed>> feeds_;  // guarded by feeds_mu_
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace sqlrepl::feed
