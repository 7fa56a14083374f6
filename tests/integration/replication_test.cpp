// Master and slaves as real processes on three private MariaDB servers:
// the guarantees of docs/design.md (order, exactly once, nothing lost, refusal of
// DDL, authentication, robustness against bad peers).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kToken[] = "replication-test-token-0123456789";

struct ReplicationTestServers {
  static constexpr const char* kNames[] = {"repl-master", "repl-slave1", "repl-slave2"};
};

class ReplicationTest : public ServersTest<ReplicationTestServers> {
 protected:

  void SetUp() override {
    ASSERT_EQ(servers_.size(), 3u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) {
      ASSERT_TRUE(s->Exec("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                          "CREATE DATABASE school;"
                          "CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                          " name VARCHAR(100) NOT NULL, age INT);"
                          "CREATE TABLE school.counters (id INT PRIMARY KEY, v BIGINT NOT NULL);"
                          "INSERT INTO school.counters VALUES (1,0),(2,0),(3,0),(4,0),(5,0)")
                      .ok());
    }
    listen_port_ = FreeLoopbackPort();
  }

  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& slave_db(int i) { return *servers_[i]; }

  // A master whose stdin stays open for statements, listening when it returns.
  std::optional<Process> StartMaster(int ack_timeout_ms = 2000, const std::string& extra = "") {
    return SpawnMaster(dir_.path(),
                       MasterEnvLines(master_db(), kToken, listen_port_) +
                           "ACK_TIMEOUT_MS=" + std::to_string(ack_timeout_ms) + "\n" + extra,
                       "master" + std::to_string(++masters_));
  }

  std::optional<Process> StartSlave(int i, const std::string& token = kToken,
                                    const std::string& extra = "") {
    return SpawnWithEnv(
        dir_.path(), SQLREPL_SLAVE_BIN,
        SlaveEnvLines(slave_db(i), token, listen_port_, "slave" + std::to_string(i)) + extra,
        "slave" + std::to_string(i) + "-" + std::to_string(++slaves_));
  }

  // The master and both slaves; `connected` once both slaves are in.
  struct Cluster {
    std::optional<Process> master, s1, s2;
    bool connected = false;
  };
  Cluster StartCluster(int ack_timeout_ms = 2000) {
    Cluster c{StartMaster(ack_timeout_ms), StartSlave(1), StartSlave(2)};
    c.connected = c.master && c.s1 && c.s2 && WaitConnected(*c.s1) && WaitConnected(*c.s2);
    return c;
  }

  uint64_t MasterSeq() {
    return std::stoull(
        master_db().QueryValue("SELECT COALESCE(MAX(seq), 0) FROM repl_meta.log").value_or("0"));
  }
  uint64_t AppliedSeq(int i) {
    return std::stoull(
        slave_db(i)
            .QueryValue("SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1")
            .value_or("0"));
  }
  bool WaitForAppliedSeq(int i, uint64_t seq, std::chrono::milliseconds timeout = seconds(60)) {
    return WaitFor([&] { return AppliedSeq(i) >= seq; }, timeout);
  }

  static std::string Checksum(MariaDbServer& s, const std::string& table) {
    Result<db::Connection> c = s.Connect("school");
    if (!c.ok()) return "no connection";
    Result<db::QueryResult> r = c->Execute("CHECKSUM TABLE " + table);
    if (!r.ok() || r->rows.empty()) return "no checksum";
    return r->rows[0][1].value_or("NULL");
  }

  void ExpectSameData(const std::string& table) {
    const std::string m = Checksum(master_db(), table);
    EXPECT_EQ(Checksum(slave_db(1), table), m) << table;
    EXPECT_EQ(Checksum(slave_db(2), table), m) << table;
  }

  TempDir dir_{"replication"};
  uint16_t listen_port_ = 0;
  int masters_ = 0;
  int slaves_ = 0;
};


TEST_F(ReplicationTest, WritesReachBothSlavesIdentically) {
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(master->WriteStdin(
      "INSERT INTO students (name, age) VALUES ('Ali', 22), ('Zoë', 20), ('Bo', NULL);\n"
      "UPDATE students SET age = age + 1 WHERE name = 'Ali';\n"
      "DELETE FROM students WHERE name = 'Bo';\n"
      "INSERT INTO students (name, age) VALUES ('Cy', 30);\n"));
  EXPECT_TRUE(WaitFor([&] { return Count(master->Stdout(), "Replicated to 2/2 slaves") == 4; },
                      seconds(30)))
      << master->Stdout();
  ASSERT_TRUE(WaitForAppliedSeq(1, 4) && WaitForAppliedSeq(2, 4));
  ExpectSameData("students");
  EXPECT_EQ(slave_db(1).QueryValue("SELECT GROUP_CONCAT(name ORDER BY id) FROM students", "school"),
            "Ali,Zoë,Cy");
  EXPECT_THAT(s1->Stdout(),
              HasSubstr("[#1] applied: INSERT INTO students (name, age) VALUES ('Ali', 22), "
                        "('Zoë', 20), ('Bo', NULL) (3 rows)"));
  EXPECT_THAT(s2->Stdout(),
              HasSubstr("[#3] applied: DELETE FROM students WHERE name = 'Bo' (1 row)"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(30)), 0) << master->Stderr();
}

// An INSERT with an explicit id reports that id as its insert id; carried to
// the slaves, it must not stay forced for the next statement that generates
// one, here an audit trigger that generates its own id on every node.
TEST_F(ReplicationTest, AnInsertIdAppliesToItsOwnStatementOnly) {
  for (MariaDbServer* s : servers_) {
    ASSERT_TRUE(
        s->Exec("CREATE TABLE school.audit (id INT AUTO_INCREMENT PRIMARY KEY, student INT);"
                "CREATE TRIGGER school.students_au AFTER UPDATE ON school.students FOR EACH ROW "
                "INSERT INTO school.audit (student) VALUES (NEW.id)")
            .ok());
  }
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(
      master->WriteStdin("INSERT INTO students (id, name, age) VALUES (60, 'Explicit', 1);\n"
                         "UPDATE students SET age = 2 WHERE id = 60;\n"));
  ASSERT_TRUE(WaitForAppliedSeq(1, 2) && WaitForAppliedSeq(2, 2)) << s1->Stdout() << s2->Stdout();
  ExpectSameData("students");
  ExpectSameData("audit");
  EXPECT_EQ(slave_db(1).QueryValue("SELECT GROUP_CONCAT(id) FROM audit", "school"), "1");
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(30)), 0) << master->Stderr();
}

TEST_F(ReplicationTest, DdlRunsOnTheMasterAndIsRefusedBySlaves) {
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(
      master->WriteStdin("DROP TABLE counters;\nINSERT INTO students (name) VALUES ('after');\n"));
  EXPECT_TRUE(WaitFor(
      [&] {
        return master->Stdout().find(
                   "Refused by 2/2 slaves: DDL is not replicated to slaves: DROP TABLE") !=
               std::string::npos;
      },
      seconds(30)))
      << master->Stdout();
  ASSERT_TRUE(WaitForAppliedSeq(1, 2) && WaitForAppliedSeq(2, 2));
  EXPECT_FALSE(master_db().QueryValue("SELECT COUNT(*) FROM counters", "school").has_value());
  EXPECT_EQ(slave_db(1).QueryValue("SELECT COUNT(*) FROM counters", "school"), "5");
  EXPECT_EQ(slave_db(2).QueryValue("SELECT COUNT(*) FROM counters", "school"), "5");
  EXPECT_THAT(
      s1->Stdout(),
      HasSubstr("[#1] REFUSED (DDL is not replicated to slaves: DROP TABLE): DROP TABLE counters"));
  ExpectSameData("students");
}

TEST_F(ReplicationTest, SlaveStartedAfterAThousandWritesCatchesUp) {
  std::optional<Process> master = StartMaster();
  ASSERT_TRUE(master);
  std::string script;
  for (int i = 0; i < 1000; ++i) {
    script += "INSERT INTO students (name, age) VALUES ('s" + std::to_string(i) + "', " +
              std::to_string(i % 90) + ");\n";
  }
  ASSERT_TRUE(master->WriteStdin(script));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == 1000; }, seconds(120)));
  std::optional<Process> s2 = StartSlave(2);
  ASSERT_TRUE(s2);
  EXPECT_TRUE(WaitForAppliedSeq(2, 1000, seconds(120)));
  EXPECT_EQ(Checksum(slave_db(2), "students"), Checksum(master_db(), "students"));
  EXPECT_THAT(s2->Stdout(), HasSubstr("resuming at #1 (master at #1000)"));
}

TEST_F(ReplicationTest, SlaveKilledRepeatedlyAppliesEveryUpdateExactlyOnce) {
  Cluster cluster = StartCluster(/*ack_timeout_ms=*/300);
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  constexpr int kUpdates = 3000;
  std::string script;
  for (int i = 0; i < kUpdates; ++i) {
    script += "UPDATE counters SET v = v + 1 WHERE id = " + std::to_string(1 + i % 5) + ";\n";
  }
  ASSERT_TRUE(master->WriteStdin(script));
  // Kill slave 1 with SIGKILL whenever it has made progress, five times.
  uint64_t last = 0;
  for (int kill = 0; kill < 5; ++kill) {
    ASSERT_TRUE(WaitFor([&] { return AppliedSeq(1) > last; }, seconds(60)));
    s1->Signal(SIGKILL);
    s1->Wait(seconds(10));
    last = AppliedSeq(1);
    s1 = StartSlave(1);
    ASSERT_TRUE(s1);
  }
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == kUpdates; }, seconds(120)));
  EXPECT_TRUE(WaitForAppliedSeq(1, kUpdates, seconds(120)));
  EXPECT_TRUE(WaitForAppliedSeq(2, kUpdates, seconds(120)));
  ExpectSameData("counters");
  EXPECT_EQ(slave_db(1).QueryValue("SELECT SUM(v) FROM counters", "school"),
            std::to_string(kUpdates));
}

TEST_F(ReplicationTest, KilledMasterComesBackAndSlavesResumeWithNothingLost) {
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('before1');\n"
                                 "INSERT INTO students (name) VALUES ('before2');\n"));
  ASSERT_TRUE(WaitFor([&] { return Count(master->Stdout(), "Replicated to 2/2 slaves") == 2; },
                      seconds(30)));
  master->Signal(SIGKILL);
  master->Wait(seconds(10));
  EXPECT_TRUE(WaitFor([&] {
    return s1->Stdout().find("Master unavailable. Retrying in 1 second...") != std::string::npos;
  }, seconds(20))) << s1->Stdout();

  const auto restarted = Clock::now();
  master = StartMaster();
  ASSERT_TRUE(master);
  EXPECT_TRUE(WaitFor([&] { return Count(s1->Stdout(), "Connected to master") >= 2 &&
                                   Count(s2->Stdout(), "Connected to master") >= 2; },
                      seconds(kReconnectSeconds + 1) + milliseconds(500)))
      << "slaves did not reconnect within RECONNECT_SECONDS + 1 s";
  EXPECT_LE(Clock::now() - restarted, seconds(kReconnectSeconds + 2));
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('after');\n"));
  ASSERT_TRUE(WaitForAppliedSeq(1, 3) && WaitForAppliedSeq(2, 3));
  EXPECT_EQ(master_db().QueryValue("SELECT GROUP_CONCAT(name ORDER BY id) FROM students", "school"),
            "before1,before2,after");
  ExpectSameData("students");
}

TEST_F(ReplicationTest, SlaveWithWrongTokenGetsNothing) {
  std::optional<Process> master = StartMaster();
  ASSERT_TRUE(master);
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('secret');\n"));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == 1; }, seconds(20)));
  std::optional<Process> intruder = StartSlave(1, "a-different-token-9876543210");
  ASSERT_TRUE(intruder);
  // Issue 12: a slave cannot tell a master with another token from an
  // impostor, and an impostor must not be able to stop it, so it does not
  // exit: it says why and keeps retrying.
  EXPECT_TRUE(WaitFor(
      [&] {
        return intruder->Stdout().find(
                   "could not prove it knows REPL_TOKEN: either REPL_TOKEN differs") !=
               std::string::npos;
      },
      seconds(20)))
      << intruder->Stdout();
  EXPECT_TRUE(intruder->Running());
  EXPECT_TRUE(WaitFor(
      [&] {
        return master->Stderr().find("slave 'slave1' failed authentication (wrong REPL_TOKEN)") !=
               std::string::npos;
      },
      seconds(10)))
      << master->Stderr();
  EXPECT_EQ(slave_db(1).QueryValue("SELECT COUNT(*) FROM students", "school"), "0");
  EXPECT_EQ(AppliedSeq(1), 0u);
}

// A raw TCP connection to the master's port, for sending bad input.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // True once the peer has closed the connection (reads give EOF or reset).
  bool ClosedByPeer() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buf[256];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n <= 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST_F(ReplicationTest, GarbageOversizedAndSilentConnectionsDoNotDisturbGoodSlaves) {
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;

  RawConnection garbage(listen_port_), oversized(listen_port_), silent(listen_port_);
  ASSERT_TRUE(garbage.connected() && oversized.connected() && silent.connected());
  garbage.Send("GET / HTTP/1.0\r\n\r\n");
  oversized.Send(std::string("\xff\xff\xff\x7f\x01", 5));
  EXPECT_TRUE(WaitFor([&] { return garbage.ClosedByPeer(); }, seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return oversized.ClosedByPeer(); }, seconds(10)));

  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('still served');\n"));
  EXPECT_TRUE(WaitForAppliedSeq(1, 1, seconds(20)) && WaitForAppliedSeq(2, 1, seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return silent.ClosedByPeer(); }, seconds(10)))
      << "a connection that never says hello is closed after the handshake deadline";
  EXPECT_THAT(master->Stderr(), HasSubstr("handshake not completed within 5 s"));
  EXPECT_THAT(master->Stderr(), HasSubstr("larger than the limit"));

  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('and again');\n"));
  EXPECT_TRUE(WaitForAppliedSeq(1, 2, seconds(20)) && WaitForAppliedSeq(2, 2, seconds(20)));
  ExpectSameData("students");
  EXPECT_TRUE(master->Running());
}

TEST_F(ReplicationTest, OnApplyErrorStopHaltsTheSlaveWithoutAdvancing) {
  ASSERT_TRUE(master_db().Exec("CREATE TABLE school.only_master (i INT)").ok());
  std::optional<Process> master = StartMaster();
  std::optional<Process> s1 = StartSlave(1, kToken, "ON_APPLY_ERROR=stop\n");
  std::optional<Process> s2 = StartSlave(2);
  ASSERT_TRUE(master && s1 && s2);
  ASSERT_TRUE(WaitConnected(*s1) && WaitConnected(*s2));
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('ok');\n"
                                 "INSERT INTO only_master VALUES (1);\n"
                                 "INSERT INTO students (name) VALUES ('later');\n"));
  EXPECT_EQ(s1->Wait(seconds(30)), 1);
  EXPECT_THAT(s1->Stdout(), HasSubstr("[#2] ERROR 1146 (42S02)"));
  EXPECT_THAT(s1->Stdout(), HasSubstr("Stopping: event #2 failed and ON_APPLY_ERROR=stop"));
  EXPECT_EQ(AppliedSeq(1), 1u);
  // The default (skip) reports the error and goes on.
  EXPECT_TRUE(WaitForAppliedSeq(2, 3));
  EXPECT_EQ(slave_db(2).QueryValue("SELECT COUNT(*) FROM students", "school"), "2");
  EXPECT_TRUE(WaitFor(
      [&] { return master->Stdout().find("slave2: ERROR 1146 (42S02)") != std::string::npos; },
      seconds(20)))
      << master->Stdout();
}

TEST_F(ReplicationTest, SlaveDatabaseOutagePausesApplyingAndSkipsNothing) {
  std::optional<Process> master = StartMaster();
  std::optional<Process> s1 = StartSlave(1);
  ASSERT_TRUE(master && s1);
  ASSERT_TRUE(WaitConnected(*s1));
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('before');\n"));
  ASSERT_TRUE(WaitForAppliedSeq(1, 1));
  slave_db(1).Stop();
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('during1');\n"
                                 "INSERT INTO students (name) VALUES ('during2');\n"));
  EXPECT_TRUE(
      WaitFor([&] { return s1->Stdout().find("Local database unavailable") != std::string::npos; },
              seconds(20)))
      << s1->Stdout();
  EXPECT_TRUE(s1->Running());
  ASSERT_TRUE(slave_db(1).Restart().ok());
  EXPECT_TRUE(WaitForAppliedSeq(1, 3));
  EXPECT_THAT(s1->Stdout(), HasSubstr("Local database is back; applying resumes."));
  EXPECT_EQ(slave_db(1).QueryValue("SELECT GROUP_CONCAT(name ORDER BY id) FROM students", "school"),
            "before,during1,during2");
}

TEST_F(ReplicationTest, HeartbeatsDetectAFrozenPeerWithinSeconds) {
  std::optional<Process> master = StartMaster();
  std::optional<Process> s1 = StartSlave(1);
  ASSERT_TRUE(master && s1);
  ASSERT_TRUE(WaitConnected(*s1));
  // A frozen master: the slave notices from the silence alone.
  master->Signal(SIGSTOP);
  EXPECT_TRUE(WaitFor(
      [&] { return s1->Stdout().find("No message from the master for 6 s") != std::string::npos; },
      seconds(10)))
      << s1->Stdout();
  master->Signal(SIGCONT);
  EXPECT_TRUE(WaitConnected(*s1, 2));
  // A frozen slave: the master notices. (Resuming from its own freeze, the
  // master already dropped the connection the slave had given up on.)
  const std::string silent = "no message from the slave for 6 s";
  const size_t before = Count(master->Stderr(), silent);
  s1->Signal(SIGSTOP);
  EXPECT_TRUE(WaitFor([&] { return Count(master->Stderr(), silent) > before; }, seconds(10)))
      << master->Stderr();
  s1->Signal(SIGCONT);
  EXPECT_TRUE(WaitConnected(*s1, 3)) << "slave:\n"
                                     << s1->Stdout() << "master:\n"
                                     << master->Stderr();
}

TEST_F(ReplicationTest, RetentionPurgesOnlyWhatEveryKnownSlaveApplied) {
  std::optional<Process> master = StartMaster(2000, "REPL_LOG_RETENTION=1s\n");
  std::optional<Process> s1 = StartSlave(1);
  ASSERT_TRUE(master && s1);
  ASSERT_TRUE(WaitConnected(*s1));
  std::string five;
  for (int i = 0; i < 5; ++i) five += "INSERT INTO students (name) VALUES ('early');\n";
  ASSERT_TRUE(master->WriteStdin(five));
  ASSERT_TRUE(WaitForAppliedSeq(1, 5));
  // The purge goes by what the master recorded of the acknowledgements, not
  // by the slave's own position: wait until the master has #5 (a slower
  // build once killed the slave with only #4 recorded).
  ASSERT_TRUE(WaitFor(
      [&] {
        return master_db().QueryValue(
                   "SELECT applied_seq FROM repl_meta.slaves WHERE slave_id = 'slave1'") == "5";
      },
      seconds(30)));
  // Slave 1 goes away; events 6..8 are only on the master.
  s1->Signal(SIGKILL);
  s1->Wait(seconds(10));
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('late');\n"
                                 "INSERT INTO students (name) VALUES ('late');\n"
                                 "INSERT INTO students (name) VALUES ('late');\n"));
  ASSERT_TRUE(WaitFor([&] { return MasterSeq() == 8; }, seconds(20)));
  auto first_seq = [&] {
    return master_db().QueryValue("SELECT MIN(seq) FROM repl_meta.log").value_or("?");
  };
  EXPECT_TRUE(WaitFor([&] { return first_seq() == "6"; }, seconds(20))) << first_seq();
  EXPECT_EQ(master_db().QueryValue("SELECT COUNT(*) FROM repl_meta.log"), "3");
  EXPECT_TRUE(WaitFor(
      [&] {
        return master->Stderr().find("purged 5 log events; the log now starts at #6") !=
               std::string::npos;
      },
      seconds(10)))
      << master->Stderr();
  EXPECT_EQ(
      master_db().QueryValue("SELECT applied_seq FROM repl_meta.slaves WHERE slave_id = 'slave1'"),
      "5");

  // A new slave needs event #1, which is gone: refused with what to do.
  std::optional<Process> fresh = StartSlave(2);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->Wait(seconds(20)), 2);
  EXPECT_THAT(fresh->Stdout(), HasSubstr("needs event #1 but the master's log now starts at #6"));
  EXPECT_THAT(fresh->Stdout(), HasSubstr("slave --provision --force"));

  // Slave 1 comes back and gets what it missed.
  s1 = StartSlave(1);
  ASSERT_TRUE(s1);
  EXPECT_TRUE(WaitForAppliedSeq(1, 8));
  EXPECT_EQ(Checksum(slave_db(1), "students"), Checksum(master_db(), "students"));
}

// A random mix (fixed seed) of everything the statement context and the
// transaction handling must get right.
std::string RandomContextWorkload(int statements) {
  std::mt19937 rng(20261122);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<std::string> out;
  auto single = [&]() -> std::string {
    switch (pick(9)) {
      case 0:
        return "INSERT INTO ctx_t (a, d, r, s) VALUES (" + std::to_string(pick(1000)) +
               ", NOW(6), RAND(), 'one')";
      case 1:
        return "INSERT INTO ctx_t (a, d, r, s) VALUES (1, NOW(6), RAND(), 'm1'), (2, NOW(6) - "
               "INTERVAL 1 DAY, RAND(), 'm2'), (3, CURDATE(), RAND(), 'm3')";
      case 2:
        return "INSERT INTO ctx_t (a, s) SELECT v, 'sel' FROM src ORDER BY id LIMIT " +
               std::to_string(1 + pick(3));
      case 3: return "INSERT INTO ctx_t (a, s) VALUES (LAST_INSERT_ID(), 'lid')";
      case 4: return "SET @v = " + std::to_string(pick(100000));
      case 5: return "INSERT INTO ctx_t (a, r, s) VALUES (@v, RAND(@v), 'var')";
      case 6:
        return "UPDATE ctx_t SET r = RAND(), d = NOW(6) WHERE id % 13 = " +
               std::to_string(pick(13));
      case 7: return "DELETE FROM ctx_t WHERE id = " + std::to_string(1 + pick(2000));
      default:
        return "UPDATE src SET v = v + FLOOR(RAND() * 10), t = UNIX_TIMESTAMP(NOW(6)) WHERE id = " +
               std::to_string(1 + pick(10));
    }
  };
  while (static_cast<int>(out.size()) < statements) {
    switch (pick(10)) {
      case 0: {  // a committed transaction
        out.push_back("BEGIN");
        for (int i = pick(5); i >= 0; --i) out.push_back(single());
        out.push_back("COMMIT");
        break;
      }
      case 1: {  // a rolled-back transaction
        out.push_back("START TRANSACTION");
        for (int i = pick(4); i >= 0; --i) out.push_back(single());
        out.push_back("ROLLBACK");
        break;
      }
      case 2: {  // savepoints
        out.push_back("BEGIN");
        out.push_back(single());
        out.push_back("SAVEPOINT sp1");
        out.push_back(single());
        out.push_back(single());
        out.push_back("ROLLBACK TO SAVEPOINT sp1");
        out.push_back(single());
        out.push_back("COMMIT");
        break;
      }
      case 3: {  // autocommit off
        out.push_back("SET autocommit = 0");
        for (int i = pick(4); i >= 0; --i) out.push_back(single());
        out.push_back("COMMIT");
        out.push_back(single());
        out.push_back("SET autocommit = 1");
        break;
      }
      default:
        out.push_back(single());
    }
  }
  std::string script;
  for (const std::string& s : out) script += s + ";\n";
  return script;
}

TEST_F(ReplicationTest, RandomizedWorkloadGivesTheSameDataEverywhere) {
  for (MariaDbServer* s : servers_) {
    ASSERT_TRUE(s->Exec("CREATE TABLE school.ctx_t (id INT AUTO_INCREMENT PRIMARY KEY, a BIGINT,"
                        " d DATETIME(6), r DOUBLE, s VARCHAR(32),"
                        " ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6));"
                        "CREATE TABLE school.src (id INT PRIMARY KEY, v INT, t DOUBLE);"
                        "INSERT INTO school.src SELECT seq, seq * 10, 0 FROM school.seq_1_to_10")
                    .ok());
  }
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  const std::string script = RandomContextWorkload(5000);
  ASSERT_GE(static_cast<size_t>(std::count(script.begin(), script.end(), '\n')), 5000u);
  ASSERT_TRUE(master->WriteStdin(script + "\\verify\n"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(300)), 0) << master->Stderr().substr(0, 2000);
  const std::string out = master->Stdout();
  EXPECT_NE(out.find("Verified 4 tables on 2 slaves: all match."), std::string::npos)
      << out.substr(out.size() > 1500 ? out.size() - 1500 : 0);
  ExpectSameData("ctx_t");
  ExpectSameData("src");
  EXPECT_EQ(slave_db(1).QueryValue("SELECT COUNT(*) FROM ctx_t", "school"),
            master_db().QueryValue("SELECT COUNT(*) FROM ctx_t", "school"));
  EXPECT_NE(master_db().QueryValue("SELECT COUNT(*) FROM ctx_t", "school"), "0");
}

// A file nobody here wrote: MariaDB's own help-table script (its
// `set sql_log_bin = 0` once failed inside the master's log transaction),
// loaded into copies of the help tables in school.
TEST_F(ReplicationTest, MariaDbHelpTablesScriptLoadsIdenticallyEverywhere) {
  const std::vector<std::string> tables = {"help_topic", "help_category", "help_keyword",
                                           "help_relation"};
  for (MariaDbServer* s : servers_) {
    for (const std::string& t : tables) {
      ASSERT_TRUE(s->Exec("CREATE TABLE school." + t + " LIKE mysql." + t).ok());
    }
  }
  std::string script = ReadWholeFile("/usr/share/mysql/fill_help_tables.sql");
  ASSERT_GT(script.size(), 1000000u) << "mariadb-server's fill_help_tables.sql is missing";
  const size_t use = script.find("\nuse mysql;\n");
  ASSERT_NE(use, std::string::npos);
  script.erase(use + 1, std::string("use mysql;\n").size());

  Cluster cluster = StartCluster(/*ack_timeout_ms=*/10000);
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  // The master stays up until the slaves have everything: a slave that
  // fell behind (ASan, a busy machine) gets the rest only from a running
  // master (issue 19: this once failed on a fresh machine).
  ASSERT_TRUE(master->WriteStdin(script + "SELECT 'help tables loaded' AS marker;\n"));
  ASSERT_TRUE(
      WaitFor([&] { return master->Stdout().find("help tables loaded") != std::string::npos; },
              seconds(300)))
      << master->Stderr().substr(0, 2000);
  const uint64_t last = MasterSeq();
  ASSERT_GT(last, 1000u);
  EXPECT_TRUE(WaitForAppliedSeq(1, last, seconds(300)) && WaitForAppliedSeq(2, last, seconds(300)));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr().substr(0, 2000);
  for (const std::string& t : tables) ExpectSameData(t);
  EXPECT_NE(master_db().QueryValue("SELECT COUNT(*) FROM help_topic", "school"), "0");
}

// A data-only mariadb-dump: it switches to NO_AUTO_VALUE_ON_ZERO and its
// own character set, then restores both from user variables. The write
// after it must run under the master's mode on the slaves too: there an id
// of 0 means "the next value", not a second row 0.
TEST_F(ReplicationTest, DataOnlyDumpLeavesTheSlavesInTheMastersSqlMode) {
  for (MariaDbServer* s : servers_) {
    ASSERT_TRUE(
        s->Exec("CREATE TABLE school.d (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50))"
                " CHARSET utf8mb4")
            .ok());
  }
  ASSERT_TRUE(
      master_db()
          .Exec("CREATE DATABASE dumpsrc; CREATE TABLE dumpsrc.d LIKE school.d;"
                "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';"
                "INSERT INTO dumpsrc.d VALUES (0, 'zero'), (1, 'Zo\xc3\xab'), (2, 'caf\xc3\xa9')")
          .ok());
  const std::string dump_path = dir_.path() + "/dump.sql";
  std::string error;
  std::optional<Process> dump =
      Process::Spawn({"/usr/bin/mariadb-dump", "--no-defaults", "-uroot", "-S",
                      master_db().socket(), "--no-create-info", "dumpsrc", "d"},
                     {dump_path, dir_.path() + "/dump.err", "", {}, false}, &error);
  ASSERT_TRUE(dump) << error;
  ASSERT_EQ(dump->Wait(seconds(60)), 0) << ReadWholeFile(dir_.path() + "/dump.err");
  ASSERT_TRUE(master_db().Exec("DROP DATABASE dumpsrc").ok());
  const std::string file = ReadWholeFile(dump_path);
  ASSERT_NE(file.find("NO_AUTO_VALUE_ON_ZERO"), std::string::npos) << file;

  Cluster cluster = StartCluster(/*ack_timeout_ms=*/10000);
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(
      master->WriteStdin(file + "INSERT INTO d (id, name) VALUES (0, 'after the dump');\n"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(120)), 0) << master->Stderr().substr(0, 2000);
  const uint64_t last = MasterSeq();
  EXPECT_TRUE(WaitForAppliedSeq(1, last) && WaitForAppliedSeq(2, last));
  EXPECT_EQ(master_db().QueryValue("SELECT GROUP_CONCAT(id ORDER BY id) FROM d", "school"),
            "0,1,2,3");
  ExpectSameData("d");
}

// Issue 11: slaves read each statement under the sql_mode it ran under,
// instead of refusing the modes that change quoting.
TEST_F(ReplicationTest, StatementsUnderQuotingModesAreReadAsTheServerReadsThem) {
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(master->WriteStdin(
      "SET sql_mode = 'ANSI_QUOTES';\n"
      "INSERT INTO \"students\" (\"name\", age) VALUES ('quoted', 1);\n"
      "SET sql_mode = 'NO_BACKSLASH_ESCAPES';\n"
      "INSERT INTO students (name, age) VALUES ('back\\slash', 2);\n"
      "SET sql_mode = DEFAULT;\n"
      "INSERT INTO students (name, age) VALUES ('tab\\there', 3);\n"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr();
  const uint64_t last = MasterSeq();
  ASSERT_EQ(last, 3u);
  EXPECT_TRUE(WaitForAppliedSeq(1, last) && WaitForAppliedSeq(2, last));
  EXPECT_EQ(master_db().QueryValue("SELECT HEX(name) FROM students WHERE age = 2", "school"),
            "6261636B5C736C617368");  // the backslash kept as typed
  EXPECT_EQ(master_db().QueryValue("SELECT HEX(name) FROM students WHERE age = 3", "school"),
            "7461620968657265");  // \t read as a tab again
  ExpectSameData("students");
  EXPECT_EQ(Count(s1->Stdout(), "REFUSED"), 0u) << s1->Stdout();
}

TEST_F(ReplicationTest, VerifyReportsADifferenceAndFailsTheScript) {
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('a');\n"));
  ASSERT_TRUE(WaitForAppliedSeq(2, 1));
  ASSERT_TRUE(slave_db(2).Exec("UPDATE school.students SET name = 'tampered'").ok());
  ASSERT_TRUE(master->WriteStdin("\\verify students counters\n"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 1);
  EXPECT_THAT(master->Stdout(), HasSubstr("Verified 2 tables on 2 slaves: 1 DIFFERENT."));
  EXPECT_THAT(master->Stdout(), HasSubstr("DIFFERENT |"));
}

// Issue 19: a table that exists only on a slave is named and fails the
// script as a difference does; a \verify of named tables leaves it out.
TEST_F(ReplicationTest, VerifyNamesATableThatExistsOnlyOnASlave) {
  ASSERT_TRUE(slave_db(1).Exec("CREATE TABLE school.notes (id INT PRIMARY KEY)").ok());
  Cluster cluster = StartCluster();
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  ASSERT_TRUE(master->WriteStdin("\\verify students\n\\verify\n"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 1);
  const std::string out = master->Stdout();
  EXPECT_THAT(out, HasSubstr("Verified 1 table on 2 slaves: all match."));
  EXPECT_THAT(out, HasSubstr("slave1: table notes exists only on this slave\n"));
  EXPECT_EQ(Count(out, "exists only"), 1u) << out;
  EXPECT_THAT(out, HasSubstr("Verified 2 tables on 2 slaves: 1 table only on a slave."));
}

// Issue 19: a piped master that exits while a slave is behind says so, with
// the slave and how far behind it is (here slave1 waits on a table lock held
// on its own server).
TEST_F(ReplicationTest, PipedMasterThatExitsWhileASlaveIsBehindSaysSo) {
  // Long enough for slave2 to answer on a loaded machine; slave1 costs one
  // timeout, then is not waited for.
  Cluster cluster = StartCluster(/*ack_timeout_ms=*/5000);
  ASSERT_TRUE(cluster.connected);
  auto& [master, s1, s2, connected] = cluster;
  Result<db::Connection> holder = slave_db(1).Connect("school");
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->Run("LOCK TABLES students WRITE").ok());
  ASSERT_TRUE(master->WriteStdin("INSERT INTO students (name) VALUES ('a');\n"
                                 "INSERT INTO students (name) VALUES ('b');\n"
                                 "INSERT INTO students (name) VALUES ('c');\n"));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr();
  EXPECT_THAT(master->Stderr(), HasSubstr("master: exiting while 1 slave is behind"));
  EXPECT_THAT(master->Stderr(), HasSubstr("  slave1: applied #0 of #3 (3 events behind)"));
  EXPECT_THAT(master->Stderr(), ::testing::Not(HasSubstr("slave2: applied")));
  ASSERT_TRUE(holder->Run("UNLOCK TABLES").ok());
  EXPECT_TRUE(WaitForAppliedSeq(1, 3));  // what it received, it applies
}

}  // namespace
}  // namespace sqlrepl::testing
