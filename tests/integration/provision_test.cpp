// `slave --provision` end to end (issue 20), with the real programs on three
// private servers: a third slave gets a consistent copy of the master's
// database while the master keeps writing and serving another slave, then
// follows from exactly the copy's position; a provisioning killed anywhere
// (the master, the provisioning slave, the slave's server) leaves the slave
// refusing to start until a second provisioning, which ends identical.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <random>
#include <thread>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "wait_for.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kToken[] = "provision-test-token-5f0c2a9e17";
constexpr int kRows = 200000;  // in the table the copy starts from
constexpr char kTables[] =
    "CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,"
    " age INT);"
    "CREATE TABLE school.counters (id INT PRIMARY KEY, v BIGINT NOT NULL);"
    "CREATE TABLE school.notes (id INT PRIMARY KEY, body BLOB, at DATETIME(6));";

struct ProvisionServers {
  static constexpr const char* kNames[] = {"prov-master", "prov-slave1", "prov-new"};
};

class ProvisionTest : public ServersTest<ProvisionServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 3u) << "the MariaDB servers did not start";
    // The master and slave1 hold the same rows; the new slave's database is empty.
    const std::string rows = fmt::format(
        "INSERT INTO school.students (name, age) SELECT CONCAT('student ', seq), seq % 90 FROM "
        "school.seq_1_to_{} ORDER BY seq;"
        "INSERT INTO school.counters SELECT seq, 0 FROM school.seq_1_to_10",
        kRows);
    for (int i : {0, 1}) {
      ASSERT_TRUE(servers_[i]->ResetSchool(kTables).ok());
      const Status s = servers_[i]->Exec(rows);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    ASSERT_TRUE(new_db().ResetSchool("").ok());
    listen_port_ = FreeLoopbackPort();
  }

  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& new_db() { return *servers_[2]; }

  std::optional<Process> StartMaster() {
    return SpawnMaster(dir_.path(), MasterEnvLines(master_db(), kToken, listen_port_),
                       "master" + std::to_string(++runs_));
  }
  std::string NodeLines(int i, const std::string& id) {
    return SlaveEnvLines(*servers_[i], kToken, listen_port_, id);
  }
  std::optional<Process> StartSlave(int i, const std::string& id) {
    return SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN, NodeLines(i, id),
                        id + "-" + std::to_string(++runs_));
  }
  // `slave --provision` on the new node, as root over its socket.
  std::optional<Process> StartProvision(bool force = false) {
    std::vector<std::string> args = {"--provision"};
    if (force) args.push_back("--force");
    return SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN,
                        NodeLines(2, "new") + "ADMIN_DB_USER=root\nADMIN_DB_SOCKET=" +
                            new_db().socket() + "\n",
                        "provision-" + std::to_string(++runs_), "", args);
  }

  uint64_t MasterSeq() {
    return std::stoull(
        master_db().QueryValue("SELECT COALESCE(MAX(seq), 0) FROM repl_meta.log").value_or("0"));
  }
  uint64_t AppliedSeq(int i) {
    return std::stoull(
        servers_[i]
            ->QueryValue("SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1")
            .value_or("0"));
  }
  static std::string Checksum(MariaDbServer& s, const std::string& table) {
    return s.QueryValue("SELECT COUNT(*) FROM school." + table).value_or("?") + " rows, " +
           [&] {
             Result<db::Connection> c = s.Connect("school");
             if (!c.ok()) return std::string("no connection");
             Result<db::QueryResult> r = c->Execute("CHECKSUM TABLE " + table);
             if (!r.ok() || r->rows.empty()) return std::string("no checksum");
             return r->rows[0][1].value_or("NULL");
           }();
  }
  void ExpectSameData(const std::vector<int>& nodes) {
    for (const char* table : {"students", "counters", "notes"}) {
      const std::string m = Checksum(master_db(), table);
      for (int i : nodes) EXPECT_EQ(Checksum(*servers_[i], table), m) << table << " on " << i;
    }
  }

  // A started slave on the new node either follows (the copy finished) or
  // refuses to start; true when it refused for an unfinished provisioning.
  bool NewSlaveRefusesToStart() {
    std::optional<Process> slave = StartSlave(2, "new");
    if (!slave) return false;
    const std::optional<int> status = slave->Wait(seconds(30));
    return status == 2 && slave->Stderr().find("provisioning did not finish; run slave "
                                                "--provision again") != std::string::npos;
  }

  TempDir dir_{"provision"};
  uint16_t listen_port_ = 0;
  int runs_ = 0;
};

// The workload: non-idempotent updates, inserts and transactions, in the
// order a fixed seed gives.
std::string Workload(int statements) {
  std::mt19937 rng(20);
  std::string script;
  int note = 0;
  for (int i = 0; i < statements;) {
    switch (rng() % 4) {
      case 0:
        script += fmt::format("UPDATE counters SET v = (v * 3 + {}) % 1000003 WHERE id = {};\n",
                              rng() % 7, 1 + rng() % 10);
        ++i;
        break;
      case 1:
        script += fmt::format(
            "INSERT INTO notes VALUES ({}, X'{:08x}00ff', '2026-12-0{} 10:00:00.{:06}');\n",
            ++note, static_cast<unsigned>(rng()), 1 + rng() % 9, rng() % 1000000);
        ++i;
        break;
      case 2:
        script += fmt::format("UPDATE students SET age = age + 1 WHERE id = {};\n",
                              1 + rng() % kRows);
        ++i;
        break;
      default:
        script += fmt::format(
            "BEGIN;\nUPDATE counters SET v = v + 1 WHERE id = {};\n"
            "INSERT INTO students (name, age) VALUES ('new {}', {});\nCOMMIT;\n",
            1 + rng() % 10, i, rng() % 90);
        i += 2;
    }
  }
  return script;
}

TEST_F(ProvisionTest, AThirdSlaveProvisionedWhileTheMasterWritesEndsIdentical) {
  std::optional<Process> master = StartMaster();
  std::optional<Process> slave1 = StartSlave(1, "slave1");
  ASSERT_TRUE(master && slave1 && WaitConnected(*slave1));

  // The workload goes in from a thread of its own: the master reads it as
  // it executes, so the write blocks. Joined however the test ends.
  const std::string script = Workload(20000);
  std::thread writer([&] { master->WriteStdin(script); });
  struct Joined {
    std::thread& t;
    ~Joined() { t.join(); }
  } joined{writer};
  const bool writing = WaitFor([&] { return MasterSeq() >= 500; }, seconds(120));
  std::optional<Process> provision;
  if (writing) provision = StartProvision();
  const std::optional<int> status =
      provision ? provision->Wait(seconds(300)) : std::optional<int>();
  if (!writing || !status) master->Signal(SIGKILL);  // the writer's pipe ends too
  ASSERT_TRUE(writing) << master->Stderr();
  ASSERT_EQ(status, 0) << provision->Stdout() << provision->Stderr();
  const std::string out = provision->Stdout();
  EXPECT_THAT(out, HasSubstr("Provisioned database 'school': 3 tables"));
  EXPECT_THAT(out, HasSubstr("provisioning school: "));  // the progress line

  // The copy was taken while the master wrote: its position is inside the workload.
  const uint64_t position = AppliedSeq(2);
  EXPECT_GE(position, 500u);
  master->CloseStdin();
  ASSERT_EQ(master->Wait(seconds(600)), 0) << master->Stderr();
  const uint64_t last = MasterSeq();
  EXPECT_LT(position, last) << "the copy was taken after the workload ended";

  // Started normally, the new slave follows from exactly there. The
  // master serves again (with no statements) so that it catches up.
  master = SpawnMaster(dir_.path(),
                       MasterEnvLines(master_db(), kToken, listen_port_),
                       "master-serve", "", {"--serve"});
  ASSERT_TRUE(master);
  std::optional<Process> fresh = StartSlave(2, "new");
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq(2) >= last && AppliedSeq(1) >= last; }, seconds(300)))
      << AppliedSeq(2) << " of " << last << "\n" << fresh->Stdout() << fresh->Stderr();
  EXPECT_THAT(fresh->Stdout(), HasSubstr(fmt::format("resuming at #{}", position + 1)));
  ExpectSameData({1, 2});
  EXPECT_EQ(Count(fresh->Stdout(), "ERROR"), 0u) << fresh->Stdout();
}

// Each run kills one of the three at a moment drawn from a fixed seed,
// while the copy runs; the slave then refuses to start, and a second
// provisioning (no --force: the marker allows it) ends identical.
TEST_F(ProvisionTest, AProvisioningKilledAnywhereIsRefusedThenDoneAgain) {
  // About 40 MiB more, so that a copy lasts seconds and is far larger than
  // what the link and the two queues hold at once (about 20 MiB).
  ASSERT_TRUE(master_db()
                  .Exec("CREATE TABLE school.essays (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB;"
                        "INSERT INTO school.essays SELECT seq, REPEAT(MD5(seq), 13) FROM "
                        "school.seq_1_to_100000")
                  .ok());
  std::optional<Process> master = StartMaster();
  ASSERT_TRUE(master);
  // Events in the log, so that the position the copy records means something.
  ASSERT_TRUE(master->WriteStdin(
      "UPDATE counters SET v = v + 1 WHERE id = 1;\nINSERT INTO notes VALUES (1, 'x', NOW());\n"));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() >= 2; }, seconds(60)));
  // The first run replaces what SetUp left (tables the slave never had).
  ASSERT_TRUE(new_db().Exec("CREATE TABLE school.old (id INT PRIMARY KEY)").ok());
  std::mt19937 rng(7);
  int interrupted = 0;
  for (int run = 0; run < 6; ++run) {
    const int victim = run % 3;  // 0: the master, 1: the provisioning slave, 2: its server
    std::optional<Process> provision = StartProvision(run == 0);
    ASSERT_TRUE(provision);
    // A moment inside the copy: a number of essays loaded, drawn from the
    // seed, early enough that the master still has more to send than the
    // link and both queues hold (about 20 MiB, 48,000 essays).
    const int loaded = 1000 + static_cast<int>(rng() % 30000);
    SCOPED_TRACE(fmt::format("run {} kills {} after {} essays", run, victim, loaded));
    ASSERT_TRUE(WaitFor(
        [&] {
          if (!provision->Running()) return true;
          return provision->Stdout().find("Removed ") != std::string::npos &&
                 std::stoi(new_db()
                               .QueryValue("SELECT COUNT(*) FROM school.essays")
                               .value_or("0")) >= loaded;
        },
        seconds(60)))
        << provision->Stdout() << provision->Stderr();
    ASSERT_TRUE(provision->Running()) << "the copy ended before the kill: "
                                      << provision->Stdout() << provision->Stderr();
    if (victim == 0) {
      master->Signal(SIGKILL);
      master->Wait(seconds(10));
    } else if (victim == 1) {
      provision->Signal(SIGKILL);
    } else {
      new_db().Kill();
    }
    const std::optional<int> status = provision->Wait(seconds(120));
    ASSERT_TRUE(status.has_value());
    if (victim == 1) {
      // The master ends its reader at once: no snapshot left reading, and
      // holding metadata locks, on its server.
      EXPECT_TRUE(WaitFor(
          [&] {
            return master_db().QueryValue(
                       "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                       "'%`school`.%' AND ID <> CONNECTION_ID()") == "0";
          },
          seconds(10)));
    } else {
      EXPECT_EQ(status, 1) << provision->Stdout() << provision->Stderr();
      EXPECT_THAT(provision->Stderr(), HasSubstr("run slave --provision again"));
    }
    if (victim == 0) {
      master = StartMaster();
      ASSERT_TRUE(master);
    }
    if (victim == 2) {
      ASSERT_TRUE(new_db().Restart().ok());
    }
    EXPECT_TRUE(NewSlaveRefusesToStart());
    ++interrupted;
  }
  EXPECT_EQ(interrupted, 6);

  std::optional<Process> provision = StartProvision();
  ASSERT_TRUE(provision);
  ASSERT_EQ(provision->Wait(seconds(300)), 0) << provision->Stdout() << provision->Stderr();
  EXPECT_EQ(AppliedSeq(2), 2u);
  EXPECT_EQ(MasterSeq(), 2u);
  ExpectSameData({2});
  EXPECT_EQ(Checksum(new_db(), "essays"), Checksum(master_db(), "essays"));
}

// A master that cannot be reached, or that refuses, changes nothing: the
// slave's tables stay and no marker is left. One that gives up midway
// (a table it cannot copy consistently) says why, and the slave exits 1.
TEST_F(ProvisionTest, NothingChangesUntilTheMasterWelcomesAndItsRefusalIsSaid) {
  ASSERT_TRUE(new_db().Exec("CREATE TABLE school.kept (id INT PRIMARY KEY);"
                            "INSERT INTO school.kept VALUES (1), (2)")
                  .ok());
  std::optional<Process> provision = StartProvision(true);  // no master runs
  ASSERT_TRUE(provision);
  EXPECT_EQ(provision->Wait(seconds(60)), 2) << provision->Stdout() << provision->Stderr();
  EXPECT_THAT(provision->Stderr(), HasSubstr("provisioning did not start"));
  EXPECT_THAT(provision->Stderr(), HasSubstr("The database is as it was."));
  EXPECT_EQ(new_db().QueryValue("SELECT COUNT(*) FROM school.kept"), "2");
  EXPECT_EQ(new_db().QueryValue("SELECT COUNT(*) FROM repl_meta.slave_position WHERE id = 2"),
            "0");

  ASSERT_TRUE(master_db().Exec("CREATE TABLE school.plain (id INT) ENGINE=MyISAM").ok());
  std::optional<Process> master = StartMaster();
  ASSERT_TRUE(master);
  provision = StartProvision(true);
  ASSERT_TRUE(provision);
  EXPECT_EQ(provision->Wait(seconds(60)), 1) << provision->Stdout() << provision->Stderr();
  EXPECT_THAT(provision->Stderr(), HasSubstr("not transactional: `plain` (MyISAM)"));
  EXPECT_THAT(provision->Stderr(), HasSubstr("run slave --provision again"));
  EXPECT_THAT(master->Stdout() + master->Stderr(), HasSubstr("provisioning failed"));
  EXPECT_TRUE(NewSlaveRefusesToStart());
}

}  // namespace
}  // namespace sqlrepl::testing
