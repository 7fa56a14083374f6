#include "protocol/frame.hpp"

#include <fmt/format.h>

#include "base/coding.hpp"

namespace sqlrepl::protocol {

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHello: return "hello";
    case MessageType::kChallenge: return "challenge";
    case MessageType::kAuth: return "auth";
    case MessageType::kWelcome: return "welcome";
    case MessageType::kReject: return "reject";
    case MessageType::kEvent: return "event";
    case MessageType::kAck: return "ack";
    case MessageType::kHeartbeat: return "heartbeat";
    case MessageType::kVerify: return "verify";
    case MessageType::kVerifyResult: return "verify result";
    case MessageType::kSnapshotBegin: return "snapshot begin";
    case MessageType::kSnapshotTable: return "snapshot table";
    case MessageType::kSnapshotRows: return "snapshot rows";
    case MessageType::kSnapshotEnd: return "snapshot end";
    case MessageType::kSnapshotProgress: return "snapshot progress";
  }
  return "unknown";
}

Result<FrameHeader> DecodeHeader(const std::array<uint8_t, kHeaderSize>& bytes) {
  std::string_view in(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  FrameHeader h;
  uint8_t type = 0;
  GetFixed32(&in, &h.length);
  GetFixed8(&in, &type);
  if (h.length > kMaxFrameSize) {
    return Status::Corruption(
        fmt::format("frame of {} bytes is larger than the limit of {}", h.length, kMaxFrameSize));
  }
  if (type < static_cast<uint8_t>(MessageType::kHello) ||
      type > static_cast<uint8_t>(MessageType::kSnapshotProgress)) {
    return Status::Corruption(fmt::format("unknown frame type {}", type));
  }
  h.type = static_cast<MessageType>(type);
  return h;
}

Status CheckEventSize(size_t encoded_size) {
  if (encoded_size <= kMaxEventSize) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "the write is too large to replicate: its event takes {} bytes, the limit is {} ({} MiB); "
      "split it into smaller statements",
      encoded_size, kMaxEventSize, kMaxFrameSize / (1024 * 1024)));
}

std::string EncodeFrame(MessageType type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  PutFixed32(&out, static_cast<uint32_t>(payload.size()));
  PutFixed8(&out, static_cast<uint8_t>(type));
  out.append(payload);
  return out;
}

}  // namespace sqlrepl::protocol
