// Issue 18, item 4: a slave whose disk fills waits, then applies every
// event once there is room again; it never skips one, whatever
// ON_APPLY_ERROR says. The slave's table lives on a small tmpfs of the
// test's own (InnoDB DATA DIRECTORY); a file fills the rest of it, and
// removing that file gives the room back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "small_disk.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kToken[] = "slave-resources-token-0123456789abcdef";

std::string Tail(const std::string& text) {
  return text.substr(text.size() > 3000 ? text.size() - 3000 : 0);
}

struct SlaveResourcesServers {
  static constexpr const char* kNames[] = {"resources-master", "resources-slave"};
};

class SlaveResourcesTest : public ServersTest<SlaveResourcesServers> {
 protected:
  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& slave_db() { return *servers_[1]; }

  uint64_t AppliedSeq() {
    return std::stoull(
        slave_db()
            .QueryValue("SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1")
            .value_or("0"));
  }
  std::string Sum(MariaDbServer& s) {
    Result<db::Connection> c = s.Connect("school");
    if (!c.ok()) return "no connection";
    Result<db::QueryResult> r = c->Execute("CHECKSUM TABLE items");
    return r.ok() && !r->rows.empty() ? r->rows[0][1].value_or("NULL") : "no checksum";
  }

  TempDir dir_{"slave-resources"};
};

TEST_F(SlaveResourcesTest, FullDiskPausesApplyingAndSkipsNothing) {
  ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
  SmallDisk disk(dir_.path() + "/small", 16);
  ASSERT_EQ(disk.error(), "");
  const std::string table = "(id INT PRIMARY KEY, body VARCHAR(4000) NOT NULL) ENGINE=InnoDB";
  ASSERT_TRUE(master_db().ResetSchool("CREATE TABLE school.items " + table).ok());
  ASSERT_TRUE(slave_db()
                  .ResetSchool("CREATE TABLE school.items " + table + " DATA DIRECTORY = '" +
                               disk.path() + "'")
                  .ok());
  const uint16_t port = FreeLoopbackPort();
  std::optional<Process> master = SpawnMaster(
      dir_.path(), MasterEnvLines(master_db(), kToken, port) + "ACK_TIMEOUT_MS=1000\n", "master");
  ASSERT_TRUE(master);
  std::optional<Process> slave = SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN,
                                              SlaveEnvLines(slave_db(), kToken, port, "slave1") +
                                                  "ON_APPLY_ERROR=skip\n",
                                              "slave");
  ASSERT_TRUE(slave && WaitConnected(*slave));

  disk.Fill();
  // 600 rows of 3 KB: the table must grow by far more than what is left.
  std::string script;
  for (int i = 1; i <= 600; ++i) {
    script += "INSERT INTO items VALUES (" + std::to_string(i) + ", REPEAT('r', 3000));\n";
  }
  ASSERT_TRUE(master->WriteStdin(script));
  ASSERT_TRUE(
      WaitFor([&] { return slave->Stdout().find("waiting: table full") != std::string::npos; },
              seconds(60)))
      << Tail(slave->Stdout());
  const uint64_t stuck = AppliedSeq();
  EXPECT_LT(stuck, 600u);
  // Nothing after the stuck event is skipped while the disk stays full.
  EXPECT_FALSE(WaitFor([&] { return AppliedSeq() > stuck; }, seconds(3)));

  disk.Free();
  EXPECT_TRUE(WaitFor([&] { return AppliedSeq() >= 600; }, seconds(120))) << Tail(slave->Stdout());
  EXPECT_EQ(slave_db().QueryValue("SELECT COUNT(*) FROM items", "school"), "600");
  EXPECT_EQ(Sum(slave_db()), Sum(master_db()));
  // Waited out ("waiting: table full ... retrying"), never reported failed.
  EXPECT_THAT(slave->Stdout(), ::testing::Not(HasSubstr("] ERROR 1114")));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0);
  slave->Signal(SIGTERM);
  EXPECT_EQ(slave->Wait(seconds(30)), 0);
}

}  // namespace
}  // namespace sqlrepl::testing
