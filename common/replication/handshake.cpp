#include "replication/handshake.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "replication/slave_position.hpp"

namespace sqlrepl::replication {

using protocol::Reject;
using protocol::RejectCode;
using protocol::Welcome;

std::variant<Welcome, Reject> Decide(const LogBounds& log, const protocol::Hello& hello) {
  if (hello.version < protocol::kOldestProtocolVersion ||
      hello.version > protocol::kProtocolVersion) {
    return Reject{
        RejectCode::kVersion,
        fmt::format("protocol version {} is not supported (the master speaks {} to {}): run the "
                    "same sqlrepl version on both sides",
                    hello.version, protocol::kOldestProtocolVersion, protocol::kProtocolVersion)};
  }
  // A copy of the database starts no position of its own: it brings one.
  if (hello.purpose == protocol::HelloPurpose::kProvision) {
    return Welcome{log.replication_id, log.last_seq + 1, log.last_seq};
  }
  const bool fresh = hello.replication_id.empty();
  if (!fresh && hello.replication_id != log.replication_id) {
    return Reject{RejectCode::kReplicationIdMismatch,
                  fmt::format("this slave followed replication log {} but the master's log is {}: "
                              "copy the master's data to it with slave --provision --force",
                              hello.replication_id, log.replication_id)};
  }
  const uint64_t applied = fresh ? 0 : hello.applied_seq;
  if (applied > log.last_seq) {
    return Reject{RejectCode::kAhead,
                  fmt::format("this slave has applied event #{} but the master's log ends at #{}: "
                              "the master's log was reset or restored; copy the master's data to "
                              "the slave with slave --provision --force",
                              applied, log.last_seq)};
  }
  if (applied + 1 < log.first_seq) {
    return Reject{
        RejectCode::kPurged,
        fmt::format("this slave needs event #{} but the master's log now starts at #{} "
                    "(older events were purged): copy the master's data to the slave with "
                    "slave --provision --force",
                    applied + 1, log.first_seq)};
  }
  return Welcome{log.replication_id, applied + 1, log.last_seq};
}

bool SystemRandom(uint8_t* out, size_t size) {
  return RAND_bytes(out, static_cast<int>(size)) == 1;
}

Result<Nonce> MakeNonce(RandomSource random) {
  Nonce nonce{};
  if (!random(nonce.data(), nonce.size())) {
    return Status::Unavailable("the system gave no random bytes for the handshake's nonce");
  }
  return nonce;
}

namespace {

std::string_view View(const std::array<uint8_t, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

// Each use of the token gets its own label, so that no MAC made for one
// purpose is valid for another (a master proof reflected as a slave's, a
// proof used as a key).
constexpr std::string_view kMasterProofLabel = "sqlrepl/2 master proof";
constexpr std::string_view kSlaveProofLabel = "sqlrepl/2 slave proof";
constexpr std::string_view kMasterToSlaveLabel = "sqlrepl/2 key master->slave";
constexpr std::string_view kSlaveToMasterLabel = "sqlrepl/2 key slave->master";

Mac Labelled(const Secret& token, std::string_view label, const Transcript& transcript) {
  // The label's length is fixed per label, and the transcript is fixed-size:
  // the concatenation is unambiguous.
  return protocol::HmacSha256(token.Reveal(), {label, View(transcript)});
}

}  // namespace

Transcript MakeTranscript(std::string_view hello_payload, const Nonce& master_nonce) {
  Transcript out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int length = 0;
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, hello_payload.data(), hello_payload.size()) == 1 &&
                  EVP_DigestUpdate(ctx, master_nonce.data(), master_nonce.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &length) == 1 && length == out.size();
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // no hash, no authentication: never go on with a weak transcript
  return out;
}

Mac MasterProof(const Secret& token, const Transcript& transcript) {
  return Labelled(token, kMasterProofLabel, transcript);
}

Mac SlaveProof(const Secret& token, const Transcript& transcript) {
  return Labelled(token, kSlaveProofLabel, transcript);
}

bool VerifyMasterProof(const Secret& token, const Transcript& transcript, const Mac& proof) {
  const Mac expected = MasterProof(token, transcript);
  return CRYPTO_memcmp(expected.data(), proof.data(), proof.size()) == 0;
}

bool VerifySlaveProof(const Secret& token, const Transcript& transcript, const Mac& proof) {
  const Mac expected = SlaveProof(token, transcript);
  return CRYPTO_memcmp(expected.data(), proof.data(), proof.size()) == 0;
}

SessionKeys DeriveSessionKeys(const Secret& token, const Transcript& transcript) {
  return SessionKeys{Labelled(token, kMasterToSlaveLabel, transcript),
                     Labelled(token, kSlaveToMasterLabel, transcript)};
}

}  // namespace sqlrepl::replication
