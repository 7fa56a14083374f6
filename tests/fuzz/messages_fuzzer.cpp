// libFuzzer target over every message decoder. The first byte picks the
// message; the rest is its payload. Invariant: whatever decodes encodes
// back to the same bytes (the layout has one spelling per message), and
// what a peer can print comes out of EscapeForLog with no control byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/messages.hpp"

using namespace sqlrepl::protocol;

namespace {

template <typename M>
void RoundTrip(std::string_view payload) {
  M m;
  if (!Decode(payload, &m).ok()) return;
  if (Encode(m) != payload) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 10) {
    case 0: {
      RoundTrip<Hello>(payload);
      Hello h;
      if (Decode(payload, &h).ok() && (!IsValidId(h.slave_id) || h.slave_id.size() > kMaxIdLength))
        std::abort();
      break;
    }
    case 1: RoundTrip<Challenge>(payload); break;
    case 2: RoundTrip<Auth>(payload); break;
    case 3: RoundTrip<Welcome>(payload); break;
    case 4: RoundTrip<Reject>(payload); break;  // the code byte is kept as sent
    case 5: RoundTrip<Ack>(payload); break;
    case 6: RoundTrip<Heartbeat>(payload); break;
    case 7: RoundTrip<Verify>(payload); break;
    case 8: RoundTrip<VerifyResult>(payload); break;
    case 9: {
      const std::string shown = EscapeForLog(payload, 64);
      for (unsigned char c : shown) {
        if (c < 0x20 || c >= 0x7f) std::abort();
      }
      break;
    }
  }
  return 0;
}
