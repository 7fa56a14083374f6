#include "replication/handshake.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>


namespace sqlrepl::replication {

using protocol::Reject;
using protocol::RejectCode;
using protocol::Welcome;

std::variant<Welcome, Reject> Decide(const LogBounds& log, const protocol::Hello& hello) {
  if (hello.version != protocol::kProtocolVersion) {
    return Reject{RejectCode::kVersion,
                  fmt::format("protocol version {} is not supported (the master speaks {}): run the "
                              "same sqlrepl version on both sides",
                              hello.version, protocol::kProtocolVersion)};
  }
  const bool fresh = hello.replication_id.empty();
  if (!fresh && hello.replication_id != log.replication_id) {
    return Reject{RejectCode::kReplicationIdMismatch,
                  fmt::format("this slave followed replication log {} but the master's log is {}: "
                              "re-seed the slave from the master's data and clear its position in "
                              "META_SCHEMA.slave_position",
                              hello.replication_id, log.replication_id)};
  }
  const uint64_t applied = fresh ? 0 : hello.applied_seq;
  if (applied > log.last_seq) {
    return Reject{RejectCode::kAhead,
                  fmt::format("this slave has applied event #{} but the master's log ends at #{}: "
                              "the master's log was reset or restored; re-seed the slave",
                              applied, log.last_seq)};
  }
  if (applied + 1 < log.first_seq) {
    return Reject{RejectCode::kPurged,
                  fmt::format("this slave needs event #{} but the master's log now starts at #{} "
                              "(older events were purged): re-seed the slave from the master's data",
                              applied + 1, log.first_seq)};
  }
  return Welcome{log.replication_id, applied + 1, log.last_seq};
}

std::array<uint8_t, protocol::kNonceSize> MakeNonce() {
  std::array<uint8_t, protocol::kNonceSize> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no randomness for the handshake");
  }
  return nonce;
}

std::array<uint8_t, protocol::kMacSize> ComputeMac(
    const Secret& token, const std::array<uint8_t, protocol::kNonceSize>& nonce,
    const std::string& slave_id) {
  std::string message(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  message += slave_id;
  std::array<uint8_t, protocol::kMacSize> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), token.Reveal().data(), static_cast<int>(token.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return mac;
}

bool VerifyMac(const Secret& token, const std::array<uint8_t, protocol::kNonceSize>& nonce,
               const std::string& slave_id, const std::array<uint8_t, protocol::kMacSize>& mac) {
  const std::array<uint8_t, protocol::kMacSize> expected = ComputeMac(token, nonce, slave_id);
  return CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) == 0;
}

}  // namespace sqlrepl::replication
