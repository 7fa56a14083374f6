// `slave --setup` on a real server (issue 20): as the administrator it
// makes META_SCHEMA and its tables and gives the slave's account exactly
// the set the start-up check requires, so that the slave then starts; a
// second run changes nothing; what is missing or wrong in the ADMIN_* keys
// is said plainly, without the password.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "app/grants.hpp"
#include "app/provision.hpp"
#include "config/config.hpp"
#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "replication/slave_position.hpp"
#include "wait_for.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

constexpr char kToken[] = "setup-test-token-0c5e9a7d41b2";
constexpr char kAdminPassword[] = "weak-admin-pw-73e1";
const std::string kAccount = fmt::format("`{}`@`127.0.0.1`", MariaDbServer::kSlaveUser);

struct SetupServers {
  static constexpr const char* kNames[] = {"setup"};
};

class SlaveSetupTest : public ServersTest<SetupServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 1u) << "the MariaDB server did not start";
    // The slave's account as the server made it: no privileges at all.
    ASSERT_TRUE(
        server_
            ->Exec(fmt::format("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                               "REVOKE ALL PRIVILEGES, GRANT OPTION FROM {}",
                               kAccount))
            .ok());
  }

  // The slave's .env: its own account over TCP, a master nobody runs.
  std::string SlaveLines() const {
    return fmt::format(
        "DB_HOST=127.0.0.1\nDB_PORT={}\nDB_USER={}\nDB_PASS={}\nDB_NAME=school\n"
        "META_SCHEMA=repl_meta\nREPL_TOKEN={}\nMASTER_HOST=127.0.0.1\nMASTER_PORT={}\n"
        "SLAVE_ID=setup\nRECONNECT_SECONDS=1\n",
        server_->port(), MariaDbServer::kSlaveUser, MariaDbServer::kSlavePassword, kToken,
        FreeLoopbackPort());
  }
  std::string RootAdminLines() const {
    return "ADMIN_DB_USER=root\nADMIN_DB_SOCKET=" + server_->socket() + "\n";
  }

  // Runs `slave --setup` on `env_text`; its exit status (nullopt: still
  // running after the deadline).
  std::optional<int> Setup(const std::string& env_text, const std::string& name) {
    last_ = SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, env_text, name, "", {"--setup"});
    if (!last_) return std::nullopt;
    return last_->Wait(seconds(60));
  }
  std::string Output() const { return last_ ? last_->Stdout() + last_->Stderr() : ""; }

  // The account's grants as root sees them, without the USAGE line (which
  // holds the password hash and grants nothing).
  std::vector<std::string> Grants() const {
    std::vector<std::string> lines;
    Result<db::Connection> root = server_->Connect();
    EXPECT_TRUE(root.ok());
    if (!root.ok()) return lines;
    Result<db::QueryResult> r = root->Execute("SHOW GRANTS FOR " + kAccount);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return lines;
    for (const auto& row : r->rows) {
      const std::string line = row[0].value_or("");
      if (line.rfind("GRANT USAGE ON *.*", 0) != 0) lines.push_back(line);
    }
    return lines;
  }

  // What the start-up check requires, one line per object.
  static std::vector<std::string> Required() {
    std::vector<std::string> lines;
    for (const app::GrantObject& o : app::SlaveGrantObjects("school", "repl_meta")) {
      lines.push_back(
          fmt::format("GRANT {} ON {} TO {}", app::kSlavePrivileges, o.Quoted(), kAccount));
    }
    return lines;
  }

  TempDir dir_{"slave-setup"};
  std::optional<Process> last_;
};

TEST_F(SlaveSetupTest, AfterSetupTheGrantsAreExactlyTheRequiredSetAndTheSlaveStarts) {
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "setup"), 0) << Output();
  EXPECT_THAT(Grants(), UnorderedElementsAreArray(Required()));
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                "TABLE_SCHEMA = 'repl_meta' AND TABLE_NAME = 'slave_position'"),
            "1");

  // The slave itself: its grant check passes, and it goes on to wait for
  // its master.
  std::optional<Process> slave =
      SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, SlaveLines(), "slave");
  ASSERT_TRUE(slave);
  EXPECT_TRUE(WaitFor(
      [&] { return slave->Stdout().find("applying into database 'school'") != std::string::npos; },
      seconds(30)))
      << slave->Stdout() << slave->Stderr();
  EXPECT_THAT(slave->Stderr(), Not(HasSubstr("may also")));
  slave->Signal(SIGTERM);
  EXPECT_TRUE(slave->Wait(seconds(30)).has_value());
}

TEST_F(SlaveSetupTest, ASecondRunChangesNothing) {
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "first"), 0) << Output();
  ASSERT_TRUE(server_
                  ->Exec("INSERT INTO repl_meta.slave_position (id, replication_id, "
                         "applied_seq) VALUES (1, 'log-a', 42)")
                  .ok());
  const std::vector<std::string> before = Grants();
  const std::optional<std::string> created = server_->QueryValue(
      "SELECT CREATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'repl_meta' AND "
      "TABLE_NAME = 'slave_position'");

  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "second"), 0) << Output();
  EXPECT_THAT(Output(), HasSubstr("Nothing to change"));
  EXPECT_THAT(Output(), Not(HasSubstr("GRANT ")));
  EXPECT_EQ(Grants(), before);
  EXPECT_EQ(
      server_->QueryValue("SELECT CREATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                          "'repl_meta' AND TABLE_NAME = 'slave_position'"),
      created);
  EXPECT_EQ(server_->QueryValue("SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1"),
            "42");
}

TEST_F(SlaveSetupTest, BroaderGrantsAreTakenBackToTheRequiredSet) {
  ASSERT_TRUE(server_->Exec("GRANT ALL PRIVILEGES ON *.* TO " + kAccount).ok());
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "broad"), 0) << Output();
  EXPECT_THAT(Output(), HasSubstr("REVOKE ALL PRIVILEGES ON *.* FROM " + kAccount));
  EXPECT_THAT(Grants(), UnorderedElementsAreArray(Required()));
}

TEST_F(SlaveSetupTest, MissingAdminKeysAreNamed) {
  ASSERT_EQ(Setup(SlaveLines(), "no-admin"), 2) << Output();
  EXPECT_THAT(Output(), HasSubstr("set ADMIN_DB_USER and ADMIN_DB_PASS (or ADMIN_DB_SOCKET)"));
  ASSERT_EQ(Setup(SlaveLines() + "ADMIN_DB_USER=root\n", "no-pass"), 2) << Output();
  EXPECT_THAT(Output(), HasSubstr("ADMIN_DB_PASS is not set"));
  EXPECT_THAT(Grants(), ::testing::IsEmpty());
}

TEST_F(SlaveSetupTest, AWrongAdminPasswordIsAccessDeniedWithoutThePassword) {
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines() + "ADMIN_DB_PASS=" + kAdminPassword + "\n",
                  "wrong-pass"),
            2)
      << Output();
  EXPECT_THAT(Output(), HasSubstr("refused administrator 'root' (access denied)"));
  EXPECT_THAT(Output(), Not(HasSubstr(kAdminPassword)));
  EXPECT_THAT(Grants(), ::testing::IsEmpty());
}

TEST_F(SlaveSetupTest, AnAdministratorWithoutTheGrantOptionIsToldWhatItLacks) {
  ASSERT_TRUE(server_
                  ->Exec(fmt::format("CREATE OR REPLACE USER 'weak'@'localhost' IDENTIFIED BY '{}';"
                                     "GRANT CREATE, SELECT ON *.* TO 'weak'@'localhost'",
                                     kAdminPassword))
                  .ok());
  const std::string weak = fmt::format("ADMIN_DB_USER=weak\nADMIN_DB_PASS={}\nADMIN_DB_SOCKET={}\n",
                                       kAdminPassword, server_->socket());
  ASSERT_EQ(Setup(SlaveLines() + weak, "weak"), 2) << Output();
  EXPECT_THAT(Output(), HasSubstr("administrator 'weak' may not run: GRANT"));
  EXPECT_THAT(Output(), HasSubstr("grant option"));
  EXPECT_THAT(Output(), Not(HasSubstr(kAdminPassword)));
  EXPECT_THAT(Grants(), ::testing::IsEmpty());
  ASSERT_TRUE(server_->Exec("DROP USER 'weak'@'localhost'").ok());
}

TEST_F(SlaveSetupTest, TheAdministratorsOwnAccountIsNotMadeTheSlaves) {
  const std::string as_root =
      fmt::format("DB_SOCKET={}\nDB_USER=root\nDB_PASS=\nDB_NAME=school\nREPL_TOKEN={}\n",
                  server_->socket(), kToken);
  ASSERT_EQ(Setup(as_root + RootAdminLines(), "root-slave"), 2) << Output();
  EXPECT_THAT(Output(), HasSubstr("the administrator's own account"));
}

// The marker `slave --provision` writes before it changes anything
// (docs/provisioning.md): while it is there the slave refuses to start,
// and the slave's own account can see it.
TEST_F(SlaveSetupTest, AnUnfinishedProvisioningKeepsTheSlaveFromStarting) {
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "setup"), 0) << Output();
  ASSERT_TRUE(server_->Exec(replication::ProvisionMarkerInsertSql("repl_meta")).ok());
  std::optional<Process> slave =
      SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, SlaveLines(), "slave");
  ASSERT_TRUE(slave);
  EXPECT_EQ(slave->Wait(seconds(30)), 2);
  EXPECT_THAT(slave->Stderr(),
              HasSubstr("slave: provisioning did not finish; run slave --provision again"));
  EXPECT_THAT(slave->Stdout(), Not(HasSubstr("applying into database")));

  ASSERT_TRUE(server_->Exec(replication::ProvisionMarkerDeleteSql("repl_meta")).ok());
  slave = SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, SlaveLines(), "slave-after");
  ASSERT_TRUE(slave);
  EXPECT_TRUE(WaitFor(
      [&] { return slave->Stdout().find("applying into database 'school'") != std::string::npos; },
      seconds(30)))
      << slave->Stdout() << slave->Stderr();
  slave->Signal(SIGTERM);
  EXPECT_TRUE(slave->Wait(seconds(30)).has_value());
}

// slave --provision's first steps (docs/provisioning.md): a database that
// holds someone's tables is replaced only with --force; the partial copy
// of an unfinished provisioning without it; the marker comes first.
class ProvisionPrepareTest : public SlaveSetupTest {
 protected:
  config::SlaveConfig Config() const {
    config::SlaveConfig cfg;
    cfg.db.host = "127.0.0.1";
    cfg.db.port = server_->port();
    cfg.db.user = MariaDbServer::kSlaveUser;
    cfg.db.password = Secret(MariaDbServer::kSlavePassword);
    cfg.db.database = "school";
    cfg.meta_schema = "repl_meta";
    cfg.admin.user = "root";
    cfg.admin.socket = server_->socket();
    return cfg;
  }
  Result<db::Connection> Prepare(bool force) {
    return app::PrepareProvisioning(Config(), force,
                                    [this](const std::string& line) { printed_ += line + "\n"; });
  }
  std::optional<std::string> Marker() const {
    return server_->QueryValue(replication::ProvisionMarkerSelectSql("repl_meta"));
  }
  std::string printed_;
};

TEST_F(ProvisionPrepareTest, ANonEmptyDatabaseIsReplacedOnlyWithForce) {
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "setup"), 0) << Output();
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE school.mine (id INT PRIMARY KEY) ENGINE=InnoDB;"
                         "INSERT INTO school.mine VALUES (1);"
                         "CREATE VIEW school.v AS SELECT id FROM school.mine")
                  .ok());
  Result<db::Connection> refused = Prepare(false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("database 'school' is not empty (2 objects: mine, v)"));
  EXPECT_THAT(refused.status().message(), HasSubstr("slave --provision --force"));
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM school.mine"), "1");
  EXPECT_EQ(Marker(), "0");

  Result<db::Connection> forced = Prepare(true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(server_->QueryValue(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'school'"),
            "0");
  EXPECT_EQ(Marker(), "1");
  EXPECT_THAT(printed_, HasSubstr("Removed 2 objects from database 'school'"));
  // The session is the loader's: DB_NAME selected.
  Result<db::QueryResult> current = forced->Execute("SELECT DATABASE()");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->rows[0][0], "school");
}

TEST_F(ProvisionPrepareTest, ThePartialCopyOfAnUnfinishedProvisioningNeedsNoForce) {
  ASSERT_EQ(Setup(SlaveLines() + RootAdminLines(), "setup"), 0) << Output();
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE school.half (id INT PRIMARY KEY) ENGINE=InnoDB;" +
                         replication::ProvisionMarkerInsertSql("repl_meta"))
                  .ok());
  Result<db::Connection> again = Prepare(false);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(server_->QueryValue(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'school'"),
            "0");
  EXPECT_EQ(Marker(), "1");
}

TEST_F(ProvisionPrepareTest, WithoutSetupItSaysToRunItFirst) {
  Result<db::Connection> r = Prepare(false);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("run slave --setup first"));
}

}  // namespace
}  // namespace sqlrepl::testing
