// The slave under faults of its own database, with real master and slave
// processes on two private MariaDB servers. Each test names the guarantee
// it protects.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include <csignal>
#include <cstdlib>
#include <random>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "recording_proxy.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kToken[] = "slave-faults-token-0123456789abcdef";

// SQLREPL_SLAVE_DB_KILLS raises (or lowers) how often the slave's server is
// killed; CI runs the default.
int KillCount() {
  const char* v = std::getenv("SQLREPL_SLAVE_DB_KILLS");
  const int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : 10;
}

struct SlaveFaultsTestServers {
  static constexpr const char* kNames[] = {"faults-master", "faults-slave"};
};

class SlaveFaultsTest : public ServersTest<SlaveFaultsTestServers> {
 protected:

  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) {
      ASSERT_TRUE(
          s->Exec("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                  "CREATE DATABASE school;"
                  "CREATE TABLE school.c (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB;"
                  "INSERT INTO school.c VALUES (1,0),(2,0),(3,0),(4,0),(5,0)")
              .ok());
    }
    ASSERT_TRUE(
        slave_db().Exec("SET GLOBAL innodb_lock_wait_timeout = 50").ok());  // a test may lower it
    listen_port_ = FreeLoopbackPort();
  }

  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& slave_db() { return *servers_[1]; }

  std::optional<Process> StartMaster(int ack_timeout_ms) {
    return SpawnMaster(dir_.path(),
                       MasterEnvLines(master_db(), kToken, listen_port_) +
                           "ACK_TIMEOUT_MS=" + std::to_string(ack_timeout_ms) + "\n",
                       "master" + std::to_string(++started_));
  }

  // `db_port`: where the slave reaches its database (a proxy); 0 for the server itself.
  std::optional<Process> StartSlave(uint16_t db_port = 0) {
    const std::string direct = "DB_PORT=" + std::to_string(slave_db().port()) + "\n";
    return SpawnSlave(db_port == 0 ? "" : direct, "DB_PORT=" + std::to_string(db_port) + "\n");
  }
  // A slave that reaches its database over the server's Unix socket.
  std::optional<Process> StartSlaveOnSocket() {
    return SpawnSlave(fmt::format("DB_HOST=127.0.0.1\nDB_PORT={}\n", slave_db().port()),
                      "DB_SOCKET=" + slave_db().socket() + "\n");
  }
  // The slave with the lines `from` of its .env replaced by `to` (none when `from` is empty).
  std::optional<Process> SpawnSlave(const std::string& from, const std::string& to) {
    std::string env = SlaveEnvLines(slave_db(), kToken, listen_port_, "faulty");
    if (!from.empty()) {
      const size_t at = env.find(from);
      EXPECT_NE(at, std::string::npos) << env;
      if (at != std::string::npos) env.replace(at, from.size(), to);
    }
    return SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, env, "slave" + std::to_string(++started_));
  }

  // A session of its own on the slave's server holding row id = 1 of c
  // (SELECT ... FOR UPDATE in an open transaction); nullopt on failure.
  std::optional<db::Connection> LockRowOneOnTheSlave() {
    Result<db::Connection> c = slave_db().Connect("school");
    if (!c.ok() || !c->Run("BEGIN").ok() ||
        !c->Run("SELECT * FROM c WHERE id = 1 FOR UPDATE").ok()) {
      ADD_FAILURE() << "cannot lock the row on the slave";
      return std::nullopt;
    }
    return std::move(c).value();
  }

  uint64_t MasterSeq() {
    return std::stoull(
        master_db().QueryValue("SELECT COALESCE(MAX(seq), 0) FROM repl_meta.log").value_or("0"));
  }
  // 0 while the slave's server is down.
  uint64_t AppliedSeq() {
    return std::stoull(
        slave_db()
            .QueryValue("SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1")
            .value_or("0"));
  }
  std::string Counters(MariaDbServer& s) {
    return s.QueryValue("SELECT GROUP_CONCAT(n ORDER BY id) FROM c", "school").value_or("?");
  }

  TempDir dir_{"slave-faults"};
  uint16_t listen_port_ = 0;
  int started_ = 0;
};


// Exactly once (issue 10, item 2): a COMMIT whose answer is lost with the
// server must not be applied again after the slave reconnects.
TEST_F(SlaveFaultsTest, SlaveServerKilledAtRandomMomentsAppliesEveryUpdateExactlyOnce) {
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/200);
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  const int kills = KillCount();
  // Updates are written in chunks between kills, so the slave always has
  // work when its server dies.
  constexpr int kChunk = 200;
  uint64_t written = 0;
  auto write_chunk = [&] {
    std::string script;
    for (int i = 0; i < kChunk; ++i, ++written) {
      script += "UPDATE c SET n = n + 1 WHERE id = " + std::to_string(1 + written % 5) + ";\n";
    }
    return master->WriteStdin(script);
  };
  ASSERT_TRUE(write_chunk());

  std::mt19937 rng(std::random_device{}());
  uint64_t last = 0;
  for (int kill = 0; kill < kills; ++kill) {
    // A random moment while the slave is applying: after 1..40 more events.
    const uint64_t target = std::min<uint64_t>(written, last + 1 + rng() % 40);
    ASSERT_TRUE(WaitFor([&] { return AppliedSeq() >= target; }, seconds(60)))
        << "kill " << kill << ": stuck at #" << AppliedSeq() << "\n"
        << slave->Stdout().substr(0, 3000);
    slave_db().Kill();
    ASSERT_TRUE(slave_db().Restart().ok());
    last = AppliedSeq();
    ASSERT_TRUE(slave->Running()) << slave->Stdout();
    ASSERT_TRUE(write_chunk());
  }
  const uint64_t updates = written;
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == updates; }, seconds(300)));
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == updates; }, seconds(120))) << AppliedSeq();
  // How often a COMMIT's answer was lost with the server (the case at stake).
  // Not asserted: whether a kill lands between a commit and its answer is
  // chance; LostCommitAnswerIsFoundAppliedAndNotAppliedAgain forces it.
  const int lost_commits = static_cast<int>(Count(slave->Stdout(), "not applying them again"));
  ::testing::Test::RecordProperty("commits_found_applied_after_reconnect", lost_commits);
  std::cout << "[ info     ] " << kills << " kills; " << lost_commits
            << " found their last COMMIT applied after reconnecting\n";
  const std::string each = std::to_string(updates / 5);
  EXPECT_EQ(Counters(master_db()), fmt::format("{0},{0},{0},{0},{0}", each));
  EXPECT_EQ(Counters(slave_db()), Counters(master_db()))
      << "after " << kills << " kills; slave said:\n"
      << slave->Stdout().substr(0, 4000);
}

// Exactly once (issue 10, item 2), deterministically: the slave's COMMIT
// reaches its database and commits, and the answer is lost with the
// connection (a proxy between the slave and its MariaDB holds the answer
// back, then cuts). The slave must find the event applied in its stored
// position, not apply it again.
TEST_F(SlaveFaultsTest, LostCommitAnswerIsFoundAppliedAndNotAppliedAgain) {
  RecordingProxy proxy(slave_db().port());
  ASSERT_NE(proxy.port(), 0);
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/200);
  std::optional<Process> slave = StartSlave(proxy.port());
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 1;\n"));
  ASSERT_TRUE(WaitFor([&] { return AppliedSeq() == 1; }, seconds(20))) << slave->Stdout();

  // Event #2's transaction ends with the position update and COMMIT, sent
  // in the same round trip (slave/apply_session.cpp).
  proxy.HoldAnswersAfter("applied_seq = 2 WHERE id = 1");
  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 1;\n"));
  ASSERT_TRUE(WaitFor([&] { return proxy.holding(); }, seconds(20))) << slave->Stdout();
  // Committed on the slave's server, while the slave still waits for the answer.
  ASSERT_TRUE(WaitFor([&] { return AppliedSeq() == 2; }, seconds(20))) << slave->Stdout();
  EXPECT_EQ(Counters(slave_db()), "2,0,0,0,0");
  EXPECT_EQ(Count(slave->Stdout(), "[#2] applied"), 0u) << slave->Stdout();
  proxy.Cut();
  ASSERT_TRUE(WaitFor([&] { return proxy.cut_done(); }, seconds(5))) << slave->Stdout();

  EXPECT_TRUE(WaitFor(
      [&] {
        return slave->Stdout().find(
                   "Events #2..#2 were committed before the local database "
                   "connection was lost; not applying them again.") != std::string::npos;
      },
      seconds(20)))
      << slave->Stdout();
  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 1;\n"));
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == 3; }, seconds(20))) << slave->Stdout();
  EXPECT_EQ(Counters(master_db()), "3,0,0,0,0");
  EXPECT_EQ(Counters(slave_db()), "3,0,0,0,0") << slave->Stdout();
  EXPECT_TRUE(slave->Running()) << slave->Stdout();
}

// Nothing lost, exactly once (issue 10, item 3): a lock wait timeout is
// waited out, not skipped.
TEST_F(SlaveFaultsTest, RowLockedOnTheSlaveDelaysTheWriteWhichLandsOnce) {
  ASSERT_TRUE(slave_db().Exec("SET GLOBAL innodb_lock_wait_timeout = 1").ok());
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/2000);
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  std::optional<db::Connection> holder = LockRowOneOnTheSlave();
  ASSERT_TRUE(holder);

  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 1;\n"));
  EXPECT_TRUE(WaitFor(
      [&] { return slave->Stdout().find("[#1] waiting: lock wait timeout") != std::string::npos; },
      seconds(20)))
      << slave->Stdout();
  // Held past further timeouts: the applier keeps trying, and keeps waiting.
  auto lock_waits = [&] {
    return std::stoull(slave_db()
                           .QueryValue("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                                       " WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_WAITS'")
                           .value_or("0"));
  };
  const uint64_t waits = lock_waits();
  EXPECT_TRUE(WaitFor([&] { return lock_waits() >= waits + 2; }, seconds(20)));
  EXPECT_EQ(AppliedSeq(), 0u);
  ASSERT_TRUE(holder->Run("ROLLBACK").ok());
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == 1; }, seconds(20))) << slave->Stdout();
  EXPECT_EQ(Counters(slave_db()), "1,0,0,0,0");
  EXPECT_EQ(Count(slave->Stdout(), "waiting:"), 1u) << slave->Stdout();
  // The slave prints after its commit: wait for the line rather than race it.
  EXPECT_TRUE(WaitFor(
      [&] {
        return slave->Stdout().find("[#1] applied: UPDATE c SET n = n + 1 WHERE id = 1 (1 row)") !=
               std::string::npos;
      },
      seconds(10)))
      << slave->Stdout();
}

// Exactly once (issue 10, item 3): the rollback after a lock wait keeps
// the event's write to an Aria table, so retrying would apply it twice; the
// slave stops instead (whatever ON_APPLY_ERROR says) and names the table.
TEST_F(SlaveFaultsTest, LockWaitInAnEventThatWroteToAriaStopsTheSlaveInsteadOfRetrying) {
  const std::string table = "CREATE TABLE school.a (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=";
  ASSERT_TRUE(master_db().Exec(table + "InnoDB; INSERT INTO school.a VALUES (1, 0)").ok());
  ASSERT_TRUE(slave_db().Exec(table + "Aria; INSERT INTO school.a VALUES (1, 0)").ok());
  ASSERT_TRUE(slave_db().Exec("SET GLOBAL innodb_lock_wait_timeout = 1").ok());
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/500);
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  std::optional<db::Connection> holder = LockRowOneOnTheSlave();
  ASSERT_TRUE(holder);

  ASSERT_TRUE(master->WriteStdin(
      "BEGIN;\nUPDATE a SET n = n + 1 WHERE id = 1;\nUPDATE c SET n = n + 1 WHERE id = 1;\n"
      "COMMIT;\n"));
  EXPECT_EQ(slave->Wait(seconds(30)), 1) << slave->Stdout();
  ASSERT_TRUE(holder->Run("ROLLBACK").ok());
  const std::string out = slave->Stdout();
  EXPECT_THAT(out, HasSubstr("event #1 failed with a lock wait timeout (ERROR 1205"));
  EXPECT_THAT(out, HasSubstr("school.a, whose engine has no transactions"));
  EXPECT_THAT(out, HasSubstr("a retry would apply twice"));
  EXPECT_EQ(Count(out, "waiting:"), 0u) << out;
  // Written once by the attempt (the rollback kept it), never twice.
  EXPECT_EQ(slave_db().QueryValue("SELECT n FROM a WHERE id = 1", "school").value_or("?"), "1");
  EXPECT_EQ(Counters(slave_db()), "0,0,0,0,0");
  EXPECT_EQ(AppliedSeq(), 0u);
}

// Exactly once (issue 10, item 4): a rollback does not undo writes to Aria,
// so such writes never share a catch-up group.
TEST_F(SlaveFaultsTest, AriaTableInACatchUpGroupWithAFailingEventEndsExact) {
  ASSERT_TRUE(slave_db().Exec("ALTER TABLE school.c ENGINE=Aria").ok());
  ASSERT_TRUE(master_db().Exec("CREATE TABLE school.only_master (i INT)").ok());
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/300);
  ASSERT_TRUE(master);
  std::string script;
  for (int i = 0; i < 10; ++i) script += "UPDATE c SET n = n + 1 WHERE id = 1;\n";
  script += "INSERT INTO only_master VALUES (1);\n";  // fails on the slave: no such table
  for (int i = 0; i < 10; ++i) script += "UPDATE c SET n = n + 1 WHERE id = 2;\n";
  ASSERT_TRUE(master->WriteStdin(script));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == 21; }, seconds(60)));
  // The slave starts behind: everything arrives as one catch-up.
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(slave);
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == 21; }, seconds(60))) << slave->Stdout();
  EXPECT_EQ(Counters(slave_db()), "10,10,0,0,0") << slave->Stdout();
  EXPECT_THAT(slave->Stdout(), HasSubstr("[#11] ERROR 1146 (42S02)"));
}

// Exactly once (issue 10, item 5): an UPDATE of the position that matches
// no row would stop saving the position silently, and a restart would
// apply everything since again.
TEST_F(SlaveFaultsTest, DeletedPositionRowStopsTheSlaveWithWhatToDo) {
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/500);
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 1;\n"));
  ASSERT_TRUE(WaitFor([&] { return AppliedSeq() == 1; }, seconds(20)));
  ASSERT_TRUE(slave_db().Exec("DELETE FROM repl_meta.slave_position").ok());
  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 2;\n"));
  EXPECT_EQ(slave->Wait(seconds(30)), 1) << slave->Stdout();
  EXPECT_THAT(slave->Stdout(), HasSubstr("repl_meta.slave_position has no row with id = 1"));
  EXPECT_THAT(slave->Stdout(), HasSubstr("VALUES (1, '"));
  EXPECT_EQ(Counters(slave_db()), "1,0,0,0,0");
}

// Liveness (issue 18, item 1): a catch-up group goes to the slave's
// database as one pipelined transaction. Over a Unix socket (about 208 KB
// each way) one of 200 events filled both directions and hung for good.
TEST_F(SlaveFaultsTest, SlaveOnSocketCatchesUpAGroupOfLargeStatements) {
  const std::string table =
      "CREATE TABLE school.big (id INT PRIMARY KEY, body MEDIUMTEXT) ENGINE=InnoDB";
  ASSERT_TRUE(master_db().Exec(table).ok());
  ASSERT_TRUE(slave_db().Exec(table).ok());
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/300);
  ASSERT_TRUE(master);
  constexpr uint64_t kEvents = 200;  // 200 x 20 KB: one group of 4 MB
  std::string script;
  for (uint64_t i = 1; i <= kEvents; ++i) {
    script += fmt::format("INSERT INTO big VALUES ({}, '{}');\n", i,
                          std::string(20000, char('a' + i % 26)));
  }
  ASSERT_TRUE(master->WriteStdin(script));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == kEvents; }, seconds(60)));
  // The slave starts behind: everything arrives as one catch-up.
  std::optional<Process> slave = StartSlaveOnSocket();
  ASSERT_TRUE(slave);
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == kEvents; }, seconds(60)))
      << "stuck at #" << AppliedSeq() << "\n" << slave->Stdout().substr(0, 3000);
  const std::string digest =
      "SELECT CONCAT(COUNT(*), ':', SUM(LENGTH(body)), ':', SUM(CRC32(body))) FROM big";
  EXPECT_EQ(slave_db().QueryValue(digest, "school"), master_db().QueryValue(digest, "school"));
}

// Liveness (issue 18, item 1): one transaction of 15,000 statements, and
// a guard after each, pipelined over the socket.
TEST_F(SlaveFaultsTest, SlaveOnSocketAppliesATransactionOf15000Statements) {
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/2000);
  std::optional<Process> slave = StartSlaveOnSocket();
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  std::string script = "BEGIN;\n";
  for (int i = 0; i < 15000; ++i) {
    script += fmt::format("UPDATE c SET n = n + 1 WHERE id = {};\n", 1 + i % 5);
  }
  script += "COMMIT;\n";
  ASSERT_TRUE(master->WriteStdin(script));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == 1; }, seconds(120)));
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == 1; }, seconds(60)))
      << slave->Stdout().substr(0, 3000);
  EXPECT_EQ(Counters(slave_db()), "3000,3000,3000,3000,3000");
}

// Liveness (issue 18, item 1): SIGTERM stops a slave whose applier has
// been blocked on its own database for longer than a heartbeat (here by a
// row lock, for up to innodb_lock_wait_timeout = 50 s); the event is
// applied once when the slave starts again.
TEST_F(SlaveFaultsTest, SigtermStopsASlaveWhoseApplierWaitsForALock) {
  std::optional<Process> master = StartMaster(/*ack_timeout_ms=*/500);
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(master && slave);
  ASSERT_TRUE(WaitConnected(*slave));
  std::optional<db::Connection> holder = LockRowOneOnTheSlave();
  ASSERT_TRUE(holder);
  ASSERT_TRUE(master->WriteStdin("UPDATE c SET n = n + 1 WHERE id = 1;\n"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return slave_db().QueryValue(
                   "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                   " WHERE USER = 'sqlrepl_slave' AND INFO = 'UPDATE c SET n = n + 1 WHERE id = 1'"
                   " AND TIME >= 2") == "1";
      },
      seconds(20)))
      << slave->Stdout();

  slave->Signal(SIGTERM);
  EXPECT_EQ(slave->Wait(seconds(5)), 0) << slave->Stdout();
  ASSERT_TRUE(holder->Run("ROLLBACK").ok());
  std::optional<Process> again = StartSlave();
  ASSERT_TRUE(again);
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() == 1; }, seconds(20))) << again->Stdout();
  EXPECT_EQ(Counters(slave_db()), "1,0,0,0,0") << again->Stdout();
}

}  // namespace
}  // namespace sqlrepl::testing
