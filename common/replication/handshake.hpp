// The decisions of the replication handshake, as pure functions that can be
// tested without sockets.
//
// 1. The slave sends Hello (version, id, replication id, applied position).
// 2. The master answers Challenge with a fresh random nonce.
// 3. The slave sends Auth = HMAC-SHA256(REPL_TOKEN, nonce || slave_id); the
//    token itself never crosses the wire.
// 4. The master checks the MAC in constant time, then Decide()s: Welcome
//    (stream from applied + 1) or Reject with a reason that says what to do.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>

#include "base/secret.hpp"
#include "protocol/messages.hpp"
#include "replication/log_bounds.hpp"

namespace sqlrepl::replication {

std::variant<protocol::Welcome, protocol::Reject> Decide(const LogBounds& log,
                                                         const protocol::Hello& hello);

std::array<uint8_t, protocol::kNonceSize> MakeNonce();

std::array<uint8_t, protocol::kMacSize> ComputeMac(const Secret& token,
                                                   const std::array<uint8_t, protocol::kNonceSize>& nonce,
                                                   const std::string& slave_id);

// Constant-time comparison of the expected and received MAC.
bool VerifyMac(const Secret& token, const std::array<uint8_t, protocol::kNonceSize>& nonce,
               const std::string& slave_id, const std::array<uint8_t, protocol::kMacSize>& mac);

}  // namespace sqlrepl::replication
