// The decisions of the replication handshake, as pure functions that can be
// tested without sockets. Both sides prove REPL_TOKEN, which never crosses
// the wire, and the session that follows is bound to the handshake.
//
// 1. The slave sends Hello (version, id, replication id, applied position,
//    a fresh random slave nonce).
// 2. The master answers Challenge: a fresh master nonce and
//    proof = MasterProof(token, transcript), where
//    transcript = SHA-256(Hello payload as received || master nonce).
//    The slave checks the proof before it believes anything the peer says;
//    a peer that cannot prove the token is not the master, and the slave
//    treats it as unavailable (retry), never as a refusal.
// 3. The slave sends Auth = SlaveProof(token, transcript). The two proofs
//    carry different labels, so neither can be reflected as the other, and
//    both cover both nonces, so neither can be replayed into another session.
// 4. The master checks the MAC in constant time, then Decide()s: Welcome
//    (stream from applied + 1) or Reject with a reason that says what to do.
//    From the Welcome (or that Reject) on, every frame is sealed with the
//    session keys (protocol/frame_mac.hpp), one per direction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "protocol/frame_mac.hpp"
#include "protocol/messages.hpp"
#include "replication/log_bounds.hpp"

namespace sqlrepl::replication {

using Nonce = std::array<uint8_t, protocol::kNonceSize>;
using Mac = std::array<uint8_t, protocol::kMacSize>;
using Transcript = std::array<uint8_t, 32>;

std::variant<protocol::Welcome, protocol::Reject> Decide(const LogBounds& log,
                                                         const protocol::Hello& hello);

// Fills `out` with `size` random bytes; false when there are none to give.
using RandomSource = bool (*)(uint8_t* out, size_t size);
bool SystemRandom(uint8_t* out, size_t size);  // OpenSSL's RAND_bytes

// kUnavailable when `random` fails: that handshake cannot go on (its peer
// is refused and may try again), and nothing else is harmed.
Result<Nonce> MakeNonce(RandomSource random = SystemRandom);

// SHA-256 of the Hello payload (as sent and received, byte for byte) and the
// master's nonce: everything both peers said before the proofs.
Transcript MakeTranscript(std::string_view hello_payload, const Nonce& master_nonce);

Mac MasterProof(const Secret& token, const Transcript& transcript);
Mac SlaveProof(const Secret& token, const Transcript& transcript);
// Constant-time comparisons with the expected proof.
bool VerifyMasterProof(const Secret& token, const Transcript& transcript, const Mac& proof);
bool VerifySlaveProof(const Secret& token, const Transcript& transcript, const Mac& proof);

struct SessionKeys {
  protocol::FrameMac::Key master_to_slave{};
  protocol::FrameMac::Key slave_to_master{};
};
SessionKeys DeriveSessionKeys(const Secret& token, const Transcript& transcript);

}  // namespace sqlrepl::replication
