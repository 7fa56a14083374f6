// The master's replication server: accepts slaves on LISTEN_HOST:LISTEN_PORT,
// authenticates them, streams what each lacks from the log (catch-up), then
// live events as they commit. It runs its own I/O thread and a catch-up
// reader thread; Publish() is the only call other threads make.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "db/connection.hpp"
#include "master/event_sink.hpp"
#include "replication/log_bounds.hpp"
#include "protocol/messages.hpp"
#include "master/log_reader.hpp"
#include "master/slave_registry.hpp"

namespace sqlrepl::master {

class SlaveSession;

class ReplicationServer : public EventSink {
 public:
  struct Options {
    std::string listen_host = "0.0.0.0";
    uint16_t listen_port = 8080;  // 0: any free port (tests)
    Secret token;
    std::string meta_schema = "repl_meta";
    db::ConnectOptions db;  // for the catch-up reader's own connection
    std::function<void(const std::string&)> log;  // connection events, from the I/O thread
    size_t max_queued_bytes = 64 * 1024 * 1024;  // per slave; a slower slave is dropped
  };

  // `registry` must outlive the server.
  ReplicationServer(Options options, SlaveRegistry* registry, replication::LogBounds bounds);
  ~ReplicationServer() override;
  ReplicationServer(const ReplicationServer&) = delete;
  ReplicationServer& operator=(const ReplicationServer&) = delete;

  // Binds and starts the threads. kInvalidArgument for a bad address,
  // kUnavailable when the port cannot be bound.
  Status Start();
  // Closes every connection and joins the threads.
  void Stop();

  void Publish(uint64_t seq, const std::string& encoded_event) override;
  // The log's oldest event after a purge (any thread).
  void SetFirstSeq(uint64_t first_seq);
  // Sends a checksum request to every connected slave (any thread).
  void SendVerify(const protocol::Verify& request);
  uint16_t port() const { return port_; }

 private:
  friend class SlaveSession;

  asio::awaitable<void> AcceptLoop();
  // I/O thread only, for sessions:
  void Register(const std::shared_ptr<SlaveSession>& session);
  void Unregister(const std::shared_ptr<SlaveSession>& session);
  void Log(const std::string& line) const;

  Options options_;
  SlaveRegistry* registry_;
  replication::LogBounds bounds_;  // last_seq advances on the I/O thread as events are published
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::unique_ptr<LogReader> reader_;
  std::set<std::shared_ptr<SlaveSession>> sessions_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace sqlrepl::master
