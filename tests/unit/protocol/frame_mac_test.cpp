// Sealed frames: what a man in the middle can do to them, and that each is
// caught.
#include "protocol/frame_mac.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::protocol {
namespace {

FrameMac::Key KeyOf(uint8_t b) {
  FrameMac::Key k;
  k.fill(b);
  return k;
}

// The payload of a sealed frame (everything after the header).
std::string PayloadOf(const std::string& frame) { return frame.substr(kHeaderSize); }

TEST(FrameMac, SealedFramesOpenInOrder) {
  FrameMac sender(KeyOf(1)), receiver(KeyOf(1));
  for (const std::string body : {"first", "", "third"}) {
    const std::string frame = sender.SealFrame(MessageType::kEvent, body);
    EXPECT_EQ(frame.size(), kHeaderSize + body.size() + kTagSize);
    std::string payload = PayloadOf(frame);
    ASSERT_TRUE(receiver.Open(MessageType::kEvent, &payload).ok());
    EXPECT_EQ(payload, body);
  }
  EXPECT_EQ(receiver.next_seq(), 3u);
}

TEST(FrameMac, AlteredBodyTagOrTypeIsCaught) {
  const std::string frame =
      FrameMac(KeyOf(1)).SealFrame(MessageType::kEvent, "INSERT INTO t VALUES (1)");
  for (size_t i = 0; i < frame.size() - kHeaderSize; ++i) {
    std::string payload = PayloadOf(frame);
    payload[i] ^= 0x20;
    FrameMac receiver(KeyOf(1));
    EXPECT_EQ(receiver.Open(MessageType::kEvent, &payload).code(), StatusCode::kCorruption)
        << "byte " << i;
  }
  std::string payload = PayloadOf(frame);
  FrameMac receiver(KeyOf(1));
  EXPECT_FALSE(receiver.Open(MessageType::kHeartbeat, &payload).ok())
      << "same bytes as another type";
}

TEST(FrameMac, ReplayedDroppedOrReorderedFrameIsCaught) {
  FrameMac sender(KeyOf(1));
  const std::string a = PayloadOf(sender.SealFrame(MessageType::kAck, "a"));
  const std::string b = PayloadOf(sender.SealFrame(MessageType::kAck, "b"));
  {
    FrameMac receiver(KeyOf(1));
    std::string p = a;
    ASSERT_TRUE(receiver.Open(MessageType::kAck, &p).ok());
    p = a;
    EXPECT_FALSE(receiver.Open(MessageType::kAck, &p).ok()) << "replay";
  }
  {
    FrameMac receiver(KeyOf(1));
    std::string p = b;
    EXPECT_FALSE(receiver.Open(MessageType::kAck, &p).ok()) << "a dropped, or b before a";
  }
}

TEST(FrameMac, OtherKeyOrMissingTagIsCaught) {
  std::string payload =
      PayloadOf(FrameMac(KeyOf(1)).SealFrame(MessageType::kHeartbeat, "12345678"));
  FrameMac other(KeyOf(2));
  EXPECT_FALSE(other.Open(MessageType::kHeartbeat, &payload).ok());
  std::string short_payload(kTagSize - 1, 'x');
  FrameMac receiver(KeyOf(1));
  Status s = receiver.Open(MessageType::kHeartbeat, &short_payload);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("no authentication tag"), std::string::npos) << s.message();
}

TEST(FrameMac, HmacMatchesTheRfc4231TestCase2) {
  const FrameMac::Tag tag = HmacSha256("Jefe", {"what do ya want ", "for nothing?"});
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (uint8_t c : tag) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace sqlrepl::protocol
