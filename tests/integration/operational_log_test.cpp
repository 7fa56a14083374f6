// What the operational logs (MASTER_LOG, SLAVE_LOG) hold after the events
// a person would look up in them, written by the real binaries: handshakes,
// refusals, purges, a lost local database, disconnections with their reason,
// failed events; and where the logs go by default, or that they go nowhere.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;

constexpr char kToken[] = "operational-log-test-token-0123456789";

struct OperationalLogTestServers {
  static constexpr const char* kNames[] = {"oplog-master", "oplog-slave"};
};

class OperationalLogTest : public ServersTest<OperationalLogTestServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) {
      ASSERT_TRUE(s->ResetSchool("CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                                 " name VARCHAR(100) NOT NULL)")
                      .ok());
    }
    port_ = FreeLoopbackPort();
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string Master() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string MasterEnv(const std::string& extra) const {
    return MasterEnvLines(*servers_[0], kToken, port_) + "ACK_TIMEOUT_MS=10000\n" + extra;
  }
  std::string SlaveEnv(const std::string& extra, const std::string& token = kToken,
                       const std::string& id = "slave1") const {
    return SlaveEnvLines(*servers_[1], token, port_, id) + extra;
  }

  // True once the file at `path` holds `text` (20 s).
  static bool LogHolds(const std::string& path, const std::string& text) {
    return WaitFor([&] { return ReadWholeFile(path).find(text) != std::string::npos; },
                   seconds(20));
  }

  TempDir dir_{"operational-log"};
  uint16_t port_ = 0;
};

// The names of the files in `dir`.
std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  return names;
}

TEST_F(OperationalLogTest, MasterLogHoldsHandshakesRefusalsPurgesAndTheLostDatabase) {
  const std::string log = Path("master_log.txt");
  std::optional<Process> master = SpawnMaster(
      dir_.path(), MasterEnv("MASTER_LOG=" + log + "\nREPL_LOG_RETENTION=1s\n"), "master");
  ASSERT_TRUE(master);
  std::optional<Process> slave =
      SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN,
                   SlaveEnv("SLAVE_LOG=" + Path("slave_log.txt") + "\n"), "slave");
  ASSERT_TRUE(slave);
  ASSERT_TRUE(WaitConnected(*slave)) << slave->Stdout();
  EXPECT_TRUE(LogHolds(log, "master: slave slave1 connected from 127.0.0.1:"))
      << ReadWholeFile(log);

  std::optional<Process> intruder = SpawnWithEnv(
      dir_.path(), SQLREPL_SLAVE_BIN,
      SlaveEnv("SLAVE_LOG=\n", "wrong-token-for-this-master-0123456789", "intruder"), "intruder");
  ASSERT_TRUE(intruder);
  EXPECT_TRUE(LogHolds(log, "slave 'intruder' failed authentication (wrong REPL_TOKEN)"))
      << ReadWholeFile(log);
  intruder.reset();

  // Both applied; #1 is older than the retention and not the newest: purged.
  ASSERT_TRUE(
      master->WriteStdin("INSERT INTO students (name) VALUES ('one');\n"
                         "INSERT INTO students (name) VALUES ('two');\n"));
  ASSERT_TRUE(WaitFor(
      [&] { return servers_[1]->QueryValue("SELECT COUNT(*) FROM school.students") == "2"; },
      seconds(20)))
      << master->Stdout() << slave->Stdout();
  EXPECT_TRUE(LogHolds(log, "master: purged 1 log events; the log now starts at #2"))
      << ReadWholeFile(log);

  const std::string session =
      servers_[0]->QueryValue("SELECT IS_USED_LOCK('sqlrepl-master:repl_meta')").value_or("");
  ASSERT_FALSE(session.empty());
  ASSERT_TRUE(servers_[0]->Exec("KILL " + session).ok());
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('three');\n"));
  EXPECT_TRUE(LogHolds(log, "master: lost the connection to the local database: "))
      << ReadWholeFile(log);
  EXPECT_TRUE(LogHolds(log, "master: reconnected to the local database (session "))
      << ReadWholeFile(log);
  EXPECT_TRUE(WaitFor(
      [&] { return servers_[1]->QueryValue("SELECT COUNT(*) FROM school.students") == "3"; },
      seconds(20)))
      << master->Stdout() << slave->Stdout();
}

TEST_F(OperationalLogTest, SlaveLogHoldsTheWaitAFailedEventAndTheDisconnectionWithItsReason) {
  const std::string log = Path("slave_log.txt");
  std::optional<Process> slave =
      SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, SlaveEnv("SLAVE_LOG=" + log + "\n"), "slave");
  ASSERT_TRUE(slave);
  EXPECT_TRUE(LogHolds(log, "slave slave1: cannot reach the master at " + Master() + ": "))
      << ReadWholeFile(log);
  EXPECT_TRUE(LogHolds(log, "; trying again every 1 second")) << ReadWholeFile(log);

  std::optional<Process> master =
      SpawnMaster(dir_.path(), MasterEnv("MASTER_LOG=" + Path("master_log.txt") + "\n"), "master");
  ASSERT_TRUE(master);
  ASSERT_TRUE(WaitConnected(*slave)) << slave->Stdout();
  // A table the slave lacks: the event fails there.
  ASSERT_TRUE(servers_[0]->Exec("CREATE TABLE school.only_here (id INT)").ok());
  ASSERT_TRUE(master->WriteStdin("INSERT INTO only_here VALUES (1);\n"));
  EXPECT_TRUE(LogHolds(log, "slave slave1: #1 failed: ")) << ReadWholeFile(log);
  EXPECT_TRUE(LogHolds(log, "only_here")) << ReadWholeFile(log);

  master->CloseStdin();  // the end of its script: the master exits
  ASSERT_TRUE(master->Wait(seconds(20)).has_value());
  const std::string disconnected =
      "slave slave1: disconnected from the master at " + Master() + ": ";
  ASSERT_TRUE(LogHolds(log, disconnected)) << ReadWholeFile(log);
  const std::string text = ReadWholeFile(log);
  const size_t reason = text.find(disconnected) + disconnected.size();
  EXPECT_NE(text[reason], '\n') << "no reason given:\n" << text;
}

TEST_F(OperationalLogTest, LogsDefaultToTheWorkingDirectoryAndAnEmptySlaveLogWritesNothing) {
  const std::string work = Path("work");
  ASSERT_EQ(::mkdir(work.c_str(), 0700), 0);
  std::optional<Process> master = SpawnMaster(dir_.path(), MasterEnv(""), "master", work);
  ASSERT_TRUE(master);
  {
    std::optional<Process> slave =
        SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, SlaveEnv(""), "slave", work);
    ASSERT_TRUE(slave);
    ASSERT_TRUE(WaitConnected(*slave)) << slave->Stdout();
    EXPECT_TRUE(LogHolds(work + "/master_log.txt", "master: started: replication log"))
        << ReadWholeFile(work + "/master_log.txt");
    EXPECT_TRUE(
        LogHolds(work + "/slave_log.txt", "slave slave1: connected to the master at " + Master()))
        << ReadWholeFile(work + "/slave_log.txt");
    slave->Signal(SIGTERM);
    ASSERT_EQ(slave->Wait(seconds(20)), 0);
  }
  const std::string quiet = Path("quiet");
  ASSERT_EQ(::mkdir(quiet.c_str(), 0700), 0);
  std::optional<Process> slave =
      SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, SlaveEnv("SLAVE_LOG=\n"), "quiet-slave", quiet);
  ASSERT_TRUE(slave);
  ASSERT_TRUE(WaitConnected(*slave)) << slave->Stdout();
  slave->Signal(SIGTERM);
  ASSERT_EQ(slave->Wait(seconds(20)), 0);
  EXPECT_EQ(FilesIn(quiet), std::vector<std::string>{}) << "SLAVE_LOG= wrote a file";
  EXPECT_EQ(Count(ReadWholeFile(work + "/slave_log.txt"), "slave slave1: starting"), 1u);
}

}  // namespace
}  // namespace sqlrepl::testing
