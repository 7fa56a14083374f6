#include "feed/server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "protocol/frame.hpp"

namespace sqlrepl::feed {

ReplicationServer::ReplicationServer(asio::io_context& io, Options options, SlaveRegistry* registry,
                                     std::string replication_id, uint64_t first_seq,
                                     const log::LogHead* head)
    : io_(io),
      options_(std::move(options)),
      registry_(registry),
      replication_id_(std::move(replication_id)),
      first_seq_(first_seq),
      head_(head),
      acceptor_(io) {}

// Stop() needs the I/O thread, which may be gone by now: it is the owner's to call.
ReplicationServer::~ReplicationServer() = default;

Status ReplicationServer::Start() {
  asio::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.listen_host, ec);
  if (ec) {
    return Status::InvalidArgument(
        fmt::format("LISTEN_HOST '{}' is not an IP address", options_.listen_host));
  }
  const asio::ip::tcp::endpoint endpoint(address, options_.listen_port);
  const std::string where = fmt::format("{}:{}", options_.listen_host, options_.listen_port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable(fmt::format(
        "cannot listen for slaves on {}: {} (is another master running? see LISTEN_PORT)", where,
        ec.message()));
  }
  port_ = acceptor_.local_endpoint(ec).port();
  reader_ = std::make_unique<log::LogReader>(io_, options_.db, options_.meta_schema);
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
  started_ = true;
  return Status::Ok();
}

void ReplicationServer::Stop() {
  if (stopped_ || !started_) return;
  stopped_ = true;
  std::promise<void> closed;
  asio::post(io_, [this, &closed] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (const auto& s : std::set(sessions_)) s->Close("");
    closed.set_value();
  });
  closed.get_future().wait();
  std::vector<std::shared_ptr<SnapshotFeed>> feeds;
  {
    std::lock_guard lock(feeds_mu_);
    feeds.swap(feeds_);
  }
  for (const auto& feed : feeds) feed->Join();
  reader_.reset();
}

std::shared_ptr<SnapshotFeed> ReplicationServer::StartSnapshot(std::function<void()> wake) {
  auto feed = std::make_shared<SnapshotFeed>(
      options_.db, SnapshotOptions{options_.db.database, options_.meta_schema}, std::move(wake));
  std::lock_guard lock(feeds_mu_);
  // Readers that have ended are joined at once (they are past their last
  // call); the others stay listed for Stop().
  std::erase_if(feeds_, [](const std::shared_ptr<SnapshotFeed>& f) {
    if (!f->joinable_now()) return false;
    f->Join();
    return true;
  });
  feeds_.push_back(feed);
  feed->Start();
  return feed;
}

asio::awaitable<void> ReplicationServer::AcceptLoop() {
  auto backoff = kAcceptRetryFirst;
  size_t failures = 0;  // accepts failed in a row (out of descriptors, ...)
  size_t refused = 0;   // over the pending limit since the last report
  asio::steady_timer pause(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(protocol::use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (failures++ == 0) Log("accept failed: " + ec.message() + "; retrying with backoff");
      pause.expires_after(backoff);
      co_await pause.async_wait(protocol::use_nothrow);
      if (!acceptor_.is_open()) co_return;
      backoff = std::min(backoff * 2,
                         std::chrono::duration_cast<std::chrono::milliseconds>(kAcceptRetryMax));
      continue;
    }
    if (failures > 0) Log(fmt::format("accept works again, after {} failed attempts", failures));
    failures = 0;
    backoff = kAcceptRetryFirst;
    if (pending_ >= options_.max_pending) {
      // Only this newcomer pays: sessions already accepted keep their place.
      if (refused++ % 1000 == 0) {
        Log(
            fmt::format("{} connections are in the handshake already (the limit); closing new ones "
                        "until some finish",
                        options_.max_pending));
      }
      asio::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++pending_;
    protocol::Stream stream(std::move(socket), options_.tls);
    protocol::PrepareStream(stream);
    SessionHost* host = this;
    std::make_shared<SlaveSession>(host, std::move(stream))->Start();
  }
}

std::shared_ptr<SlaveSession> ReplicationServer::FindSession(const std::string& slave_id) const {
  for (const auto& s : sessions_) {
    if (!s->closed() && s->slave_id() == slave_id) return s;
  }
  return nullptr;
}

// The session has claimed its id (SlaveSession::ClaimSlaveId): no open
// namesake is left to replace.
void ReplicationServer::Register(const std::shared_ptr<SlaveSession>& session) {
  sessions_.insert(session);
}

void ReplicationServer::Unregister(const std::shared_ptr<SlaveSession>& session) {
  sessions_.erase(session);
}

void ReplicationServer::Publish(uint64_t seq, const std::string& encoded_event) {
  // The executor checks the size before it commits (protocol::CheckEventSize);
  // an event past it could never be sent, so say so loudly here too.
  if (Status s = protocol::CheckEventSize(encoded_event.size()); !s.ok()) {
    Log(fmt::format("event #{} cannot be replicated: {}", seq, s.message()));
  }
  // Shared by every session; each seals it with its own keys.
  auto event = std::make_shared<const std::string>(encoded_event);
  registry_->Published(seq);  // before the prompt waits for it
  asio::post(io_, [this, seq, event] {
    for (const auto& s : sessions_) s->DeliverLive(seq, event);
  });
}

void ReplicationServer::SetFirstSeq(uint64_t first_seq) {
  asio::post(io_, [this, first_seq] { first_seq_ = first_seq; });
}

void ReplicationServer::SendVerify(const protocol::Verify& request) {
  auto payload = std::make_shared<const std::string>(protocol::Encode(request));
  asio::post(io_, [this, payload] {
    for (const auto& s : sessions_) s->SendVerify(payload);
  });
}

void ReplicationServer::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

}  // namespace sqlrepl::feed
