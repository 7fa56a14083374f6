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
  std::optional<Process> StartProvision() {
    return SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN,
                        NodeLines(2, "new") + "ADMIN_DB_USER=root\nADMIN_DB_SOCKET=" +
                            new_db().socket() + "\n",
                        "provision-" + std::to_string(++runs_), "", {"--provision"});
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
  // it executes, so the write blocks.
  const std::string script = Workload(20000);
  std::thread writer([&] { master->WriteStdin(script); });
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() >= 500; }, seconds(120)));

  std::optional<Process> provision = StartProvision();
  ASSERT_TRUE(provision);
  const std::optional<int> status = provision->Wait(seconds(300));
  writer.join();
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
  std::mt19937 rng(7);
  int interrupted = 0;
  for (int run = 0; run < 6; ++run) {
    const int victim = run % 3;  // 0: the master, 1: the provisioning slave, 2: its server
    std::optional<Process> provision = StartProvision();
    ASSERT_TRUE(provision);
    // Into the copy: the last run's partial copy is gone, and rows of this
    // one have arrived (tables come in name order: counters, essays, ...).
    ASSERT_TRUE(WaitFor(
        [&] {
          if (!provision->Running()) return true;
          return provision->Stdout().find("Copying database") != std::string::npos &&
                 new_db().QueryValue("SELECT COUNT(*) FROM school.essays").value_or("0") != "0";
        },
        seconds(60)))
        << provision->Stdout() << provision->Stderr();
    std::this_thread::sleep_for(milliseconds(rng() % 1500));  // a random moment, not a wait
    if (!provision->Running()) continue;  // finished first: not a killed run
    SCOPED_TRACE(fmt::format("run {} kills {}", run, victim));
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
    if (victim != 1) {
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
  EXPECT_GE(interrupted, 5);

  std::optional<Process> provision = StartProvision();
  ASSERT_TRUE(provision);
  ASSERT_EQ(provision->Wait(seconds(300)), 0) << provision->Stdout() << provision->Stderr();
  EXPECT_EQ(AppliedSeq(2), MasterSeq());
  ExpectSameData({2});
  EXPECT_EQ(Checksum(new_db(), "essays"), Checksum(master_db(), "essays"));
}

}  // namespace
}  // namespace sqlrepl::testing
