#include "replication/log_bounds.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace sqlrepl::replication {

std::string NewReplicationId() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: cannot create a replication id");
  }
  std::string id;
  for (uint8_t b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

}  // namespace sqlrepl::replication
