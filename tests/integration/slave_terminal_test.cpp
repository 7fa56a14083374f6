// The slave's prompt as a person uses it: the real slave binary on a
// pseudo-terminal, following a real master (fed through a pipe) on its own
// private MariaDB server. Also the slave's first words when the master is
// not up yet, and its operational log (SLAVE_LOG).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <optional>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "terminal.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;

constexpr char kToken[] = "slave-terminal-test-token-0123456789";
constexpr char kPrompt[] = "slave1 [school]> ";

struct SlaveTerminalTestServers {
  static constexpr const char* kNames[] = {"sterm-master", "sterm-slave"};
};

class SlaveTerminalTest : public ServersTest<SlaveTerminalTestServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) {
      ASSERT_TRUE(s->ResetSchool("CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                                 " name VARCHAR(100) NOT NULL, age INT)")
                      .ok());
    }
    port_ = FreeLoopbackPort();
    slave_env_ = dir_.path() + "/slave.env";
    WriteFile(slave_env_, SlaveEnvLines(*servers_[1], kToken, port_, "slave1") +
                              "SLAVE_LOG=" + SlaveLog() + "\n");
  }

  std::string SlaveLog() const { return dir_.path() + "/slave_log.txt"; }
  std::string Master() const { return "127.0.0.1:" + std::to_string(port_); }

  // A master reading statements from a pipe, listening when it returns.
  std::optional<Process> StartMaster() {
    return SpawnMaster(dir_.path(),
                       MasterEnvLines(*servers_[0], kToken, port_) +
                           "ACK_TIMEOUT_MS=10000\nMASTER_LOG=" + dir_.path() + "/master_log.txt\n",
                       "master");
  }

  // The slave on a terminal, showing its prompt.
  std::optional<Terminal> StartSlaveTerminal() {
    std::string error;
    std::optional<Terminal> t = Terminal::Spawn({SQLREPL_SLAVE_BIN, "--env-file", slave_env_},
                                                {{"LANG", "C.UTF-8"}}, &error);
    EXPECT_TRUE(t) << error;
    if (t) {
      EXPECT_TRUE(t->WaitFor(kPrompt, seconds(20))) << t->Output();
    }
    return t;
  }

  // Both started, the slave connected.
  static bool Connected(const std::optional<Process>& master, std::optional<Terminal>& slave) {
    return master && slave && slave->WaitFor("Connected to master", seconds(20));
  }

  std::string SlaveCount() const {
    return servers_[1]->QueryValue("SELECT COUNT(*) FROM students", "school").value_or("?");
  }
  bool WaitForSlaveCount(const std::string& n) const {
    return WaitFor([&] { return SlaveCount() == n; }, seconds(20));
  }

  TempDir dir_{"slave-terminal"};
  std::string slave_env_;
  uint16_t port_ = 0;
};

TEST_F(SlaveTerminalTest, SelectAtThePromptShowsRowsReplicatedFromTheMaster) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  ASSERT_TRUE(
      master->WriteStdin("INSERT INTO students (name, age) VALUES ('Ali', 20), ('Zoë', 21);\n"));
  ASSERT_TRUE(WaitForSlaveCount("2"));
  t->Mark();
  t->Enter("SELECT name, age FROM students ORDER BY id;");
  EXPECT_TRUE(t->WaitFor("2 rows in set", seconds(10))) << t->Output();
  const std::string out = t->Output();
  EXPECT_NE(out.find("| Ali  |  20 |"), std::string::npos) << out;
  EXPECT_NE(out.find("| Zoë  |  21 |"), std::string::npos) << out;
  t->Mark();
  t->Enter("DESC students;");
  EXPECT_TRUE(t->WaitFor("3 rows in set", seconds(10))) << t->Output();
  t->Enter("\\q");
  EXPECT_EQ(t->Wait(seconds(20)), 0) << t->Output();
}

TEST_F(SlaveTerminalTest, ShowExplainAndBackslashSRunAtThePrompt) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  // Each answer is looked for in what came after its statement was typed.
  auto RunAndShow = [&t](const std::string& statement, const std::string& end) {
    const size_t from = t->Output().size();
    t->Mark();
    t->Enter(statement);
    EXPECT_TRUE(t->WaitFor(end, seconds(20))) << statement << "\n" << t->Output();
    return t->Output().substr(from);
  };
  const std::string tables = RunAndShow("SHOW TABLES;", "1 row in set");
  EXPECT_NE(tables.find("| Tables_in_school |"), std::string::npos) << tables;
  EXPECT_NE(tables.find("| students         |"), std::string::npos) << tables;
  const std::string plan =
      RunAndShow("EXPLAIN SELECT name FROM students WHERE age > 3;", "1 row in set");
  EXPECT_NE(plan.find("| select_type |"), std::string::npos) << plan;
  EXPECT_NE(plan.find("| SIMPLE      | students |"), std::string::npos) << plan;
  const std::string status = RunAndShow("\\s", "Last error:");
  EXPECT_NE(status.find("Master:           " + Master()), std::string::npos) << status;
  EXPECT_NE(status.find("Connection:       connected for"), std::string::npos) << status;
  EXPECT_EQ(t->Output().find("ERROR"), std::string::npos) << t->Output();
}

TEST_F(SlaveTerminalTest, AWriteTypedAtTheSlaveIsRefusedWithOneLineNamingTheMaster) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  for (const char* write : {"INSERT INTO students (name, age) VALUES ('local', 1);",
                            "DELETE FROM students;", "CREATE TABLE t (id INT);",
                            "SELECT 1; INSERT INTO students (name) VALUES ('two')\\G"}) {
    t->Mark();
    t->Enter(write);
    const std::string line = "ERROR: slave1 is read-only; run writes on the master at " + Master();
    ASSERT_TRUE(t->WaitFor(line, seconds(10))) << write << "\n" << t->Output();
    ASSERT_TRUE(t->WaitFor(kPrompt, seconds(10))) << t->Output();
    const std::string out = t->Output();
    // One line: nothing else was printed between the statement and the next prompt.
    const size_t refusal = out.rfind(line);
    EXPECT_EQ(out.find("ERROR", refusal + 1), std::string::npos) << out;
  }
  EXPECT_EQ(SlaveCount(), "0");
  EXPECT_EQ(servers_[1]->QueryValue("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                    "TABLE_SCHEMA = 'school'"),
            "1");
  EXPECT_TRUE(t->Running());
}

TEST_F(SlaveTerminalTest, AnEventReplicatedWhileTypingAppearsAboveAndTheTypedTextSurvives) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  t->Type("SELECT COUNT(*) AS n FROM stud");
  ASSERT_TRUE(t->WaitFor("FROM stud", seconds(5))) << t->Output();
  t->Mark();
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name, age) VALUES ('while typing', 1);\n"));
  ASSERT_TRUE(t->WaitFor("[#1] applied: INSERT INTO students", seconds(20))) << t->Output();
  // The prompt is drawn again below the echo, with what was typed.
  ASSERT_TRUE(t->WaitFor(std::string(kPrompt) + "SELECT COUNT(*) AS n FROM stud", seconds(10)))
      << t->Output();
  const std::string out = t->Output();
  EXPECT_LT(out.rfind("[#1] applied"), out.rfind(std::string(kPrompt) + "SELECT COUNT(*)")) << out;
  t->Mark();
  t->Enter("ents;");
  EXPECT_TRUE(t->WaitFor("1 row in set", seconds(10))) << t->Output();
  EXPECT_NE(t->Output().find("| 1 |"), std::string::npos) << t->Output();
}

TEST_F(SlaveTerminalTest, StatusShowsTheMasterTheLinkThePositionLagAndErrors) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name, age) VALUES ('a', 1);\n"
                                 "CREATE TABLE school.extra (id INT);\n"));
  ASSERT_TRUE(t->WaitFor("[#2] REFUSED", seconds(20))) << t->Output();
  t->Mark();
  t->Enter("status");
  ASSERT_TRUE(t->WaitFor("Last error:", seconds(10))) << t->Output();
  const std::string out = t->Output();
  for (const std::string& field :
       {"Master:           " + Master(), std::string("Connection:       connected for"),
        std::string("Replication id:   "), std::string("Applied position: #2"),
        std::string("Lag:              0 events (master at #2"), std::string("Refused events:   1"),
        std::string("Failed events:    0"),
        std::string("Last error:       #2 refused: DDL is not replicated")}) {
    EXPECT_NE(out.find(field), std::string::npos) << field << "\n" << out;
  }
  const std::string id =
      servers_[0]->QueryValue("SELECT replication_id FROM repl_meta.log_info").value_or("?");
  EXPECT_NE(out.find("Replication id:   " + id), std::string::npos) << id << "\n" << out;
}

TEST_F(SlaveTerminalTest, CtrlDStopsTheSlave) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  t->Mark();
  t->Enter("SELECT 40 + 2 AS answer;");
  ASSERT_TRUE(t->WaitFor("42", seconds(10))) << t->Output();
  ASSERT_TRUE(t->WaitFor(kPrompt, seconds(5))) << t->Output();
  t->Type("\x04");  // Ctrl-D
  EXPECT_EQ(t->Wait(seconds(20)), 0) << t->Output();
}

TEST_F(SlaveTerminalTest, CtrlCDropsTheTypedLineAndCtrlDStopsTheSlave) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  t->Enter("SELECT 'never'");  // a statement over two lines...
  ASSERT_TRUE(t->WaitFor("    -> ", seconds(5))) << t->Output();
  t->Type("AS x");
  t->Mark();
  t->CtrlC();  // ...abandoned before its end
  ASSERT_TRUE(t->WaitFor("^C", seconds(5))) << t->Output();
  ASSERT_TRUE(t->WaitFor(kPrompt, seconds(5))) << t->Output();
  t->Mark();
  t->Enter("SELECT 40 + 2 AS answer;");
  ASSERT_TRUE(t->WaitFor("42", seconds(10))) << t->Output();
  // Had the dropped text stayed, the statement would be a syntax error.
  EXPECT_EQ(t->Output().find("ERROR"), std::string::npos) << t->Output();
  // Typed once the prompt is back: before that the terminal is not in
  // libedit's mode yet, and its line discipline would take the Ctrl-D.
  ASSERT_TRUE(t->WaitFor(kPrompt, seconds(5))) << t->Output();
  t->Type("\x04");  // Ctrl-D
  EXPECT_EQ(t->Wait(seconds(20)), 0) << t->Output();
  EXPECT_NE(t->Output().find("Bye"), std::string::npos) << t->Output();
}

TEST_F(SlaveTerminalTest, SigtermAtThePromptStopsTheSlaveCleanly) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  t->Type("SELECT 'half typed'");
  ASSERT_TRUE(t->WaitFor("half typed", seconds(5))) << t->Output();
  ASSERT_EQ(t->Modes().c_lflag & ICANON, 0u) << "the line editor reads keys in raw mode";
  t->Signal(SIGTERM);
  EXPECT_EQ(t->Wait(seconds(20)), 0) << t->Output();
  EXPECT_NE(ReadWholeFile(SlaveLog()).find("slave slave1: stopping on SIGTERM"), std::string::npos)
      << ReadWholeFile(SlaveLog());
  const termios modes = t->Modes();
  EXPECT_TRUE((modes.c_lflag & ICANON) != 0 && (modes.c_lflag & ECHO) != 0) << "terminal left raw";
}

// Started before its master, as the demo and a person often do: the slave
// says it waits; "Lost the master" is kept for a master that went away.
TEST_F(SlaveTerminalTest, TheFirstAttemptSaysWaitingAndALostMasterSaysLost) {
  std::string error;
  std::optional<Process> slave =
      Process::Spawn({SQLREPL_SLAVE_BIN, "--env-file", slave_env_},
                     {dir_.path() + "/slave.out", "", "", {}, true}, &error);
  ASSERT_TRUE(slave) << error;
  const std::string waiting = "Waiting for the master at " + Master() + " ...";
  ASSERT_TRUE(
      WaitFor([&] { return slave->Stdout().find(waiting) != std::string::npos; }, seconds(20)))
      << slave->Stdout();
  EXPECT_EQ(slave->Stdout().find("Lost the master"), std::string::npos) << slave->Stdout();
  std::optional<Process> master = StartMaster();
  ASSERT_TRUE(master);
  ASSERT_TRUE(
      WaitFor([&] { return slave->Stdout().find("Connected to master") != std::string::npos; },
              seconds(20)))
      << slave->Stdout();
  EXPECT_EQ(slave->Stdout().find("Lost the master"), std::string::npos) << slave->Stdout();
  master->CloseStdin();  // end of the master's script: it exits
  ASSERT_TRUE(master->Wait(seconds(20)).has_value());
  EXPECT_TRUE(WaitFor(
      [&] { return slave->Stdout().find("Lost the master at " + Master()) != std::string::npos; },
      seconds(20)))
      << slave->Stdout();
}

TEST_F(SlaveTerminalTest, SlaveLogIsPrivateAndHoldsConnectionsButNoSecrets) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  ASSERT_TRUE(master->WriteStdin("CREATE TABLE school.extra (id INT);\n"));
  ASSERT_TRUE(t->WaitFor("[#1] REFUSED", seconds(20))) << t->Output();
  t->Enter("quit");
  ASSERT_EQ(t->Wait(seconds(20)), 0) << t->Output();

  struct stat st {};
  ASSERT_EQ(::stat(SlaveLog().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string log = ReadWholeFile(SlaveLog());
  for (const std::string& expected :
       {std::string("slave slave1: starting (sqlrepl "),
        "slave slave1: connected to the master at " + Master(), std::string("handshake done"),
        std::string("slave slave1: #1 refused: DDL"),
        std::string("slave slave1: stopped (exit status 0)")}) {
    EXPECT_NE(log.find(expected), std::string::npos) << expected << "\n" << log;
  }
  EXPECT_EQ(log.find(kToken), std::string::npos) << log;
  EXPECT_EQ(log.find(MariaDbServer::kSlavePassword), std::string::npos) << log;
  EXPECT_EQ(log.find(MariaDbServer::kPassword), std::string::npos) << log;
  // Every line starts with a UTC timestamp.
  EXPECT_EQ(log.rfind("20", 0), 0u) << log;
  EXPECT_EQ(log.find("\nslave "), std::string::npos) << log;
}

// Issue 19 (found by trying the demo): Tab at the slave's prompt offered
// SQL keywords only. It completes the slave's tables and columns, and its
// own commands, as at the master's prompt.
TEST_F(SlaveTerminalTest, TabCompletesTheTablesColumnsAndCommandsOfThePrompt) {
  std::optional<Process> master = StartMaster();
  std::optional<Terminal> t = StartSlaveTerminal();
  ASSERT_TRUE(Connected(master, t)) << (t ? t->Output() : "");
  t->Mark();
  t->Type("SELECT nam\t FROM stud\t;\r");
  EXPECT_TRUE(t->WaitFor("Empty set", seconds(10))) << t->Output();
  EXPECT_EQ(t->Output().find("ERROR"), std::string::npos) << t->Output();
  t->Mark();
  t->Type("stat\t\r");
  EXPECT_TRUE(t->WaitFor("Applied position:", seconds(10))) << t->Output();
}

}  // namespace
}  // namespace sqlrepl::testing
