// The real master and slave binaries started for a test: their .env files,
// their output files, and the lines that say they are ready. Each suite adds
// only what it varies (timeouts, TLS keys, log files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mariadb_server.hpp"
#include "process.hpp"

namespace sqlrepl::testing {

// .env lines of a master on `db`, listening on 127.0.0.1:`port`.
std::string MasterEnvLines(const MariaDbServer& db, const std::string& token, uint16_t port);

// RECONNECT_SECONDS of every slave a test starts.
inline constexpr int kReconnectSeconds = 1;

// .env lines of a slave on `db` (with the least-privilege account, see
// MariaDbServer::SlaveEnvLines) following 127.0.0.1:`port` as `slave_id`.
std::string SlaveEnvLines(const MariaDbServer& db, const std::string& token, uint16_t port,
                          const std::string& slave_id);

// Writes `env_text` to DIR/NAME.env (mode 0600) and starts `binary
// --env-file` on it (then `args`), stdout and stderr into DIR/NAME.out and
// DIR/NAME.err, stdin a pipe. A failure to start is reported as a test failure.
std::optional<Process> SpawnWithEnv(const std::string& dir, const std::string& binary,
                                    const std::string& env_text, const std::string& name,
                                    const std::string& working_dir = "",
                                    const std::vector<std::string>& args = {});

// SpawnWithEnv for the master, returning once it listens for slaves.
std::optional<Process> SpawnMaster(const std::string& dir, const std::string& env_text,
                                   const std::string& name, const std::string& working_dir = "",
                                   const std::vector<std::string>& args = {});

// True once the slave has said `times` times that it connected (20 s).
bool WaitConnected(const Process& slave, size_t times = 1);

// How often `what` occurs in `text`.
size_t Count(const std::string& text, const std::string& what);

}  // namespace sqlrepl::testing
