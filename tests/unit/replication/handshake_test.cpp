#include "replication/handshake.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::replication {
namespace {

using protocol::Hello;
using protocol::Reject;
using protocol::RejectCode;
using protocol::Welcome;

const LogBounds kLog{"abc", 10, 50};

TEST(Handshake, MatchingSlaveResumesAfterItsPosition) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "abc", 20});
  ASSERT_TRUE(std::holds_alternative<Welcome>(d));
  EXPECT_EQ(std::get<Welcome>(d).from_seq, 21u);
  EXPECT_EQ(std::get<Welcome>(d).last_seq, 50u);
  EXPECT_EQ(std::get<Welcome>(d).replication_id, "abc");
}

TEST(Handshake, UpToDateSlaveWaitsForLiveEvents) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "abc", 50});
  ASSERT_TRUE(std::holds_alternative<Welcome>(d));
  EXPECT_EQ(std::get<Welcome>(d).from_seq, 51u);
}

TEST(Handshake, PositionJustBeforeTheOldestEventIsStillServed) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "abc", 9});
  ASSERT_TRUE(std::holds_alternative<Welcome>(d));
  EXPECT_EQ(std::get<Welcome>(d).from_seq, 10u);
}

TEST(Handshake, FreshSlaveStartsAtOneOnlyIfNothingWasPurged) {
  auto d = Decide(LogBounds{"abc", 1, 0}, Hello{protocol::kProtocolVersion, "s1", "", 0});
  ASSERT_TRUE(std::holds_alternative<Welcome>(d));
  EXPECT_EQ(std::get<Welcome>(d).from_seq, 1u);
  d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "", 0});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kPurged);
}

TEST(Handshake, OtherLogIsRefusedWithWhatToDo) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "zzz", 20});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kReplicationIdMismatch);
  EXPECT_NE(std::get<Reject>(d).reason.find("slave --provision --force"), std::string::npos);
}

TEST(Handshake, PurgedPositionIsRefused) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "abc", 5});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kPurged);
  EXPECT_NE(
      std::get<Reject>(d).reason.find("needs event #6 but the master's log now starts at #10"),
      std::string::npos);
}

TEST(Handshake, SlaveAheadOfTheLogIsRefused) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "abc", 51});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kAhead);
}

TEST(Handshake, OtherProtocolVersionIsRefused) {
  auto d = Decide(kLog, Hello{99, "s1", "abc", 20});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kVersion);
}

TEST(Handshake, VersionsTwoAndThreeAreBothServed) {
  for (uint16_t version : {protocol::kOldestProtocolVersion, protocol::kProtocolVersion}) {
    auto d = Decide(kLog, Hello{version, "s1", "abc", 20});
    ASSERT_TRUE(std::holds_alternative<Welcome>(d)) << version;
  }
  auto d = Decide(kLog, Hello{1, "s1", "abc", 20});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kVersion);
}

// A provisioning brings its own position: no position of the slave's
// (another log, purged, ahead) stands in its way.
TEST(Handshake, AProvisioningIsWelcomedWhateverItsPosition) {
  for (Hello hello : {Hello{3, "s1", "zzz", 20}, Hello{3, "s1", "abc", 5}, Hello{3, "s1", "abc", 99},
                      Hello{3, "s1", "", 0}}) {
    hello.purpose = protocol::HelloPurpose::kProvision;
    auto d = Decide(kLog, hello);
    ASSERT_TRUE(std::holds_alternative<Welcome>(d)) << hello.replication_id << hello.applied_seq;
    EXPECT_EQ(std::get<Welcome>(d).replication_id, "abc");
  }
}

// Protocol 2 replaced the slave's one-way MAC (HMAC(token, nonce || id))
// with two proofs over the transcript; the properties checked before still
// hold for both.
TEST(Handshake, ProofsProveTheTokenForThisTranscript) {
  const Secret token("a-long-shared-token-123");
  const Transcript t = MakeTranscript(
      protocol::Encode(Hello{protocol::kProtocolVersion, "s1", "", 0, MakeNonce().value()}),
      MakeNonce().value());
  const Mac slave = SlaveProof(token, t);
  EXPECT_TRUE(VerifySlaveProof(token, t, slave));
  EXPECT_FALSE(VerifySlaveProof(Secret("another-token-456789"), t, slave));
  const Mac master = MasterProof(token, t);
  EXPECT_TRUE(VerifyMasterProof(token, t, master));
  EXPECT_FALSE(VerifyMasterProof(Secret("another-token-456789"), t, master));
  auto flipped = slave;
  flipped[0] ^= 1;
  EXPECT_FALSE(VerifySlaveProof(token, t, flipped));
}

TEST(Handshake, TranscriptCoversTheHelloAndBothNonces) {
  const Nonce slave_nonce = MakeNonce().value(), master_nonce = MakeNonce().value();
  const Hello hello{protocol::kProtocolVersion, "s1", "abc", 20, slave_nonce};
  const Transcript t = MakeTranscript(protocol::Encode(hello), master_nonce);
  EXPECT_EQ(t, MakeTranscript(protocol::Encode(hello), master_nonce));
  EXPECT_NE(t, MakeTranscript(protocol::Encode(hello), MakeNonce().value()));
  for (Hello other : {Hello{protocol::kProtocolVersion, "s2", "abc", 20, slave_nonce},
                      Hello{protocol::kProtocolVersion, "s1", "abd", 20, slave_nonce},
                      Hello{protocol::kProtocolVersion, "s1", "abc", 21, slave_nonce},
                      Hello{protocol::kProtocolVersion, "s1", "abc", 20, MakeNonce().value()}}) {
    EXPECT_NE(t, MakeTranscript(protocol::Encode(other), master_nonce));
  }
}

// A peer that relays one side's proof as the other's (reflection) gets
// nowhere: the labels differ.
TEST(Handshake, ProofsCannotBeReflected) {
  const Secret token("a-long-shared-token-123");
  const Transcript t = MakeTranscript("hello", MakeNonce().value());
  EXPECT_FALSE(VerifyMasterProof(token, t, SlaveProof(token, t)));
  EXPECT_FALSE(VerifySlaveProof(token, t, MasterProof(token, t)));
}

TEST(Handshake, SessionKeysDifferPerDirectionAndPerSession) {
  const Secret token("a-long-shared-token-123");
  const Transcript t = MakeTranscript("hello", MakeNonce().value());
  const SessionKeys keys = DeriveSessionKeys(token, t);
  EXPECT_NE(keys.master_to_slave, keys.slave_to_master);
  EXPECT_NE(keys.master_to_slave, MasterProof(token, t));
  EXPECT_NE(keys.slave_to_master, SlaveProof(token, t));
  const SessionKeys other = DeriveSessionKeys(token, MakeTranscript("hello", MakeNonce().value()));
  EXPECT_NE(keys.master_to_slave, other.master_to_slave);
  EXPECT_NE(DeriveSessionKeys(Secret("another-token-456789"), t).master_to_slave,
            keys.master_to_slave);
}

TEST(Handshake, NoncesAndIdsAreFresh) {
  EXPECT_NE(MakeNonce().value(), MakeNonce().value());
  EXPECT_NE(NewReplicationId(), NewReplicationId());
  EXPECT_EQ(NewReplicationId().size(), 32u);
}

// A system without randomness ends one handshake with an error its caller
// turns into a refusal; it used to throw inside the I/O thread's coroutines.
TEST(Handshake, NoRandomnessIsAnErrorNotAnException) {
  Result<Nonce> nonce = MakeNonce([](uint8_t*, size_t) { return false; });
  ASSERT_FALSE(nonce.ok());
  EXPECT_EQ(nonce.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(nonce.status().message().find("random"), std::string::npos);
}

}  // namespace
}  // namespace sqlrepl::replication
