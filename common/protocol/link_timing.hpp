// The clocks of the replication link, shared by both ends (master/
// slave_session and slave/master_link): each side must time out the other
// with the same values it is itself held to.
#pragma once

#include <chrono>
#include <cstdint>

namespace sqlrepl::protocol {

// Each side sends a frame at least this often, a heartbeat when idle.
inline constexpr std::chrono::seconds kHeartbeatInterval{1};
// A side that heard nothing for this long gives the link up.
inline constexpr std::chrono::seconds kPeerTimeout{6};
// Connecting and the handshake end within this, or the attempt is dropped
// (the master's deadline for a peer, the slave's for its attempt).
inline constexpr std::chrono::seconds kHandshakeTimeout{5};

// Before authentication a peer may send only small frames.
inline constexpr uint32_t kMaxHandshakeFrame = 4096;
// What a slave may send once authenticated: verify results can list many tables.
inline constexpr uint32_t kMaxSlaveFrame = 4 * 1024 * 1024;

}  // namespace sqlrepl::protocol
