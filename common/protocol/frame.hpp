// Frames on the replication connection.
//
//   frame   := length:u32le  type:u8  payload[length]
//
// The header is 5 bytes. A length above kMaxFrameSize, or a type we do not
// know, is corruption: the connection is closed before anything is
// allocated. Payloads are laid out in protocol/messages.hpp; after the
// handshake every frame also ends with a tag (protocol/frame_mac.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.hpp"

namespace sqlrepl::protocol {

constexpr size_t kHeaderSize = 5;
constexpr uint32_t kMaxFrameSize = 16 * 1024 * 1024;
// The largest encoded event that fits a frame with its tag. The master must
// check an event against it before it commits (CheckEventSize), because a
// committed event that cannot be sent would stall every slave for good.
constexpr uint32_t kMaxEventSize = kMaxFrameSize - 32;

enum class MessageType : uint8_t {
  kHello = 1,      // slave -> master: who I am and what I have applied
  kChallenge = 2,  // master -> slave: a nonce to prove the token with
  kAuth = 3,       // slave -> master: HMAC of the nonce
  kWelcome = 4,    // master -> slave: accepted; events follow
  kReject = 5,     // master -> slave: refused, with a reason; then close
  kEvent = 6,      // master -> slave: one committed transaction
  kAck = 7,        // slave -> master: the outcome of one event
  kHeartbeat = 8,  // both ways, when idle
  kVerify = 9,        // master -> slave: checksum these tables, after what came before
  kVerifyResult = 10, // slave -> master: the checksums
  // Provisioning (docs/provisioning.md), on a connection opened for it:
  kSnapshotBegin = 11,     // master -> slave: position and totals of the snapshot
  kSnapshotTable = 12,     // master -> slave: one table's definition
  kSnapshotRows = 13,      // master -> slave: rows of the last table announced
  kSnapshotEnd = 14,       // master -> slave: the copy is complete
  kSnapshotProgress = 15,  // slave -> master: what is loaded so far
};

const char* MessageTypeName(MessageType type);

struct FrameHeader {
  uint32_t length = 0;
  MessageType type = MessageType::kHeartbeat;
};

// Validates a received header: kCorruption names the problem.
Result<FrameHeader> DecodeHeader(const std::array<uint8_t, kHeaderSize>& bytes);

// kInvalidArgument, saying by how much, when an encoded event of
// `encoded_size` bytes cannot be replicated (see kMaxEventSize).
Status CheckEventSize(size_t encoded_size);

// Header and payload in one buffer, ready to send (handshake frames before
// the session is keyed).
std::string EncodeFrame(MessageType type, std::string_view payload);

}  // namespace sqlrepl::protocol
