// libFuzzer target over the frame decoder: the header check and the tag
// check of a sealed frame. Invariants: a header that passes names a known
// type and a length within kMaxFrameSize; a random tag never opens.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/frame.hpp"
#include "protocol/frame_mac.hpp"

using namespace sqlrepl::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderSize) return 0;
  std::array<uint8_t, kHeaderSize> header{};
  for (size_t i = 0; i < kHeaderSize; ++i) header[i] = data[i];
  sqlrepl::Result<FrameHeader> h = DecodeHeader(header);
  if (!h.ok()) return 0;
  if (h->length > kMaxFrameSize || MessageTypeName(h->type) == std::string("unknown")) std::abort();
  std::string payload(reinterpret_cast<const char*>(data + kHeaderSize), size - kHeaderSize);
  FrameMac::Key key{};
  key.fill(0x5a);
  FrameMac mac(key);
  if (mac.Open(h->type, &payload).ok()) std::abort();  // a forged tag got through
  // What we seal, we open, whatever the body.
  FrameMac sender(key), receiver(key);
  const std::string body(reinterpret_cast<const char*>(data), size);
  std::string sealed = sender.SealFrame(h->type, body).substr(kHeaderSize);
  if (!receiver.Open(h->type, &sealed).ok() || sealed != body) std::abort();
  return 0;
}
