// libFuzzer target over both sides of the handshake, as pure steps:
//   master: a Hello (any version) and an Auth from an unknown peer;
//   slave:  a Challenge and a Welcome or Reject from an unknown peer.
// Invariants: no input gets past a proof or a seal without the token, and
// the master's decision is always a Welcome at applied + 1 or a Reject.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/frame_mac.hpp"
#include "protocol/messages.hpp"
#include "replication/handshake.hpp"

using namespace sqlrepl;

namespace {

const Secret kToken("fuzz-token-0123456789abcdef");

void MasterSide(std::string_view hello_payload, std::string_view auth_payload) {
  uint16_t version = 0;
  if (!protocol::PeekVersion(hello_payload, &version).ok()) return;
  protocol::Hello hello;
  if (version == protocol::kProtocolVersion && !protocol::Decode(hello_payload, &hello).ok())
    return;
  hello.version = version;
  const replication::LogBounds log{"0123456789abcdef0123456789abcdef", 10, 50};
  auto decision = replication::Decide(log, hello);
  if (auto* w = std::get_if<protocol::Welcome>(&decision)) {
    if (version != protocol::kProtocolVersion || w->from_seq < log.first_seq ||
        w->from_seq > log.last_seq + 1) {
      std::abort();
    }
  }
  replication::Nonce nonce{};
  nonce.fill(3);
  const replication::Transcript t = replication::MakeTranscript(hello_payload, nonce);
  protocol::Auth auth;
  if (protocol::Decode(auth_payload, &auth).ok() &&
      replication::VerifySlaveProof(kToken, t, auth.mac))
    std::abort();
}

void SlaveSide(std::string_view hello_payload, std::string_view challenge_payload,
               std::string_view verdict) {
  protocol::Challenge challenge;
  if (!protocol::Decode(challenge_payload, &challenge).ok()) return;
  const replication::Transcript t = replication::MakeTranscript(hello_payload, challenge.nonce);
  if (replication::VerifyMasterProof(kToken, t, challenge.proof)) std::abort();
  // Even past that check, a verdict must carry the session's seal.
  protocol::FrameMac from_master(replication::DeriveSessionKeys(kToken, t).master_to_slave);
  std::string payload(verdict);
  if (from_master.Open(protocol::MessageType::kWelcome, &payload).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Three parts, cut where the first two bytes say.
  if (size < 2) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t a = std::min<size_t>(data[0], in.size());
  const size_t b = std::min<size_t>(a + data[1], in.size());
  MasterSide(in.substr(0, a), in.substr(a, b - a));
  SlaveSide(in.substr(0, a), in.substr(a, b - a), in.substr(b));
  return 0;
}
