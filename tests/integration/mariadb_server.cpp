#include "mariadb_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/grants.hpp"

namespace sqlrepl::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);

std::optional<std::string> FindProgram(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    const std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

}  // namespace

uint16_t FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), 0600);
}

Result<std::unique_ptr<MariaDbServer>> MariaDbServer::Start(const std::string& name) {
  std::unique_ptr<MariaDbServer> server(new MariaDbServer(name));
  const std::optional<std::string> install = FindProgram("mariadb-install-db");
  if (!install || !FindProgram("mariadbd")) {
    return Status::FailedPrecondition(
        "mariadbd or mariadb-install-db is not installed: run scripts/install-deps.sh");
  }
  const std::string data = server->dir() + "/data";
  // A private tmpdir: concurrent installs sharing /tmp break each other's
  // bootstrap ("Unknown table 'mysql.tmp_user_sys'").
  const std::string tmp = server->dir() + "/tmp";
  std::filesystem::create_directories(tmp);
  std::string error;
  std::optional<Process> p = Process::Spawn(
      {*install, "--no-defaults", "--datadir=" + data, "--tmpdir=" + tmp,
       "--auth-root-authentication-method=normal", "--skip-test-db"},
      {server->dir() + "/install.log", "", "", {}, false}, &error);
  if (!p) return Status::IoError("mariadb-install-db: " + error);
  const std::optional<int> rc = p->Wait(kStartTimeout);
  if (rc != 0) {
    const std::string log = ReadWholeFile(server->dir() + "/install.log");
    return Status::IoError(
        fmt::format("mariadb-install-db failed (exit {}); its log ends with:\n{}", rc.value_or(-1),
                    log.substr(log.size() > 2000 ? log.size() - 2000 : 0)));
  }
  server->socket_ = server->dir() + "/mysqld.sock";
  Status s = server->Launch();
  if (!s.ok()) return s;
  s = server->Exec(fmt::format(
      "CREATE USER '{0}'@'localhost' IDENTIFIED BY '{1}';"
      "CREATE USER '{0}'@'127.0.0.1' IDENTIFIED BY '{1}';"
      "GRANT ALL PRIVILEGES ON *.* TO '{0}'@'localhost', '{0}'@'127.0.0.1';"
      "CREATE USER '{2}'@'localhost' IDENTIFIED BY '{3}';"
      "CREATE USER '{2}'@'127.0.0.1' IDENTIFIED BY '{3}';",
      kUser, kPassword, kSlaveUser, kSlavePassword));
  if (!s.ok()) return s;
  return server;
}

Status MariaDbServer::Launch() {
  const std::optional<std::string> mariadbd = FindProgram("mariadbd");
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = FreeLoopbackPort();
    std::string error;
    process_ =
        Process::Spawn({*mariadbd, "--no-defaults", "--datadir=" + dir() + "/data",
                        "--socket=" + socket_, fmt::format("--port={}", port_),
                        "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve",
                        "--innodb-buffer-pool-size=32M", "--log-error=" + dir() + "/error.log",
                        "--pid-file=" + dir() + "/mariadbd.pid", "--max-connections=200"},
                       {dir() + "/mariadbd.out", "", dir(), {}, false}, &error);
    if (!process_) return Status::IoError("cannot start mariadbd: " + error);
    const bool up = WaitFor(
        [&] { return !process_->Running() || Connect().ok(); },
        std::chrono::duration_cast<std::chrono::milliseconds>(kStartTimeout));
    if (up && process_->Running()) return Status::Ok();
    process_.reset();  // the port was taken meanwhile, or the server failed: try again
  }
  const std::string log = ReadWholeFile(dir() + "/error.log");
  return Status::IoError(fmt::format("mariadbd did not start; its error log ends with:\n{}",
                                     log.substr(log.size() > 2000 ? log.size() - 2000 : 0)));
}

MariaDbServer::~MariaDbServer() { Stop(); }

void MariaDbServer::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  if (!process_->Wait(std::chrono::seconds(60))) process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
  process_.reset();
}

void MariaDbServer::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
  process_.reset();
}

Status MariaDbServer::Restart() {
  Stop();
  return Launch();
}

db::ConnectOptions MariaDbServer::Options(const std::string& database) const {
  db::ConnectOptions o;
  o.socket = socket_;
  o.user = "root";
  o.database = database;
  o.connect_timeout_s = 5;
  return o;
}

Result<db::Connection> MariaDbServer::Connect(const std::string& database) const {
  return db::Connection::Open(Options(database));
}

Status MariaDbServer::ResetSchool(const std::string& tables) const {
  return Exec(
      "DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta; CREATE DATABASE school;" +
      tables);
}

Status MariaDbServer::Exec(const std::string& sql) const {
  Result<db::Connection> c = Connect();
  if (!c.ok()) return c.status();
  // One statement at a time: our connections never enable multi-statements.
  sql::StatementSplitter splitter;
  splitter.Feed(sql);
  splitter.Finish();
  while (auto st = splitter.Next()) {
    Status s = c->Run(st->text);
    if (!s.ok())
      return Status::SqlError(s.sql_errno(), s.sqlstate(), s.message() + " in: " + st->text);
  }
  return Status::Ok();
}

std::optional<std::string> MariaDbServer::QueryValue(const std::string& sql,
                                                     const std::string& database) const {
  Result<db::Connection> c = Connect(database);
  if (!c.ok()) return std::nullopt;
  Result<db::QueryResult> r = c->Execute(sql);
  if (!r.ok() || r->rows.empty() || r->rows[0].empty()) return std::nullopt;
  return r->rows[0][0];
}

Status MariaDbServer::ResetNotes() const {
  return Exec(
      "DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta; CREATE DATABASE school;"
      "CREATE TABLE school.notes (id INT PRIMARY KEY, body VARCHAR(100))");
}

std::string MariaDbServer::EnvLines(const std::string& database) const {
  return fmt::format("DB_HOST=127.0.0.1\nDB_PORT={}\nDB_USER={}\nDB_PASS={}\nDB_NAME={}\n", port_,
                     kUser, kPassword, database);
}

std::string MariaDbServer::SlaveEnvLines(const std::string& database,
                                         const std::string& meta_schema) const {
  for (const char* host : {"localhost", "127.0.0.1"}) {
    for (const std::string& sql :
         app::SlaveSetupSql(database, meta_schema, fmt::format("'{}'@'{}'", kSlaveUser, host))) {
      const Status s = Exec(sql);
      EXPECT_TRUE(s.ok()) << "slave account setup: " << s.ToString();
    }
  }
  return fmt::format(
      "DB_HOST=127.0.0.1\nDB_PORT={}\nDB_USER={}\nDB_PASS={}\nDB_NAME={}\nMETA_SCHEMA={}\n", port_,
      kSlaveUser, kSlavePassword, database, meta_schema);
}

}  // namespace sqlrepl::testing
