// A private MariaDB server for one test suite: a temporary data folder, a
// free loopback port, its own socket. Start() waits for it with a deadline;
// the destructor stops it by PID (SIGTERM, then SIGKILL) even when a test
// failed. If mariadbd is missing, Start() fails with a message naming the
// install script: integration tests fail, they never skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "db/connection.hpp"
#include "process.hpp"
#include "sql/splitter.hpp"

namespace sqlrepl::testing {

class MariaDbServer {
 public:
  // The account the master uses (the user's account: it may do anything),
  // created on every server.
  static constexpr const char* kUser = "sqlrepl";
  static constexpr const char* kPassword = "test-pass-8d2f";
  // The slave's account, created on every server with no privileges;
  // SlaveEnvLines() grants it what applying needs and nothing more.
  static constexpr const char* kSlaveUser = "sqlrepl_slave";
  static constexpr const char* kSlavePassword = "slave-pass-61c9";

  // Installs a data folder and starts the server. `name` labels the folder.
  static Result<std::unique_ptr<MariaDbServer>> Start(const std::string& name);

  ~MariaDbServer();
  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;

  uint16_t port() const { return port_; }
  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_.path(); }

  // Stops (SIGTERM) or kills (SIGKILL) the server; Restart() brings it back
  // on the same port and data.
  void Stop();
  void Kill();
  Status Restart();

  // How to reach the server as root over the socket, optionally with a
  // database selected; and such a connection.
  db::ConnectOptions Options(const std::string& database = "") const;
  Result<db::Connection> Connect(const std::string& database = "") const;
  // Runs statements as root; fails the calling test on error.
  Status Exec(const std::string& sql) const;
  // As root, drops `school` and `repl_meta` and makes an empty
  // `school.notes (id INT PRIMARY KEY, body VARCHAR(100))`: where tests
  // that replicate a few rows start.
  Status ResetNotes() const;
  // A fresh start for a test: drops `school` and `repl_meta`, creates
  // `school` again and runs `tables` (statements that create its tables).
  Status ResetSchool(const std::string& tables) const;
  // The first column of the first row, or nullopt.
  std::optional<std::string> QueryValue(const std::string& sql,
                                        const std::string& database = "") const;

  // Lines for a .env that points at this server as kUser over TCP.
  std::string EnvLines(const std::string& database = "school") const;
  // The same for a slave, as kSlaveUser. As root, first makes what an
  // administrator sets up once (app::SlaveSetupSql): the meta schema and
  // position table, and the account's SELECT, INSERT, UPDATE, DELETE on
  // `database` and the position table. Fails the calling test on error.
  std::string SlaveEnvLines(const std::string& database = "school",
                            const std::string& meta_schema = "repl_meta") const;

 private:
  explicit MariaDbServer(const std::string& name) : dir_("sqlrepl-" + name) {}
  Status Launch();

  TempDir dir_;
  std::string socket_;
  uint16_t port_ = 0;
  std::optional<Process> process_;
};

// A fixture whose test suite shares private servers, started once and
// stopped by PID at the end, one per name in `Names::kNames` (the labels
// of their folders):
//   struct ExecutorServers { static constexpr const char* kNames[] = {"executor"}; };
//   class ExecutorTest : public ServersTest<ExecutorServers> { ... };
// Each test's SetUp checks that they started before using them.
template <typename Names>
class ServersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const char* name : Names::kNames) {
      Result<std::unique_ptr<MariaDbServer>> s = MariaDbServer::Start(name);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      servers_.push_back(std::move(s).value().release());
    }
    server_ = servers_.empty() ? nullptr : servers_[0];
  }
  static void TearDownTestSuite() {
    for (MariaDbServer* s : servers_) delete s;
    servers_.clear();
    server_ = nullptr;
  }

  static std::vector<MariaDbServer*> servers_;
  static MariaDbServer* server_;  // the first: suites of one server use this
};

template <typename Names>
std::vector<MariaDbServer*> ServersTest<Names>::servers_;
template <typename Names>
MariaDbServer* ServersTest<Names>::server_ = nullptr;

// A port the kernel considers free right now on 127.0.0.1.
uint16_t FreeLoopbackPort();

// Writes `text` to `path` with mode 0600.
void WriteFile(const std::string& path, const std::string& text);

}  // namespace sqlrepl::testing
