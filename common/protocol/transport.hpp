// The byte stream a replication link runs over, chosen in this one place.
// Frame I/O, the master's sessions, its acceptor and the slave's link all
// name protocol::Stream; encrypting the link (TLS) replaces the type and the
// functions below, and nothing else.
#pragma once

#include <asio.hpp>
#include <string>

namespace sqlrepl::protocol {

using Stream = asio::ip::tcp::socket;

// The TCP socket under `stream`, to connect or accept on.
inline auto& Socket(Stream& stream) { return stream.lowest_layer(); }

// Sets up a freshly connected or accepted stream for small frames (no Nagle
// delay).
void PrepareStream(Stream& stream);

// Shuts both directions and closes; errors are ignored (the peer may be gone).
void CloseStream(Stream& stream);

// "127.0.0.1:5555", or "?" if the peer is unknown.
std::string PeerAddress(const Stream& stream);

}  // namespace sqlrepl::protocol
