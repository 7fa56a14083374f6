// The defaults of the .env keys that more than one part of the code needs
// (the configuration, and the option structs of the parts it configures),
// so that each is written once. .env.example lists every key with these
// values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sqlrepl::config {

inline constexpr std::string_view kDefaultMetaSchema = "repl_meta";  // META_SCHEMA
inline constexpr uint16_t kDefaultReplicationPort = 8080;            // LISTEN_PORT, MASTER_PORT
inline constexpr int kDefaultAckTimeoutMs = 5000;                    // ACK_TIMEOUT_MS
inline constexpr int kDefaultReconnectSeconds = 5;                   // RECONNECT_SECONDS
inline constexpr std::string_view kDefaultMasterHttpListen = "127.0.0.1:8081";  // HTTP_LISTEN
// Events held for one slave (on the master, a slower slave is dropped and
// catches up when it reconnects) or for the applier (on the slave, reading
// from the master pauses). Not a key: a bound on memory.
inline constexpr size_t kDefaultMaxQueuedBytes = size_t{64} * 1024 * 1024;

}  // namespace sqlrepl::config
