#include "feed/slave_session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "protocol/messages.hpp"
#include "replication/event.hpp"
#include "replication/handshake.hpp"

namespace sqlrepl::feed {

using protocol::kMaxHandshakeFrame;
using protocol::MessageType;
using protocol::use_nothrow;

namespace {

std::shared_ptr<const std::string> Share(std::string payload) {
  return std::make_shared<const std::string>(std::move(payload));
}

}  // namespace

SlaveSession::SlaveSession(SessionHost* host, protocol::Stream stream)
    : host_(host),
      stream_(std::move(stream)),
      writer_(stream_),
      timer_(stream_.get_executor()),
      address_(protocol::PeerAddress(stream_)) {}

void SlaveSession::Start() {
  asio::co_spawn(
      stream_.get_executor(), [self = shared_from_this()] { return self->Run(); }, asio::detached);
}

void SlaveSession::Close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!reason.empty()) {
    host_->Log(fmt::format("{} ({}): {}", slave_id_.empty() ? "connection" : "slave " + slave_id_,
                           address_, reason));
  }
  if (authenticated_) {
    host_->registry().Disconnected(slave_id_, generation_, reason);
  }
  if (feed_) feed_->Cancel();
  writer_.Stop();
  timer_.cancel();
  protocol::CloseStream(stream_);
}

asio::awaitable<void> SlaveSession::Run() {
  auto self = shared_from_this();
  // A peer that does not finish the handshake in time is cut off.
  timer_.expires_after(protocol::kHandshakeTimeout);
  timer_.async_wait([this, self](asio::error_code ec) {
    if (!ec && !authenticated_ && !claiming_id_) {
      Close(
          fmt::format("handshake not completed within {} s", protocol::kHandshakeTimeout.count()));
    }
  });
  Status handshake = co_await stream_.ServerHandshake();
  if (handshake.code() == StatusCode::kFailedPrecondition) {
    co_await RefuseTlsMismatch(handshake.message());
  } else if (handshake.ok()) {
    handshake = co_await Handshake();
  }
  host_->HandshakeEnded();
  if (!handshake.ok()) {
    Close(handshake.message());
    host_->Unregister(self);  // it may have claimed its id before the welcome failed
    co_return;
  }
  timer_.cancel();
  asio::co_spawn(
      stream_.get_executor(), [self] { return self->Writer(); }, asio::detached);
  asio::co_spawn(
      stream_.get_executor(), [self] { return self->Heartbeats(); }, asio::detached);
  if (provisioning_) {
    StartSnapshot();
  } else {
    writer_.set_on_drain([this] {
      if (catching_up_ && !batch_pending_ && WantsBatch()) RequestBatch();
    });
    StartCatchUp();
  }

  while (!closed_) {
    Result<protocol::Frame> frame = co_await protocol::ReadFrame(stream_, protocol::kMaxSlaveFrame);
    const Status s = frame.ok() ? OnFrame(*frame) : frame.status();
    if (!s.ok()) {
      // A provisioned slave closes the link once it has loaded the copy.
      const bool done = provisioning_ && snapshot_sent_ && !frame.ok();
      Close(done ? "disconnected after its snapshot" : s.message());
      break;
    }
  }
  host_->Unregister(self);
}

Status SlaveSession::OnFrame(protocol::Frame& frame) {
  if (Status sealed = from_slave_->Open(frame.type, &frame.payload); !sealed.ok()) return sealed;
  last_heard_ = std::chrono::steady_clock::now();
  if (frame.type == MessageType::kAck) {
    protocol::Ack ack;
    if (Status s = protocol::Decode(frame.payload, &ack); !s.ok()) return s;
    host_->registry().Acknowledged(slave_id_, generation_, ack);
  } else if (frame.type == MessageType::kSnapshotProgress && provisioning_) {
    protocol::SnapshotProgress progress;
    if (Status s = protocol::Decode(frame.payload, &progress); !s.ok()) return s;
    // By bytes, as the slave's own line; 100% only once it is done, and 0
    // while the server's estimate says nothing (its statistics lag).
    const uint64_t estimate = snapshot_bytes_estimate_;
    const int percent =
        estimate == 0 ? 0
                      : static_cast<int>(std::min<uint64_t>(99, progress.bytes * 100 / estimate));
    host_->registry().ProvisioningProgress(slave_id_, generation_, percent);
  } else if (frame.type == MessageType::kVerifyResult) {
    protocol::VerifyResult result;
    if (Status s = protocol::Decode(frame.payload, &result); !s.ok()) return s;
    host_->registry().VerifyAnswered(slave_id_, generation_, std::move(result));
  } else if (frame.type != MessageType::kHeartbeat) {
    return Status::Corruption(
        fmt::format("unexpected {} message", protocol::MessageTypeName(frame.type)));
  }
  return Status::Ok();
}

// Callers pass a named string: GCC 12 destroys a temporary argument of a
// co_await expression twice.
asio::awaitable<Status> SlaveSession::WriteNow(const std::string& frame) {
  auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(frame), use_nothrow);
  if (ec) co_return Status::Unavailable(ec.message());
  co_return Status::Ok();
}

asio::awaitable<Status> SlaveSession::Refuse(const protocol::Reject& reject,
                                             protocol::FrameMac* seal, const Status& why) {
  const std::string payload = protocol::Encode(reject);
  const std::string bytes = seal != nullptr ? seal->SealFrame(MessageType::kReject, payload)
                                            : protocol::EncodeFrame(MessageType::kReject, payload);
  co_await WriteNow(bytes);
  co_return why;
}

// A plain slave gets its hello answered with an unsealed refusal it can
// print. A TLS slave gets the same frame where its TLS library expects a
// record, so it can tell it met a plain master; what it sent is read to
// its end first (bounded by the handshake deadline), so that closing does
// not reset the connection before it reads the answer.
asio::awaitable<void> SlaveSession::RefuseTlsMismatch(const std::string& why) {
  if (stream_.tls()) {
    Result<protocol::Frame> hello =
        co_await protocol::ReadFrame(stream_.lowest_layer(), kMaxHandshakeFrame);
    if (!hello.ok()) co_return;
  }
  const std::string bytes = protocol::EncodeFrame(
      MessageType::kReject,
      protocol::Encode(protocol::Reject{protocol::RejectCode::kTlsRequired, why}));
  auto [write_ec, written] =
      co_await asio::async_write(stream_.lowest_layer(), asio::buffer(bytes), use_nothrow);
  if (write_ec || stream_.tls()) co_return;
  asio::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink;
  for (size_t total = 0; total < 64 * 1024;) {
    auto [read_ec, n] =
        co_await stream_.lowest_layer().async_read_some(asio::buffer(sink), use_nothrow);
    if (read_ec) break;
    total += n;
  }
}

// Steps 1-4 of the handshake in replication/handshake.hpp.
asio::awaitable<Status> SlaveSession::Handshake() {
  std::string hello_payload;
  Result<protocol::Hello> hello = co_await ReadHello(&hello_payload);
  if (!hello.ok()) co_return hello.status();
  const std::string id = protocol::EscapeForLog(hello->slave_id);  // valid ids print as they are
  Result<replication::SessionKeys> keys = co_await Authenticate(hello_payload, id);
  if (!keys.ok()) co_return keys.status();
  co_return co_await Admit(*hello, *keys, id);
}

asio::awaitable<Result<protocol::Hello>> SlaveSession::ReadHello(std::string* payload) {
  Result<protocol::Frame> frame = co_await protocol::ReadFrame(stream_, kMaxHandshakeFrame);
  if (!frame.ok()) co_return frame.status();
  if (frame->type != MessageType::kHello) {
    co_return Status::Corruption(
        fmt::format("expected hello, got {}", protocol::MessageTypeName(frame->type)));
  }
  // Another version lays the rest out differently: answer from its first
  // field, in plain words (that slave has no keys to check a seal with).
  uint16_t version = 0;
  Status s = protocol::PeekVersion(frame->payload, &version);
  if (!s.ok()) co_return s;
  if (version < protocol::kOldestProtocolVersion || version > protocol::kProtocolVersion) {
    protocol::Hello other;
    other.version = version;
    const protocol::Reject reject =
        std::get<protocol::Reject>(replication::Decide(host_->bounds(), other));
    const Status why = Status::FailedPrecondition(
        fmt::format("refused a slave that speaks protocol version {} (this master speaks {} to {})",
                    version, protocol::kOldestProtocolVersion, protocol::kProtocolVersion));
    co_return co_await Refuse(reject, nullptr, why);
  }
  protocol::Hello hello;
  s = protocol::Decode(frame->payload, &hello);
  if (!s.ok()) co_return s;
  *payload = std::move(frame->payload);
  co_return hello;
}

asio::awaitable<Result<replication::SessionKeys>> SlaveSession::Authenticate(
    const std::string& hello_payload, const std::string& id) {
  // Without randomness the master cannot prove itself: this slave is told
  // to try again later, and the master serves on.
  Result<replication::Nonce> nonce = replication::MakeNonce(host_->random());
  if (!nonce.ok()) {
    const protocol::Reject reject{protocol::RejectCode::kTooManySlaves,
                                  "the master cannot authenticate anyone now: " +
                                      nonce.status().message() + "; try again later"};
    const Status why = Status::Unavailable(
        fmt::format("refused slave '{}': {} (the system's random source failed)", id,
                    nonce.status().message()));
    co_return co_await Refuse(reject, nullptr, why);
  }
  protocol::Challenge challenge;
  challenge.nonce = *nonce;
  const replication::Transcript transcript =
      replication::MakeTranscript(hello_payload, challenge.nonce);
  challenge.proof = replication::MasterProof(host_->token(), transcript);
  const std::string challenge_frame =
      protocol::EncodeFrame(MessageType::kChallenge, protocol::Encode(challenge));
  Status s = co_await WriteNow(challenge_frame);
  if (!s.ok()) co_return s;

  Result<protocol::Frame> frame = co_await protocol::ReadFrame(stream_, kMaxHandshakeFrame);
  if (!frame.ok()) co_return frame.status();
  if (frame->type == MessageType::kReject) {
    // The slave's own word, unauthenticated: only logged.
    co_return Status::InvalidArgument(fmt::format(
        "slave '{}' failed authentication (wrong REPL_TOKEN): it could not verify this master's "
        "proof of the token",
        id));
  }
  protocol::Auth auth;
  if (frame->type != MessageType::kAuth || !protocol::Decode(frame->payload, &auth).ok() ||
      !replication::VerifySlaveProof(host_->token(), transcript, auth.mac)) {
    // Unsealed: whoever sent a wrong proof has no keys to check a seal with.
    const protocol::Reject reject{protocol::RejectCode::kBadAuth,
                                  "authentication failed: REPL_TOKEN differs from the master's"};
    const Status why = Status::InvalidArgument(
        fmt::format("slave '{}' failed authentication (wrong REPL_TOKEN)", id));
    co_return co_await Refuse(reject, nullptr, why);
  }
  co_return replication::DeriveSessionKeys(host_->token(), transcript);
}

asio::awaitable<Status> SlaveSession::Admit(const protocol::Hello& hello,
                                            const replication::SessionKeys& keys,
                                            const std::string& id) {
  protocol::FrameMac to_slave(keys.master_to_slave);
  from_slave_.emplace(keys.slave_to_master);

  auto decision = replication::Decide(host_->bounds(), hello);
  provisioning_ = hello.purpose == protocol::HelloPurpose::kProvision;
  if (auto* reject = std::get_if<protocol::Reject>(&decision)) {
    const Status why =
        Status::FailedPrecondition(fmt::format("slave '{}' refused: {}", id, reject->reason));
    co_return co_await Refuse(*reject, &to_slave, why);
  }
  Status claimed = co_await ClaimSlaveId(hello.slave_id);
  if (!claimed.ok()) {
    const protocol::Reject reject{claimed.code() == StatusCode::kUnavailable
                                      ? protocol::RejectCode::kTooManySlaves
                                      : protocol::RejectCode::kDuplicateSlaveId,
                                  claimed.message()};
    co_return co_await Refuse(reject, &to_slave, claimed);
  }
  const protocol::Welcome& welcome = std::get<protocol::Welcome>(decision);
  const std::string welcome_frame =
      to_slave.SealFrame(MessageType::kWelcome, protocol::Encode(welcome));
  Status s = co_await WriteNow(welcome_frame);
  if (!s.ok()) co_return s;
  writer_.Seal(std::move(to_slave));

  next_seq_ = welcome.from_seq;
  authenticated_ = true;
  if (provisioning_) {
    generation_ = host_->registry().ProvisioningStarted(slave_id_, address_);
    host_->Log(fmt::format("slave {} connected from {} to be provisioned from a snapshot", slave_id_,
                           address_));
    co_return Status::Ok();
  }
  generation_ = host_->registry().Connected(slave_id_, address_);
  host_->Log(
      fmt::format("slave {} connected from {}, resuming at #{}", slave_id_, address_, next_seq_));
  co_return Status::Ok();
}

// Two slaves with one SLAVE_ID would evict each other on every reconnect
// and share one purge position, so only one may be connected. An open
// connection with this id is either another slave, which heartbeats every
// second, or this slave's previous connection, dead without a word (the
// slave reconnects only after giving it up). So:
//   1. no open namesake: this connection takes the id;
//   2. the namesake sends anything within kDuplicateProbe: it is alive, and
//      this newcomer is refused with kDuplicateSlaveId;
//   3. it stays silent: it is this slave's dead connection; it is closed and
//      the newcomer takes its place.
// The id is registered before any co_await can let a third connection in.
asio::awaitable<Status> SlaveSession::ClaimSlaveId(const std::string& slave_id) {
  std::shared_ptr<SlaveSession> namesake = host_->FindSession(slave_id);
  if (namesake) {
    claiming_id_ = true;
    const auto asked = std::chrono::steady_clock::now();
    asio::steady_timer probe(stream_.get_executor());
    while (!closed_ && !namesake->closed() && namesake->last_heard() <= asked &&
           std::chrono::steady_clock::now() - asked < kDuplicateProbe) {
      probe.expires_after(std::chrono::milliseconds(50));
      co_await probe.async_wait(use_nothrow);
    }
    claiming_id_ = false;
    if (closed_) co_return Status::Unavailable("connection closed");
    if (!namesake->closed() && namesake->last_heard() <= asked) {
      namesake->Close(
          fmt::format("silent for {} s while the same slave connected again; replaced",
                      std::chrono::duration_cast<std::chrono::seconds>(kDuplicateProbe).count()));
    }
  }
  if (std::shared_ptr<SlaveSession> other = host_->FindSession(slave_id)) {
    co_return Status::FailedPrecondition(fmt::format(
        "another slave is connected with SLAVE_ID '{}' (from {}); set SLAVE_ID to a distinct name "
        "for each slave",
        slave_id, other->address_));
  }
  if (host_->slave_count() >= host_->max_slaves()) {
    co_return Status::Unavailable(fmt::format(
        "the master already serves {} slaves, its limit; try again later", host_->slave_count()));
  }
  slave_id_ = slave_id;
  host_->Register(shared_from_this());
  co_return Status::Ok();
}

asio::awaitable<void> SlaveSession::Writer() {
  auto self = shared_from_this();
  Status s = co_await writer_.Run();
  if (!s.ok()) Close(s.message());
}

asio::awaitable<void> SlaveSession::Heartbeats() {
  auto self = shared_from_this();
  while (!closed_) {
    timer_.expires_after(protocol::kHeartbeatInterval);
    co_await timer_.async_wait(use_nothrow);
    if (closed_) break;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_heard_ > protocol::kPeerTimeout) {
      Close(fmt::format("no message from the slave for {} s; assuming it is gone",
                        protocol::kPeerTimeout.count()));
      break;
    }
    if (writer_.queued_frames() == 0 &&
        now - writer_.last_write() >= protocol::kHeartbeatInterval) {
      Enqueue(MessageType::kHeartbeat,
              Share(protocol::Encode(protocol::Heartbeat{host_->bounds().last_seq})));
    }
  }
}

void SlaveSession::Enqueue(MessageType type, std::shared_ptr<const std::string> payload) {
  if (closed_) return;
  const size_t limit = host_->max_queued_bytes();
  const size_t size = protocol::kHeaderSize + payload->size() + protocol::kTagSize;
  if (writer_.queued_bytes() + size > limit) {
    Close(
        fmt::format("slave too slow: more than {} MiB of events waiting for it; it will catch up "
                    "from the log when it reconnects",
                    limit / (1024 * 1024)));
    return;
  }
  writer_.Send(type, std::move(payload));
}

bool SlaveSession::WantsBatch() const {
  const size_t low_water_bytes = std::min(kCatchUpLowWaterBytes, host_->max_queued_bytes() / 4);
  return writer_.queued_frames() < kCatchUpLowWater && writer_.queued_bytes() < low_water_bytes;
}

void SlaveSession::StartCatchUp() {
  if (closed_) return;
  if (next_seq_ > host_->bounds().last_seq) return GoLive();
  catching_up_ = true;
  ReportState(SlaveState::kCatchingUp);
  if (!batch_pending_) RequestBatch();
}

void SlaveSession::RequestBatch() {
  batch_pending_ = true;
  host_->reader().Request(next_seq_, [self = shared_from_this()](log::LogReader::Batch batch) {
    self->OnBatch(std::move(batch));
  });
}

void SlaveSession::OnBatch(log::LogReader::Batch batch) {
  batch_pending_ = false;
  if (closed_) return;
  if (!batch.ok()) return Close("cannot read the replication log: " + batch.status().ToString());
  for (std::string& encoded : *batch) {
    Result<uint64_t> seq = replication::PeekEventSeq(encoded);
    if (!seq.ok() || *seq != next_seq_) {
      return Close(fmt::format("the replication log has no event #{}", next_seq_));
    }
    Enqueue(MessageType::kEvent, Share(std::move(encoded)));
    if (closed_) return;  // too slow: dropped midway, and must not go live
    ++next_seq_;
  }
  if (next_seq_ > host_->bounds().last_seq) return GoLive();
  if (batch->empty()) return Close(fmt::format("the replication log has no event #{}", next_seq_));
  if (WantsBatch()) RequestBatch();
}

void SlaveSession::GoLive() {
  catching_up_ = false;
  ReportState(SlaveState::kLive);
}

void SlaveSession::ReportState(SlaveState state) {
  // Close() reported kOffline for good; the registry also ignores a late
  // report for an ended generation, this keeps the session honest itself.
  if (!closed_) host_->registry().SetState(slave_id_, generation_, state);
}

void SlaveSession::SendVerify(const std::shared_ptr<const std::string>& request) {
  if (!closed_ && authenticated_ && !provisioning_) Enqueue(MessageType::kVerify, request);
}

void SlaveSession::DeliverLive(uint64_t seq, const std::shared_ptr<const std::string>& event) {
  if (closed_ || !authenticated_ || provisioning_ || catching_up_ || seq < next_seq_) return;
  if (seq > next_seq_) return StartCatchUp();  // missed some: read them from the log
  Enqueue(MessageType::kEvent, event);
  ++next_seq_;
}

void SlaveSession::StartSnapshot() {
  // The snapshot's frames go out one or two at a time, after what is
  // already written: heartbeats still get through, and the reader waits
  // while the slave is slow (SnapshotFeed's bound).
  writer_.set_on_drain([this] { PumpSnapshot(); });
  std::weak_ptr<SlaveSession> weak = weak_from_this();
  feed_ = host_->StartSnapshot([weak, executor = stream_.get_executor()] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock()) self->PumpSnapshot();
    });
  });
}

void SlaveSession::PumpSnapshot() {
  if (closed_ || !feed_ || snapshot_ended_) return;
  while (writer_.queued_frames() < 2) {
    std::optional<SnapshotFeed::Message> m = feed_->Take();
    if (!m) break;
    if (m->type == MessageType::kSnapshotBegin) SnapshotBegun(*m->payload);
    Enqueue(m->type, std::move(m->payload));
    if (closed_) return;
  }
  if (std::optional<Status> ended = feed_->Ended()) SnapshotEnded(*ended);
}

void SlaveSession::SnapshotBegun(const std::string& payload) {
  protocol::SnapshotBegin begin;
  if (!protocol::Decode(payload, &begin).ok()) return;  // our own reader's: cannot happen
  snapshot_bytes_estimate_ = begin.bytes_estimate;
  host_->registry().SnapshotTaken(slave_id_, generation_, begin.position);
  host_->Log(fmt::format(
      "slave {}: copying a snapshot of {} at #{} (~{} rows, ~{} MiB in {} tables)", slave_id_,
      begin.database, begin.position, begin.rows_estimate, begin.bytes_estimate / (1024 * 1024),
      begin.table_count));
}

void SlaveSession::SnapshotEnded(const Status& status) {
  snapshot_ended_ = true;
  snapshot_sent_ = status.ok();
  if (status.ok()) {
    host_->registry().ProvisioningProgress(slave_id_, generation_, 100);
    host_->Log(fmt::format("slave {}: snapshot sent", slave_id_));
    return;  // the slave closes the connection once it has loaded it
  }
  // Told to the slave, sealed, so that it can say why; it then closes.
  host_->Log(fmt::format("slave {}: provisioning failed: {}", slave_id_, status.ToString()));
  Enqueue(MessageType::kReject,
          Share(protocol::Encode(
              protocol::Reject{protocol::RejectCode::kSnapshotFailed, status.message()})));
}

}  // namespace sqlrepl::feed
