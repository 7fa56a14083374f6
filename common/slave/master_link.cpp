#include "slave/master_link.hpp"

#include <fmt/format.h>

#include <optional>

#include "protocol/frame_io.hpp"
#include "protocol/link_timing.hpp"
#include "replication/handshake.hpp"

namespace sqlrepl::slave {

using protocol::MessageType;
using protocol::use_nothrow;

struct MasterLink::Link {
  Link(asio::io_context& io, std::shared_ptr<protocol::TlsContext> tls)
      : stream(io, std::move(tls)), writer(stream), timer(io) {}
  void Close() {
    if (closed) return;
    closed = true;
    writer.Stop();
    timer.cancel();
    protocol::CloseStream(stream);
  }
  void Send(MessageType type, std::string payload) {
    if (!closed) writer.Send(type, std::make_shared<const std::string>(std::move(payload)));
  }

  protocol::Stream stream;
  protocol::FrameWriter writer;
  std::optional<protocol::FrameMac> from_master;  // checks every frame after the handshake
  asio::steady_timer timer;                       // deadlines, then heartbeats
  std::chrono::steady_clock::time_point last_heard = std::chrono::steady_clock::now();
  bool closed = false;
};

std::vector<std::string> RetryLines(const RetryView& v) {
  if (v.link_broke) {
    return {fmt::format("Lost the master at {}: {}", v.where, v.reason),
            fmt::format("Master unavailable. Retrying in {}...", v.every)};
  }
  // A master that is not up yet is expected at start (the demo starts
  // both): nothing was lost, so say what the slave waits for. After that,
  // and after a loss, say it again only when the reason changes (a wrong
  // REPL_TOKEN, say): a line per attempt would bury everything else.
  if (!v.ever_connected && v.last_reason.empty()) {
    return {fmt::format("Waiting for the master at {} ... ({}; trying again every {})", v.where,
                        v.reason, v.every)};
  }
  if (v.reason != v.last_reason) {
    return {fmt::format("Still waiting for the master at {}: {}", v.where, v.reason)};
  }
  return {};
}

MasterLink::MasterLink(asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)), retry_timer_(io) {}

void MasterLink::Print(const std::string& line) const {
  if (options_.print) options_.print(line);
}

void MasterLink::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

MasterLink::State MasterLink::state() const {
  std::lock_guard lock(state_mu_);
  return state_;
}

MasterLink::State MasterLink::WithConnection(State state, std::string connection, bool connected,
                                             std::chrono::steady_clock::time_point now) {
  const bool first = state.since == std::chrono::steady_clock::time_point{};
  if (first || connected != state.connected) state.since = now;
  state.connection = std::move(connection);
  state.connected = connected;
  state.ever_connected = state.ever_connected || connected;
  return state;
}

void MasterLink::SetConnection(std::string connection, bool connected) {
  std::lock_guard lock(state_mu_);
  state_ = WithConnection(std::move(state_), std::move(connection), connected,
                          std::chrono::steady_clock::now());
}

void MasterLink::Heard(uint64_t master_seq) {
  std::lock_guard lock(state_mu_);
  state_.master_last_seq = std::max(state_.master_last_seq, master_seq);
  state_.last_heard = std::chrono::steady_clock::now();
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

void MasterLink::SendProgress(const protocol::SnapshotProgress& progress) {
  asio::post(io_, [this, progress] {
    if (link_) link_->Send(MessageType::kSnapshotProgress, protocol::Encode(progress));
  });
}

void MasterLink::SendVerifyResult(const protocol::VerifyResult& result) {
  asio::post(io_, [this, result] {
    if (link_) link_->Send(MessageType::kVerifyResult, protocol::Encode(result));
  });
}

asio::awaitable<int> MasterLink::Run(Applier& applier) {
  const std::string where = fmt::format("{}:{}", options_.master_host, options_.master_port);
  const std::string every = fmt::format("{} second{}", options_.reconnect_seconds,
                                        options_.reconnect_seconds == 1 ? "" : "s");
  SetConnection("connecting (first attempt)", false);
  std::string last_reason;  // the oplog gets a failed attempt when its reason changes
  while (!stopped_) {
    auto link = std::make_shared<Link>(io_, options_.tls);
    Status s = co_await Connect(link);
    if (s.ok()) s = co_await Handshake(link, applier);
    if (s.code() == StatusCode::kFailedPrecondition) {
      Print("The master refused this slave: " + s.message());
      Log(fmt::format("the master at {} refused this slave: {}", where, s.message()));
      SetConnection("refused by the master: " + s.message(), false);
      co_return 2;
    }
    const bool was_connected = s.ok();
    if (s.ok()) {
      link_ = link;
      asio::co_spawn(
          io_, [link]() -> asio::awaitable<void> { co_await link->writer.Run(); }, asio::detached);
      asio::co_spawn(
          io_, Heartbeats(link, [&applier] { return applier.ResumePosition().applied_seq; }),
          asio::detached);
      s = co_await Receive(link, applier);
      link_.reset();
    }
    link->Close();
    if (stopped_) break;
    if (was_connected) {
      Log(fmt::format("disconnected from the master at {}: {}", where, s.message()));
      last_reason = s.message();
    }
    const bool ever_connected = state().ever_connected;
    for (const std::string& line :
         RetryLines({where, every, s.message(), last_reason, was_connected, ever_connected})) {
      Print(line);
    }
    if (!ever_connected) {
      SetConnection("waiting for the master (never connected yet): " + s.message(), false);
    } else {
      SetConnection("lost: " + s.message() + "; retrying every " + every, false);
    }
    if (s.message() != last_reason) {
      Log(fmt::format("cannot reach the master at {}: {}; trying again every {}", where,
                      s.message(), every));
      last_reason = s.message();
    }
    retry_timer_.expires_after(std::chrono::seconds(options_.reconnect_seconds));
    co_await retry_timer_.async_wait(use_nothrow);
  }
  co_return 0;
}

asio::awaitable<Status> MasterLink::Connect(std::shared_ptr<Link> link) {
  asio::ip::tcp::resolver resolver(io_);
  auto [ec, endpoints] = co_await resolver.async_resolve(
      options_.master_host, std::to_string(options_.master_port), use_nothrow);
  if (ec)
    co_return Status::Unavailable(
        fmt::format("cannot resolve {}: {}", options_.master_host, ec.message()));
  link->timer.expires_after(protocol::kHandshakeTimeout);
  link->timer.async_wait([link](asio::error_code e) {
    if (!e) link->Close();
  });
  auto [ec2, endpoint] =
      co_await asio::async_connect(protocol::Socket(link->stream), endpoints, use_nothrow);
  if (ec2) co_return Status::Unavailable(link->closed ? "connection timed out" : ec2.message());
  protocol::PrepareStream(link->stream);
  Status tls = co_await link->stream.ClientHandshake(options_.master_host);
  if (!tls.ok() && link->closed) co_return Status::Unavailable("TLS handshake timed out");
  co_return tls;
}

// The slave's side of the steps in replication/handshake.hpp; the connect
// deadline set in Connect() still runs and covers it. Nothing the peer says
// is believed before it proved REPL_TOKEN: until then every failure is
// kUnavailable (retry), so that whoever holds the master's address while it
// is away can neither stop this slave nor steer it.
namespace {

// The master closed the link before its first answer (`failure`, the read's
// error): the likely cause.
Status NoFirstAnswer(const std::string& where, const std::string& why, bool tls,
                     const asio::error_code& failure) {
  if (tls) {
    // With TLS 1.3 the master checks a client certificate after the
    // handshake returned here, so its refusal arrives on this first read.
    const char* hint = protocol::PeerRefusedCertificate(failure)
                           ? " (a master with TLS_CA needs a client certificate signed by that "
                             "CA: set TLS_CERT and TLS_KEY on the slave)"
                           : "";
    return Status::Unavailable(
        fmt::format("the master at {} ended the TLS session: {}{}", where, why, hint));
  }
  return Status::Unavailable(fmt::format(
      "{} during the handshake: the master at {} may be down or unreachable behind a proxy that "
      "accepts and then closes; or a master older than protocol version {} does this: run the same "
      "sqlrepl version on both sides",
      why, where, protocol::kOldestProtocolVersion));
}

// A refusal before the master proved it knows REPL_TOKEN: unsealed, so
// anyone could have sent it. Shown, never obeyed (the slave keeps trying).
Status UnsealedRefusal(const std::string& where, const std::string& payload) {
  protocol::Reject reject;
  const bool readable = protocol::Decode(payload, &reject).ok();
  if (readable && reject.code == protocol::RejectCode::kTlsRequired) {
    return Status::Unavailable(
        fmt::format("the master at {} requires TLS and this slave speaks plain sqlrepl: set TLS_CA "
                    "on the slave "
                    "to the CA that signed the master's certificate (the master said: {})",
                    where, protocol::EscapeForLog(reject.reason)));
  }
  return Status::Unavailable(fmt::format(
      "{} refused this slave without proving it knows REPL_TOKEN, so it is not obeyed: {}", where,
      readable ? protocol::EscapeForLog(reject.reason) : "(unreadable refusal)"));
}

}  // namespace

asio::awaitable<Result<std::string>> MasterLink::SendHello(Link& link,
                                                          const SlavePosition& position,
                                                          protocol::HelloPurpose purpose) {
  Result<replication::Nonce> nonce = replication::MakeNonce(options_.random);
  if (!nonce.ok()) {
    co_return Status::Unavailable("cannot start the handshake: " + nonce.status().message());
  }
  protocol::Hello hello{protocol::HelloVersion(purpose), options_.slave_id,
                        position.replication_id,      position.applied_seq,
                        *nonce,                       purpose};
  std::string payload = protocol::Encode(hello);
  const std::string frame = protocol::EncodeFrame(MessageType::kHello, payload);
  auto [ec, n] = co_await asio::async_write(link.stream, asio::buffer(frame), use_nothrow);
  if (ec) co_return Status::Unavailable(ec.message());
  co_return payload;
}

asio::awaitable<Result<replication::SessionKeys>> MasterLink::Authenticate(
    Link& link, const std::string& where, const std::string& hello_payload) {
  asio::error_code failure;
  Result<protocol::Frame> frame =
      co_await protocol::ReadFrame(link.stream, protocol::kMaxHandshakeFrame, &failure);
  if (!frame.ok()) {
    if (frame.status().code() != StatusCode::kUnavailable || link.closed) co_return frame.status();
    co_return NoFirstAnswer(where, frame.status().message(), link.stream.tls(), failure);
  }
  if (frame->type == MessageType::kReject) co_return UnsealedRefusal(where, frame->payload);
  protocol::Challenge challenge;
  if (frame->type != MessageType::kChallenge ||
      !protocol::Decode(frame->payload, &challenge).ok()) {
    co_return Status::Unavailable(
        fmt::format("{} did not answer with a valid challenge; not a master", where));
  }
  const replication::Transcript transcript =
      replication::MakeTranscript(hello_payload, challenge.nonce);
  if (!replication::VerifyMasterProof(options_.token, transcript, challenge.proof)) {
    // Tell the master why (it logs it for its operator); no secret in it.
    const std::string why = protocol::EncodeFrame(
        MessageType::kReject, protocol::Encode(protocol::Reject{protocol::RejectCode::kBadAuth,
                                                                "master proof not verified"}));
    co_await asio::async_write(link.stream, asio::buffer(why), use_nothrow);
    co_return Status::Unavailable(
        fmt::format("{} could not prove it knows REPL_TOKEN: either REPL_TOKEN differs between "
                    "master and slave, "
                    "or something other than the master is listening there; not following it",
                    where));
  }
  protocol::Auth auth{replication::SlaveProof(options_.token, transcript)};
  const std::string auth_frame = protocol::EncodeFrame(MessageType::kAuth, protocol::Encode(auth));
  auto [ec, n] = co_await asio::async_write(link.stream, asio::buffer(auth_frame), use_nothrow);
  if (ec) co_return Status::Unavailable(ec.message());
  co_return replication::DeriveSessionKeys(options_.token, transcript);
}

asio::awaitable<Result<protocol::Welcome>> MasterLink::ReadWelcome(
    Link& link, const std::string& where, const replication::SessionKeys& keys) {
  link.from_master.emplace(keys.master_to_slave);
  Result<protocol::Frame> frame =
      co_await protocol::ReadFrame(link.stream, protocol::kMaxMessageLength + 1024);
  if (!frame.ok()) co_return frame.status();
  Status sealed = link.from_master->Open(frame->type, &frame->payload);
  if (!sealed.ok()) co_return Status::Unavailable(fmt::format("{}: {}", where, sealed.message()));
  if (frame->type == MessageType::kReject) {
    protocol::Reject reject;
    if (!protocol::Decode(frame->payload, &reject).ok())
      co_return Status::Corruption("malformed reject");
    const std::string reason = protocol::EscapeForLog(reject.reason, protocol::kMaxMessageLength);
    // A full master is a reason to wait, not to stop.
    if (reject.code == protocol::RejectCode::kTooManySlaves) co_return Status::Unavailable(reason);
    co_return Status::FailedPrecondition(reason);
  }
  protocol::Welcome welcome;
  if (frame->type != MessageType::kWelcome || !protocol::Decode(frame->payload, &welcome).ok() ||
      !protocol::IsValidId(welcome.replication_id)) {
    co_return Status::Corruption("the master did not welcome or refuse this slave");
  }
  co_return welcome;
}

asio::awaitable<Result<protocol::Welcome>> MasterLink::Greet(Link& link,
                                                            const SlavePosition& position,
                                                            protocol::HelloPurpose purpose) {
  const std::string where = fmt::format("{}:{}", options_.master_host, options_.master_port);
  Result<std::string> hello = co_await SendHello(link, position, purpose);
  if (!hello.ok()) co_return hello.status();
  Result<replication::SessionKeys> keys = co_await Authenticate(link, where, *hello);
  if (!keys.ok()) co_return keys.status();
  Result<protocol::Welcome> welcome = co_await ReadWelcome(link, where, *keys);
  if (welcome.ok()) link.writer.Seal(protocol::FrameMac(keys->slave_to_master));
  co_return welcome;
}

asio::awaitable<Status> MasterLink::Handshake(std::shared_ptr<Link> link, Applier& applier) {
  const std::string where = fmt::format("{}:{}", options_.master_host, options_.master_port);
  Result<protocol::Welcome> welcome =
      co_await Greet(*link, applier.ResumePosition(), protocol::HelloPurpose::kFollow);
  if (!welcome.ok()) co_return welcome.status();
  // The master trusts only acknowledgements for what a slave has applied
  // (its Hello says what it has queued). Acknowledge what was applied before
  // this connection, or a restarted master would wait for it (\verify) and
  // show the slave as far behind until the next write.
  const uint64_t applied = applier.counters().applied_seq;
  if (applied > 0 && applied <= welcome->last_seq) {
    link->Send(MessageType::kAck,
               protocol::Encode(protocol::Ack{applied, protocol::AckOutcome::kApplied, 0, ""}));
  }
  link->timer.cancel();
  applier.SetReplicationId(welcome->replication_id);
  Print(fmt::format("Connected to master {}:{} (log {}), resuming at #{} (master at #{}).",
                    options_.master_host, options_.master_port, welcome->replication_id,
                    welcome->from_seq, welcome->last_seq));
  Log(
      fmt::format("connected to the master at {}: handshake done (log {}), resuming at #{}, "
                  "master at #{}",
                  where, welcome->replication_id, welcome->from_seq, welcome->last_seq));
  SetConnection("connected", true);
  Heard(welcome->last_seq);
  co_return Status::Ok();
}

asio::awaitable<Status> MasterLink::Receive(std::shared_ptr<Link> link, Applier& applier) {
  // Named: GCC 12 destroys a temporary argument of a co_await expression twice.
  const std::function<bool()> full = [this, &applier] {
    return applier.queued() >= Applier::kMaxQueued ||
           QueuedBytes(applier) >= options_.max_queued_bytes;
  };
  while (!link->closed) {
    // Backpressure: stop reading while the applier is far behind, in events
    // or in bytes (2,000 events may be 16 MiB each).
    Result<protocol::Frame> frame = co_await NextFrame(link, full);
    if (!frame.ok()) co_return frame.status();
    if (frame->type == MessageType::kHeartbeat) {
      protocol::Heartbeat heartbeat;
      if (protocol::Decode(frame->payload, &heartbeat).ok()) Heard(heartbeat.seq);
      continue;
    }
    if (frame->type == MessageType::kVerify) {
      protocol::Verify request;
      Status s = protocol::Decode(frame->payload, &request);
      if (!s.ok()) co_return s;
      applier.EnqueueVerify(std::move(request));
      Queued(frame->payload.size());
      continue;
    }
    if (frame->type != MessageType::kEvent) {
      co_return Status::Corruption(
          fmt::format("unexpected {} message", protocol::MessageTypeName(frame->type)));
    }
    Result<replication::Event> event = replication::DecodeEvent(frame->payload);
    if (!event.ok()) co_return event.status();
    // A resend of an event already held is dropped by the applier, not queued.
    const bool held = event->seq <= applier.ResumePosition().applied_seq;
    Heard(event->seq);
    Status s = applier.Enqueue(std::move(event).value());
    if (!s.ok()) co_return s;
    if (!held) Queued(frame->payload.size());
  }
  co_return Status::Unavailable("connection closed");
}

asio::awaitable<Result<protocol::Frame>> MasterLink::NextFrame(std::shared_ptr<Link> link,
                                                               const std::function<bool()>& hold) {
  while (hold() && !link->closed) {
    asio::steady_timer pause(io_, std::chrono::milliseconds(20));
    co_await pause.async_wait(use_nothrow);
    link->last_heard = std::chrono::steady_clock::now();  // our pause, not the master's silence
  }
  Result<protocol::Frame> frame =
      co_await protocol::ReadFrame(link->stream, protocol::kMaxFrameSize);
  if (!frame.ok()) co_return frame.status();
  Status sealed = link->from_master->Open(frame->type, &frame->payload);
  if (!sealed.ok()) co_return sealed;
  link->last_heard = std::chrono::steady_clock::now();
  co_return frame;
}

size_t MasterLink::QueuedBytes(const Applier& applier) {
  const size_t held = applier.queued();
  while (queued_sizes_.size() > held) {
    queued_bytes_ -= queued_sizes_.front();
    queued_sizes_.pop_front();
  }
  return queued_bytes_;
}

void MasterLink::Queued(size_t bytes) {
  queued_sizes_.push_back(bytes);
  queued_bytes_ += bytes;
}

asio::awaitable<void> MasterLink::Heartbeats(std::shared_ptr<Link> link,
                                             std::function<uint64_t()> applied) {
  while (!link->closed) {
    link->timer.expires_after(protocol::kHeartbeatInterval);
    co_await link->timer.async_wait(use_nothrow);
    if (link->closed) break;
    if (std::chrono::steady_clock::now() - link->last_heard > protocol::kPeerTimeout) {
      const auto silent = protocol::kPeerTimeout.count();
      Print(fmt::format("No message from the master for {} s; assuming it is gone.", silent));
      Log(fmt::format("no message from the master for {} s; closing the link", silent));
      link->Close();
      break;
    }
    link->Send(MessageType::kHeartbeat,
               protocol::Encode(protocol::Heartbeat{applied()}));
  }
}

asio::awaitable<Status> MasterLink::Provision(SnapshotSink& sink) {
  auto link = std::make_shared<Link>(io_, options_.tls);
  Status s = co_await Connect(link);
  if (s.ok()) {
    const SlavePosition none;  // named: GCC 12 destroys a temporary co_await argument twice
    Result<protocol::Welcome> welcome =
        co_await Greet(*link, none, protocol::HelloPurpose::kProvision);
    s = welcome.status();
    if (s.ok()) {
      link->timer.cancel();
      Log(fmt::format("connected to the master at {}:{} to be provisioned (log {})",
                      options_.master_host, options_.master_port, welcome->replication_id));
      sink.Welcomed();
    }
  }
  if (s.ok() && !stopped_) {
    link_ = link;
    asio::co_spawn(
        io_, [link]() -> asio::awaitable<void> { co_await link->writer.Run(); }, asio::detached);
    asio::co_spawn(io_, Heartbeats(link, [] { return uint64_t{0}; }), asio::detached);
    s = co_await ReceiveSnapshot(link, sink);
    link_.reset();
  }
  link->Close();
  co_return s;
}

asio::awaitable<Status> MasterLink::ReceiveSnapshot(std::shared_ptr<Link> link,
                                                    SnapshotSink& sink) {
  const std::function<bool()> full = [&sink] { return sink.Full(); };  // named, as in Receive
  while (!link->closed) {
    Result<protocol::Frame> frame = co_await NextFrame(link, full);
    if (!frame.ok()) co_return frame.status();
    switch (frame->type) {
      case MessageType::kHeartbeat:
        continue;
      case MessageType::kReject: {
        protocol::Reject reject;
        if (!protocol::Decode(frame->payload, &reject).ok()) {
          co_return Status::Corruption("malformed reject");
        }
        co_return Status::FailedPrecondition(
            protocol::EscapeForLog(reject.reason, protocol::kMaxMessageLength));
      }
      case MessageType::kSnapshotBegin:
      case MessageType::kSnapshotTable:
      case MessageType::kSnapshotRows:
      case MessageType::kSnapshotEnd:
        sink.Put(frame->type, std::move(frame->payload));
        continue;
      default:
        co_return Status::Corruption(
            fmt::format("unexpected {} message", protocol::MessageTypeName(frame->type)));
    }
  }
  co_return Status::Unavailable("connection closed");
}

}  // namespace sqlrepl::slave
