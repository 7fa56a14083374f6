// Issue 12: least privilege for the slave's database account, and secrets
// that never leave the master in clear. Real master and slave processes on
// two private MariaDB servers; a recording TCP proxy between them on
// loopback captures every byte of the link.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "app/grants.hpp"
#include "db/privileges.hpp"
#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "recording_proxy.hpp"
#include "slave/applier.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "security-test-token-5f0b8e21c7d4";

struct SecurityTestServers {
  static constexpr const char* kNames[] = {"sec-master", "sec-slave"};
};

class SecurityTest : public ServersTest<SecurityTestServers> {
 protected:

  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) ASSERT_TRUE(s->ResetNotes().ok());
    listen_port_ = FreeLoopbackPort();
  }

  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& slave_db() { return *servers_[1]; }

  std::optional<Process> Spawn(const std::string& binary, const std::string& env_text,
                               const std::string& name) {
    return SpawnWithEnv(dir_.path(), binary, env_text, name);
  }

  std::optional<Process> StartMaster() {
    return SpawnMaster(dir_.path(),
                       MasterEnvLines(master_db(), kToken, listen_port_) + "ACK_TIMEOUT_MS=5000\n",
                       "master");
  }

  // A slave's .env lines after those of its database account.
  std::string SlaveTail(uint16_t master_port) {
    return std::string("REPL_TOKEN=") + kToken + "\nMASTER_HOST=127.0.0.1\nMASTER_PORT=" +
           std::to_string(master_port) + "\nSLAVE_ID=sec\nRECONNECT_SECONDS=1\n";
  }

  TempDir dir_{"security"};
  uint16_t listen_port_ = 0;
};


// Secrets: the passwords typed at the master, the token and both database
// passwords appear in no output, no log row and no byte on the wire.
TEST_F(SecurityTest, PasswordsInAccountStatementsAreNeverStoredSentOrPrinted) {
  const std::vector<std::string> typed = {"Typed-Pw-Alpha-1", "Typed-Pw-Bravo-2",
                                          "Typed-Pw-Charlie-3", "Typed-Pw-Delta-4",
                                          "Typed-Pw-Echo-5"};
  // The master runs as the user's account; this user may grant.
  ASSERT_TRUE(master_db()
                  .Exec("GRANT ALL PRIVILEGES ON *.* TO 'sqlrepl'@'127.0.0.1' WITH GRANT OPTION")
                  .ok());
  std::optional<Process> master = StartMaster();
  ASSERT_TRUE(master);
  RecordingProxy proxy(listen_port_);
  ASSERT_NE(proxy.port(), 0);
  std::optional<Process> slave =
      Spawn(SQLREPL_SLAVE_BIN, slave_db().SlaveEnvLines() + SlaveTail(proxy.port()), "slave");
  ASSERT_TRUE(slave);
  ASSERT_TRUE(WaitConnected(*slave)) << slave->Stdout() << slave->Stderr();

  const std::string session =
      "INSERT INTO notes VALUES (1, 'before');\n"
      "CREATE USER 'alice'@'%' IDENTIFIED BY '" +
      typed[0] + "', 'bob'@'%' IDENTIFIED BY '" + typed[1] +
      "';\n"
      "ALTER USER 'alice'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('" +
      typed[2] +
      "');\n"
      "SET PASSWORD FOR 'bob'@'%' = PASSWORD('" +
      typed[3] +
      "');\n"
      "GRANT SELECT ON school.* TO 'alice'@'%' IDENTIFIED /* comment */ BY '" +
      typed[4] +
      "';\n"
      "INSERT INTO notes VALUES (2, 'after');\n";
  ASSERT_TRUE(master->WriteStdin(session));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stdout() << master->Stderr();
  ASSERT_TRUE(
      WaitFor([&] { return slave_db().QueryValue("SELECT COUNT(*) FROM school.notes") == "2"; },
              seconds(30)))
      << slave->Stdout();
  slave->Signal(SIGTERM);
  EXPECT_TRUE(slave->Wait(seconds(20)));

  // The statements did run on the master, with the typed passwords.
  EXPECT_EQ(
      master_db().QueryValue("SELECT COUNT(*) FROM mysql.user WHERE User IN ('alice', 'bob')"),
      "2");
  Result<db::Connection> as_alice = db::Connection::Open([&] {
    db::ConnectOptions o = master_db().Options();
    o.user = "alice";
    o.password = Secret(typed[4]);
    return o;
  }());
  EXPECT_TRUE(as_alice.ok()) << as_alice.status().ToString();

  std::string log_rows;
  Result<db::Connection> root = master_db().Connect();
  ASSERT_TRUE(root.ok());
  Result<db::QueryResult> rows = root->Execute("SELECT event FROM repl_meta.log ORDER BY seq");
  ASSERT_TRUE(rows.ok());
  for (const auto& row : rows->rows) log_rows += row[0].value_or("");
  const std::string wire = proxy.Recorded();
  // Not vacuous: the redacted statements were logged, sent and echoed.
  EXPECT_NE(log_rows.find("IDENTIFIED BY '<redacted>'"), std::string::npos);
  EXPECT_NE(wire.find("PASSWORD('<redacted>')"), std::string::npos);
  EXPECT_NE(slave->Stdout().find("<redacted>"), std::string::npos) << slave->Stdout();

  const std::vector<std::pair<std::string, std::string>> places = {
      {"master stdout", master->Stdout()}, {"master stderr", master->Stderr()},
      {"slave stdout", slave->Stdout()},   {"slave stderr", slave->Stderr()},
      {"repl_meta.log", log_rows},         {"the link's bytes", wire}};
  std::vector<std::string> secrets = typed;
  secrets.push_back(kToken);
  secrets.push_back(MariaDbServer::kPassword);
  secrets.push_back(MariaDbServer::kSlavePassword);
  for (const auto& [where, text] : places) {
    // Not the text itself in the message: it is large and binary.
    for (const std::string& secret : secrets) {
      EXPECT_EQ(text.find(secret), std::string::npos) << "'" << secret << "' found in " << where;
    }
  }
}

// Least privilege: a slave whose account may do more than applying needs
// refuses to start and prints the statements that fix it, without the
// account's password hash; SLAVE_ALLOW_BROAD_GRANTS=1 lets it start.
TEST_F(SecurityTest, SlaveWithBroadGrantsRefusesToStartAndSaysHowToFixIt) {
  (void)slave_db().SlaveEnvLines();  // the meta table, made by an administrator
  std::optional<Process> refused =
      Spawn(SQLREPL_SLAVE_BIN, slave_db().EnvLines() + SlaveTail(listen_port_), "broad-slave");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->Wait(seconds(30)), 2);
  const std::string err = refused->Stderr();
  EXPECT_THAT(err, HasSubstr("may also: ALL PRIVILEGES ON *.*"));
  EXPECT_THAT(err, HasSubstr("REVOKE ALL PRIVILEGES ON *.* FROM `sqlrepl`@`127.0.0.1`;"));
  EXPECT_THAT(
      err,
      HasSubstr("GRANT SELECT, INSERT, UPDATE, DELETE ON `school`.* TO `sqlrepl`@`127.0.0.1`;"));
  EXPECT_THAT(err, HasSubstr("SLAVE_ALLOW_BROAD_GRANTS=1"));
  EXPECT_THAT(err, Not(HasSubstr("PASSWORD '*")));
  EXPECT_THAT(err, Not(HasSubstr(MariaDbServer::kPassword)));

  std::optional<Process> master = StartMaster();
  std::optional<Process> allowed =
      Spawn(SQLREPL_SLAVE_BIN,
            slave_db().EnvLines() + SlaveTail(listen_port_) + "SLAVE_ALLOW_BROAD_GRANTS=1\n",
            "allowed-slave");
  ASSERT_TRUE(master && allowed);
  EXPECT_TRUE(WaitConnected(*allowed)) << allowed->Stdout() << allowed->Stderr();
  EXPECT_THAT(allowed->Stderr(), HasSubstr("SLAVE_ALLOW_BROAD_GRANTS=1: starting although"));
}

// Defence in depth: whatever text reaches the slave's connection, its
// account cannot change a schema, an account, a server setting or a file.
TEST_F(SecurityTest, SlaveAccountCanChangeRowsButNothingElse) {
  (void)slave_db().SlaveEnvLines();
  db::ConnectOptions o = slave_db().Options("school");
  o.socket.clear();
  o.host = "127.0.0.1";
  o.port = slave_db().port();
  o.user = MariaDbServer::kSlaveUser;
  o.password = Secret(MariaDbServer::kSlavePassword);
  Result<db::Connection> c = db::Connection::Open(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (const char* sql :
       {"INSERT INTO notes VALUES (1, 'x')", "UPDATE notes SET body = 'y'", "CHECKSUM TABLE notes",
        "UPDATE repl_meta.slave_position SET applied_seq = 0",
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES', time_zone = '+02:00', timestamp = 1,"
        " insert_id = 5, rand_seed1 = 1, rand_seed2 = 2, foreign_key_checks = 0",
        "DELETE FROM notes"}) {
    EXPECT_TRUE(c->Run(sql).ok()) << sql;
  }
  for (const char* sql :
       {"CREATE TABLE t2 (i INT)", "DROP TABLE notes", "ALTER TABLE notes ADD c INT",
        "TRUNCATE TABLE notes", "CREATE USER 'evil'@'%'", "GRANT SELECT ON *.* TO CURRENT_USER",
        "SET GLOBAL max_connections = 1", "SELECT * FROM notes INTO OUTFILE '/tmp/sqlrepl-sec.txt'",
        "UPDATE mysql.global_priv SET Priv = '{}'", "CREATE DATABASE evil",
        "CREATE TABLE repl_meta.other (i INT)", "DROP TABLE repl_meta.slave_position",
        "CREATE TRIGGER tr BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = 'z'",
        "CREATE PROCEDURE p() SELECT 1", "SHUTDOWN"}) {
    const Status s = c->Run(sql);
    EXPECT_FALSE(s.ok()) << sql;
    EXPECT_TRUE(db::IsAccessDenied(s)) << sql << ": " << s.ToString();
  }
}

// The meta tables are an administrator's one-time setup: a slave account
// that may not create them stops with the statements to run, and those
// statements make the same table the slave would make for itself.
TEST_F(SecurityTest, MissingPositionTableStopsTheSlaveWithTheSetupStatements) {
  const std::string env = slave_db().SlaveEnvLines();
  ASSERT_TRUE(slave_db().Exec("DROP DATABASE repl_meta").ok());
  std::optional<Process> slave = Spawn(SQLREPL_SLAVE_BIN, env + SlaveTail(listen_port_), "no-meta");
  ASSERT_TRUE(slave);
  EXPECT_EQ(slave->Wait(seconds(30)), 2);
  EXPECT_THAT(slave->Stderr(), HasSubstr("may not create it; run once as an administrator:"));
  EXPECT_THAT(slave->Stderr(),
              HasSubstr("CREATE TABLE IF NOT EXISTS `repl_meta`.slave_position ("));

  const std::vector<std::string> setup = app::SlaveSetupSql("school", "meta_admin", "'nobody'@'h'");
  ASSERT_TRUE(slave_db().Exec(setup[0] + ";" + setup[1]).ok());
  Result<db::Connection> root = slave_db().Connect();
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(slave::OpenSlavePosition(&*root, "meta_slave").ok());
  auto definition = [&](const std::string& schema) {
    Result<db::QueryResult> r = root->Execute("SHOW CREATE TABLE `" + schema + "`.slave_position");
    return r.ok() && !r->rows.empty() ? r->rows[0][1].value_or("") : std::string("(none)");
  };
  EXPECT_EQ(definition("meta_admin"), definition("meta_slave"));
  ASSERT_TRUE(slave_db().Exec("DROP DATABASE meta_admin; DROP DATABASE meta_slave").ok());
}

}  // namespace
}  // namespace sqlrepl::testing
