// Configuration of the two programs, read from a .env file and the process
// environment (docs/design.md, "Configuration"). A variable set in the
// environment wins over the file. Every key is listed, with its default, in
// .env.example.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "config/defaults.hpp"

namespace sqlrepl::config {

struct DbSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string socket;  // wins over host:port when set
  std::string user;
  Secret password;
  std::string database = "school";
};

// TLS_CERT, TLS_KEY, TLS_CA: paths of PEM files, empty when unset. The
// files are read (and their PEM checked) when the program builds its TLS
// context at start, not here.
struct TlsSettings {
  std::string cert;  // this program's certificate (chain)
  std::string key;   // its private key
  std::string ca;    // the CA the peer's certificate must be signed by
};

// HTTP_LISTEN, HTTP_TOKEN, HTTP_ALLOW_PLAINTEXT (docs/api.md, docs/security.md).
struct HttpSettings {
  std::string host;       // empty: no HTTP server
  uint16_t port = 0;
  Secret token;           // Bearer token of /api/*; at least 16 characters
  bool allow_plaintext = false;  // a non-loopback address without TLS_CERT/TLS_KEY
  bool enabled() const { return !host.empty(); }
};

enum class UnsafePolicy { kWarn, kRefuse };
enum class ApplyErrorPolicy { kSkip, kStop };

struct MasterConfig {
  DbSettings db;
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = kDefaultReplicationPort;
  Secret token;
  int ack_timeout_ms = kDefaultAckTimeoutMs;
  std::string meta_schema{kDefaultMetaSchema};
  UnsafePolicy unsafe_statements = UnsafePolicy::kWarn;
  int64_t log_retention_seconds = 7 * 24 * 3600;  // REPL_LOG_RETENTION
  std::string master_log = "master_log.txt";      // MASTER_LOG; empty: no operational log
  // TLS_CERT and TLS_KEY (both or neither): slaves must use TLS; TLS_CA
  // (needs them): slaves must present a certificate signed by it.
  TlsSettings tls;
  HttpSettings http;  // on by default: HTTP_LISTEN=127.0.0.1:8081
};

struct SlaveConfig {
  DbSettings db;
  std::string master_host = "127.0.0.1";
  uint16_t master_port = kDefaultReplicationPort;
  std::string slave_id;  // defaults to the host name
  int reconnect_seconds = kDefaultReconnectSeconds;
  Secret token;
  std::string meta_schema{kDefaultMetaSchema};
  ApplyErrorPolicy on_apply_error = ApplyErrorPolicy::kSkip;
  // SLAVE_ALLOW_BROAD_GRANTS=1: start even when the database account may do
  // more than applying needs (app/grants.hpp).
  bool allow_broad_grants = false;
  // TLS_CA: the link is TLS and the master must prove it is MASTER_HOST;
  // TLS_CERT and TLS_KEY (both or neither, need TLS_CA): a client
  // certificate for a master that asks for one.
  TlsSettings tls;
  std::string slave_log = "slave_log.txt";  // SLAVE_LOG; empty: no operational log
  HttpSettings http;                        // off unless HTTP_LISTEN is set
};

// "7d", "12h", "30m", "45s" or plain seconds; nullopt when malformed.
std::optional<int64_t> ParseDuration(std::string_view text);

// Every key either program understands, for documentation checks.
std::vector<std::string> KnownKeys();

// Looks a variable up in the process environment; tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& key)>;
EnvLookup ProcessEnvironment();

struct LoadOptions {
  std::string env_file = ".env";
  bool env_file_explicit = false;  // a missing file is an error only when named
  EnvLookup environment = ProcessEnvironment();
};

// Warnings (a .env readable by others) are appended to `warnings`.
// Errors are kInvalidArgument and name the key or the line; they never show
// a password or token.
Result<MasterConfig> LoadMasterConfig(const LoadOptions& options,
                                      std::vector<std::string>* warnings);
Result<SlaveConfig> LoadSlaveConfig(const LoadOptions& options, std::vector<std::string>* warnings);

}  // namespace sqlrepl::config
