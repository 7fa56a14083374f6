// Issue 18, item 4, the master's side: when the master's own server has no
// room for a statement's log row, the master waits (one line says so) and
// logs and commits the statement once there is room again; it never
// reports it rolled back, skips it, or commits it unlogged. The log table
// lives on a small tmpfs of the test's own (InnoDB DATA DIRECTORY), created
// before the master starts (it creates the log only when missing); a file
// fills the rest of it, and removing that file gives the room back.
#include <fmt/format.h>
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

constexpr char kToken[] = "master-resources-token-0123456789abcdef";
constexpr int kRows = 600;

std::string Tail(const std::string& text) {
  return text.substr(text.size() > 3000 ? text.size() - 3000 : 0);
}

struct MasterResourcesServers {
  static constexpr const char* kNames[] = {"resources-own"};
};

class MasterResourcesTest : public ServersTest<MasterResourcesServers> {
 protected:
  uint64_t LoggedWrites() {
    return std::stoull(server_->QueryValue("SELECT COUNT(*) FROM repl_meta.log").value_or("0"));
  }
  // INSERTs of 3 KB rows, each tenth followed by an UPDATE (the write
  // logged in the same round trip as its statement).
  static std::string Script() {
    std::string script;
    for (int i = 1; i <= kRows; ++i) {
      script += "INSERT INTO items VALUES (" + std::to_string(i) + ", REPEAT('r', 3000));\n";
      if (i % 10 == 0)
        script +=
            "UPDATE items SET body = REPEAT('u', 3000) WHERE id = " + std::to_string(i) + ";\n";
    }
    return script;
  }

  TempDir dir_{"master-resources"};
};

TEST_F(MasterResourcesTest, FullDiskUnderTheLogPausesWritesAndLosesNone) {
  ASSERT_NE(server_, nullptr) << "the MariaDB server did not start";
  SmallDisk disk(dir_.path() + "/small", 16);
  ASSERT_EQ(disk.error(), "");
  ASSERT_TRUE(server_
                  ->ResetSchool("CREATE TABLE school.items (id INT PRIMARY KEY, body VARCHAR(4000) "
                                "NOT NULL) ENGINE=InnoDB")
                  .ok());
  ASSERT_TRUE(server_->Exec("CREATE DATABASE repl_meta").ok());
  ASSERT_TRUE(
      server_
          ->Exec("CREATE TABLE repl_meta.log (seq BIGINT UNSIGNED PRIMARY KEY, committed_at "
                 "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), event LONGBLOB NOT NULL) "
                 "ENGINE=InnoDB DATA DIRECTORY = '" +
                 disk.path() + "'")
          .ok());
  std::optional<Process> master =
      SpawnMaster(dir_.path(), MasterEnvLines(*server_, kToken, FreeLoopbackPort()), "master");
  ASSERT_TRUE(master);

  disk.Fill();
  ASSERT_TRUE(master->WriteStdin(Script()));
  ASSERT_TRUE(
      WaitFor([&] { return master->Stderr().find("waiting: ") != std::string::npos; }, seconds(60)))
      << Tail(master->Stderr()) << Tail(master->Stdout());
  EXPECT_THAT(master->Stderr(), HasSubstr("on the replication log, write #"));
  const uint64_t stuck = LoggedWrites();
  EXPECT_LT(stuck, uint64_t{kRows});
  // Nothing is logged past the waiting write while the disk stays full.
  EXPECT_FALSE(WaitFor([&] { return LoggedWrites() > stuck; }, seconds(3)));

  disk.Free();
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(180)), 0) << Tail(master->Stderr()) << Tail(master->Stdout());
  EXPECT_EQ(LoggedWrites(), uint64_t{kRows + kRows / 10});
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM items", "school"), std::to_string(kRows));
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM items WHERE body LIKE 'u%'", "school"),
            std::to_string(kRows / 10));
  // Waited out, never reported failed: the error is named once, in the
  // line that says the master waits.
  EXPECT_EQ(Count(master->Stdout() + master->Stderr(), "ERROR "), 1u) << Tail(master->Stderr());
  EXPECT_EQ(Count(master->Stderr(), "waiting: "), 1u) << "one line per wait";
}

// Issue 18 (closing note): a master killed with -9 may have committed its
// last writes (they are in the log and replicated) without reporting them,
// and the next run cannot know which it reported. It names the last writes
// of the log, so that the person can check them. Before, it said only the
// log's position ("replication log ... at #5").
TEST_F(MasterResourcesTest, ARestartedMasterNamesTheLastWritesOfThePreviousRun) {
  ASSERT_NE(server_, nullptr) << "the MariaDB server did not start";
  ASSERT_TRUE(server_->ResetSchool("CREATE TABLE school.items (id INT PRIMARY KEY, v INT)").ok());
  std::optional<Process> first =
      SpawnMaster(dir_.path(), MasterEnvLines(*server_, kToken, FreeLoopbackPort()), "first");
  ASSERT_TRUE(first);
  std::string script;
  for (int i = 1; i <= 5; ++i) script += fmt::format("INSERT INTO items VALUES ({0}, {0});\n", i);
  ASSERT_TRUE(first->WriteStdin(script));
  ASSERT_TRUE(WaitFor([&] { return LoggedWrites() == 5; }, seconds(60))) << first->Stderr();
  first->Signal(SIGKILL);
  first->Wait(seconds(10));
  EXPECT_THAT(first->Stderr(), ::testing::Not(HasSubstr("the previous run ended")));

  std::optional<Process> second =
      SpawnMaster(dir_.path(), MasterEnvLines(*server_, kToken, FreeLoopbackPort()), "second");
  ASSERT_TRUE(second);
  const std::string said =
      "master: the previous run ended at write #5; if it was killed, it may have committed its "
      "last writes without reporting them:\n"
      "  #3: INSERT INTO items VALUES (3, 3)\n"
      "  #4: INSERT INTO items VALUES (4, 4)\n"
      "  #5: INSERT INTO items VALUES (5, 5)\n";
  EXPECT_TRUE(
      WaitFor([&] { return second->Stderr().find(said) != std::string::npos; }, seconds(30)))
      << second->Stderr();
  second->CloseStdin();
  EXPECT_EQ(second->Wait(seconds(60)), 0) << second->Stderr();
}

// After a clean stop (the end of its script) every write was reported:
// the next master must not warn of unreported ones.
TEST_F(MasterResourcesTest, AMasterAfterACleanStopDoesNotWarn) {
  ASSERT_NE(server_, nullptr) << "the MariaDB server did not start";
  ASSERT_TRUE(server_->ResetSchool("CREATE TABLE school.items (id INT PRIMARY KEY, v INT)").ok());
  for (const char* run : {"first", "second"}) {
    std::optional<Process> master =
        SpawnMaster(dir_.path(), MasterEnvLines(*server_, kToken, FreeLoopbackPort()), run);
    ASSERT_TRUE(master);
    ASSERT_TRUE(master->WriteStdin(fmt::format("INSERT INTO items VALUES ({0}, {0});\n",
                                               std::string(run) == "first" ? 1 : 2)));
    master->CloseStdin();
    EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr();
    EXPECT_THAT(master->Stderr(), ::testing::Not(HasSubstr("the previous run ended")));
  }
  EXPECT_EQ(LoggedWrites(), 2);
}

}  // namespace
}  // namespace sqlrepl::testing
