// Frames on the replication connection.
//
//   frame   := length:u32le  type:u8  payload[length]
//
// The header is 5 bytes. A length above kMaxFrameSize, or a type we do not
// know, is corruption: the connection is closed before anything is
// allocated. Payloads are laid out in protocol/messages.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.hpp"

namespace sqlrepl::protocol {

constexpr size_t kHeaderSize = 5;
constexpr uint32_t kMaxFrameSize = 16 * 1024 * 1024;

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
};

const char* MessageTypeName(MessageType type);

struct FrameHeader {
  uint32_t length = 0;
  MessageType type = MessageType::kHeartbeat;
};

// Validates a received header: kCorruption names the problem.
Result<FrameHeader> DecodeHeader(const std::array<uint8_t, kHeaderSize>& bytes);

// Header and payload in one buffer, ready to send.
std::string EncodeFrame(MessageType type, std::string_view payload);

}  // namespace sqlrepl::protocol
