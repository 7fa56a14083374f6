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
  EXPECT_NE(std::get<Reject>(d).reason.find("re-seed the slave"), std::string::npos);
}

TEST(Handshake, PurgedPositionIsRefused) {
  auto d = Decide(kLog, Hello{protocol::kProtocolVersion, "s1", "abc", 5});
  ASSERT_TRUE(std::holds_alternative<Reject>(d));
  EXPECT_EQ(std::get<Reject>(d).code, RejectCode::kPurged);
  EXPECT_NE(std::get<Reject>(d).reason.find("needs event #6 but the master's log now starts at #10"),
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

TEST(Handshake, MacProvesTheTokenForThisNonceAndId) {
  const Secret token("a-long-shared-token-123");
  const auto nonce = MakeNonce();
  const auto mac = ComputeMac(token, nonce, "s1");
  EXPECT_TRUE(VerifyMac(token, nonce, "s1", mac));
  EXPECT_FALSE(VerifyMac(Secret("another-token-456789"), nonce, "s1", mac));
  EXPECT_FALSE(VerifyMac(token, nonce, "s2", mac));
  EXPECT_FALSE(VerifyMac(token, MakeNonce(), "s1", mac));
  auto flipped = mac;
  flipped[0] ^= 1;
  EXPECT_FALSE(VerifyMac(token, nonce, "s1", flipped));
}

TEST(Handshake, NoncesAndIdsAreFresh) {
  EXPECT_NE(MakeNonce(), MakeNonce());
  EXPECT_NE(NewReplicationId(), NewReplicationId());
  EXPECT_EQ(NewReplicationId().size(), 32u);
}

}  // namespace
}  // namespace sqlrepl::replication
