#include "slave/master_link.hpp"

#include <fmt/format.h>

#include "protocol/frame_io.hpp"
#include "replication/handshake.hpp"

namespace sqlrepl::slave {

using protocol::MessageType;
using protocol::use_nothrow;

struct MasterLink::Link {
  explicit Link(asio::io_context& io) : stream(io), writer(stream), timer(io) {}
  void Close() {
    if (closed) return;
    closed = true;
    writer.Stop();
    timer.cancel();
    protocol::CloseStream(stream);
  }
  void Send(MessageType type, const std::string& payload) {
    if (!closed) writer.Send(std::make_shared<const std::string>(protocol::EncodeFrame(type, payload)));
  }

  protocol::Stream stream;
  protocol::FrameWriter writer;
  asio::steady_timer timer;  // deadlines, then heartbeats
  std::chrono::steady_clock::time_point last_heard = std::chrono::steady_clock::now();
  bool closed = false;
};

MasterLink::MasterLink(asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)), retry_timer_(io) {}

void MasterLink::Print(const std::string& line) const {
  if (options_.print) options_.print(line);
}

void MasterLink::Stop() {
  asio::post(io_, [this] {
    stopped_ = true;
    retry_timer_.cancel();
    if (link_) link_->Close();
  });
}

void MasterLink::SendAck(const protocol::Ack& ack) {
  asio::post(io_, [this, ack] {
    if (link_) link_->Send(MessageType::kAck, protocol::Encode(ack));
  });
}

void MasterLink::SendVerifyResult(const protocol::VerifyResult& result) {
  asio::post(io_, [this, result] {
    if (link_) link_->Send(MessageType::kVerifyResult, protocol::Encode(result));
  });
}

asio::awaitable<int> MasterLink::Run(Applier& applier) {
  const std::string where = fmt::format("{}:{}", options_.master_host, options_.master_port);
  while (!stopped_) {
    auto link = std::make_shared<Link>(io_);
    Status s = co_await Connect(link);
    if (s.ok()) s = co_await Handshake(link, applier);
    if (s.code() == StatusCode::kFailedPrecondition) {
      Print("The master refused this slave: " + s.message());
      co_return 2;
    }
    if (s.ok()) {
      link_ = link;
      asio::co_spawn(io_, [link]() -> asio::awaitable<void> { co_await link->writer.Run(); },
                     asio::detached);
      asio::co_spawn(io_, Heartbeats(link, applier), asio::detached);
      s = co_await Receive(link, applier);
      link_.reset();
    }
    link->Close();
    if (stopped_) break;
    Print(fmt::format("Lost the master at {}: {}", where, s.message()));
    Print(fmt::format("Master unavailable. Retrying in {} second{}...", options_.reconnect_seconds,
                      options_.reconnect_seconds == 1 ? "" : "s"));
    retry_timer_.expires_after(std::chrono::seconds(options_.reconnect_seconds));
    co_await retry_timer_.async_wait(use_nothrow);
  }
  co_return 0;
}

asio::awaitable<Status> MasterLink::Connect(std::shared_ptr<Link> link) {
  asio::ip::tcp::resolver resolver(io_);
  auto [ec, endpoints] = co_await resolver.async_resolve(
      options_.master_host, std::to_string(options_.master_port), use_nothrow);
  if (ec) co_return Status::Unavailable(fmt::format("cannot resolve {}: {}", options_.master_host, ec.message()));
  link->timer.expires_after(kConnectTimeout);
  link->timer.async_wait([link](asio::error_code e) {
    if (!e) link->Close();
  });
  auto [ec2, endpoint] =
      co_await asio::async_connect(protocol::Socket(link->stream), endpoints, use_nothrow);
  if (ec2) co_return Status::Unavailable(link->closed ? "connection timed out" : ec2.message());
  protocol::PrepareStream(link->stream);
  co_return Status::Ok();
}

// The slave's side of the steps in replication/handshake.hpp; the connect
// deadline set in Connect() still runs and covers it.
asio::awaitable<Status> MasterLink::Handshake(std::shared_ptr<Link> link, Applier& applier) {
  const SlavePosition position = applier.ResumePosition();
  protocol::Hello hello{protocol::kProtocolVersion, options_.slave_id, position.replication_id,
                        position.applied_seq};
  const std::string hello_frame = protocol::EncodeFrame(MessageType::kHello, protocol::Encode(hello));
  auto [ec, n] = co_await asio::async_write(link->stream, asio::buffer(hello_frame), use_nothrow);
  if (ec) co_return Status::Unavailable(ec.message());

  Result<protocol::Frame> frame = co_await protocol::ReadFrame(link->stream, 4096);
  if (!frame.ok()) co_return frame.status();
  protocol::Challenge challenge;
  if (frame->type != MessageType::kChallenge || !protocol::Decode(frame->payload, &challenge).ok()) {
    co_return Status::Corruption("the master did not send a valid challenge");
  }
  protocol::Auth auth{replication::ComputeMac(options_.token, challenge.nonce, options_.slave_id)};
  const std::string auth_frame = protocol::EncodeFrame(MessageType::kAuth, protocol::Encode(auth));
  auto [ec2, n2] = co_await asio::async_write(link->stream, asio::buffer(auth_frame), use_nothrow);
  if (ec2) co_return Status::Unavailable(ec2.message());

  frame = co_await protocol::ReadFrame(link->stream, protocol::kMaxMessageLength + 64);
  if (!frame.ok()) co_return frame.status();
  if (frame->type == MessageType::kReject) {
    protocol::Reject reject;
    if (!protocol::Decode(frame->payload, &reject).ok()) co_return Status::Corruption("malformed reject");
    co_return Status::FailedPrecondition(reject.reason);
  }
  protocol::Welcome welcome;
  if (frame->type != MessageType::kWelcome || !protocol::Decode(frame->payload, &welcome).ok()) {
    co_return Status::Corruption("the master did not welcome or refuse this slave");
  }
  link->timer.cancel();
  applier.SetReplicationId(welcome.replication_id);
  Print(fmt::format("Connected to master {}:{} (log {}), resuming at #{} (master at #{}).",
                    options_.master_host, options_.master_port, welcome.replication_id,
                    welcome.from_seq, welcome.last_seq));
  co_return Status::Ok();
}

asio::awaitable<Status> MasterLink::Receive(std::shared_ptr<Link> link, Applier& applier) {
  while (!link->closed) {
    // Backpressure: stop reading while the applier is far behind.
    while (applier.queued() >= Applier::kMaxQueued && !link->closed) {
      asio::steady_timer pause(io_, std::chrono::milliseconds(20));
      co_await pause.async_wait(use_nothrow);
      link->last_heard = std::chrono::steady_clock::now();
    }
    Result<protocol::Frame> frame = co_await protocol::ReadFrame(link->stream, protocol::kMaxFrameSize);
    if (!frame.ok()) co_return frame.status();
    link->last_heard = std::chrono::steady_clock::now();
    if (frame->type == MessageType::kHeartbeat) continue;
    if (frame->type == MessageType::kVerify) {
      protocol::Verify request;
      Status s = protocol::Decode(frame->payload, &request);
      if (!s.ok()) co_return s;
      applier.EnqueueVerify(std::move(request));
      continue;
    }
    if (frame->type != MessageType::kEvent) {
      co_return Status::Corruption(fmt::format("unexpected {} message", protocol::MessageTypeName(frame->type)));
    }
    Result<replication::Event> event = replication::DecodeEvent(frame->payload);
    if (!event.ok()) co_return event.status();
    Status s = applier.Enqueue(std::move(event).value());
    if (!s.ok()) co_return s;
  }
  co_return Status::Unavailable("connection closed");
}

asio::awaitable<void> MasterLink::Heartbeats(std::shared_ptr<Link> link, Applier& applier) {
  while (!link->closed) {
    link->timer.expires_after(kHeartbeatInterval);
    co_await link->timer.async_wait(use_nothrow);
    if (link->closed) break;
    if (std::chrono::steady_clock::now() - link->last_heard > kPeerTimeout) {
      Print("No message from the master for 6 s; assuming it is gone.");
      link->Close();
      break;
    }
    link->Send(MessageType::kHeartbeat,
               protocol::Encode(protocol::Heartbeat{applier.ResumePosition().applied_seq}));
  }
}

}  // namespace sqlrepl::slave
