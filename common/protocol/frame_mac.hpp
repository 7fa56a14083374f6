// Authenticated frames: after the handshake (replication/handshake.hpp)
// every frame in both directions carries a tag, so that nobody between the
// two peers can inject, alter, drop, reorder or replay a frame.
//
//   sealed frame := length:u32le  type:u8  body[length - 32]  tag:bytes[32]
//   tag          := HMAC-SHA256(direction_key, seq:u64le || type:u8 || body)
//
// Each direction has its own key (derived from REPL_TOKEN and both nonces of
// the handshake, so a session's keys are fresh) and its own counter `seq`,
// starting at 0 with the first sealed frame (the master's Welcome or
// Reject, the slave's first heartbeat or ack). The counter is not sent:
// a frame that is replayed, dropped or reordered fails the check.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.hpp"
#include "protocol/frame.hpp"

namespace sqlrepl::protocol {

constexpr size_t kTagSize = 32;
constexpr size_t kKeySize = 32;
static_assert(kMaxEventSize + kTagSize == kMaxFrameSize, "an event and its tag fill a frame");

class FrameMac {
 public:
  using Key = std::array<uint8_t, kKeySize>;
  using Tag = std::array<uint8_t, kTagSize>;

  explicit FrameMac(const Key& key) : key_(key) {}

  // The tag of the next frame sent in this direction; advances the counter.
  Tag Sign(MessageType type, std::string_view body);
  // Checks and strips the tag of the next frame received in this direction;
  // advances the counter. kCorruption when the tag is missing or wrong.
  Status Open(MessageType type, std::string* payload);
  // A sealed frame, ready to send (handshake replies; later frames go
  // through FrameWriter, which does not copy the body).
  std::string SealFrame(MessageType type, std::string_view body);

  uint64_t next_seq() const { return seq_; }

 private:
  Key key_;
  uint64_t seq_ = 0;
};

// HMAC-SHA256 over the concatenation of `parts`, without copying them.
FrameMac::Tag HmacSha256(std::string_view key, std::initializer_list<std::string_view> parts);

}  // namespace sqlrepl::protocol
