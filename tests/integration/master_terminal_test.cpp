// The master's prompt as a person uses it: the real binary on a
// pseudo-terminal, with typed text (non-ASCII included), Enter and Ctrl-C.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>
#include <csignal>
#include <optional>
#include <thread>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "replication/handshake.hpp"
#include "terminal.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kToken[] = "master-terminal-test-token-0123456789";

// A slave that authenticates and then never acknowledges anything (it only
// keeps the link alive with heartbeats): what a stuck slave looks like.
class SilentSlave {
 public:
  SilentSlave(uint16_t port, const std::string& id) : socket_(io_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
    const std::string hello = protocol::Encode(
        protocol::Hello{protocol::kProtocolVersion, id, "", 0, replication::MakeNonce().value()});
    Send(protocol::MessageType::kHello, hello);
    protocol::Challenge challenge;
    if (!protocol::Decode(Read(), &challenge).ok()) return;
    const replication::Transcript transcript = replication::MakeTranscript(hello, challenge.nonce);
    Send(protocol::MessageType::kAuth,
         protocol::Encode(protocol::Auth{replication::SlaveProof(Secret(kToken), transcript)}));
    welcomed_ = !Read().empty();
    // Protocol 2: the slave's frames are sealed from here on.
    to_master_.emplace(replication::DeriveSessionKeys(Secret(kToken), transcript).slave_to_master);
    thread_ = std::thread([this] {
      while (!stop_) {
        Send(protocol::MessageType::kHeartbeat, protocol::Encode(protocol::Heartbeat{0}));
        asio::error_code ec;
        while (socket_.available(ec) > 0 && !ec) {
          std::array<char, 4096> sink;
          socket_.read_some(asio::buffer(sink), ec);
        }
        std::this_thread::sleep_for(
            milliseconds(200));  // a heartbeat's pace, not a wait for a result
      }
    });
  }
  ~SilentSlave() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool welcomed() const { return welcomed_; }

 private:
  void Send(protocol::MessageType type, const std::string& payload) {
    asio::error_code ec;
    asio::write(socket_,
                asio::buffer(to_master_ ? to_master_->SealFrame(type, payload)
                                        : protocol::EncodeFrame(type, payload)),
                ec);
  }
  std::string Read() {
    std::array<uint8_t, protocol::kHeaderSize> header{};
    asio::error_code ec;
    asio::read(socket_, asio::buffer(header), ec);
    if (ec) return "";
    Result<protocol::FrameHeader> h = protocol::DecodeHeader(header);
    if (!h.ok()) return "";
    std::string payload(h->length, '\0');
    asio::read(socket_, asio::buffer(payload), ec);
    return ec ? "" : payload;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool welcomed_ = false;
  std::optional<protocol::FrameMac> to_master_;
};

struct MasterTerminalTestServer {
  // The second holds a slave, for the tests that look at what it applied.
  static constexpr const char* kNames[] = {"master-terminal", "master-terminal-slave"};
};

class MasterTerminalTest : public ServersTest<MasterTerminalTestServer> {
 protected:

  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) {
      ASSERT_TRUE(s->ResetSchool("CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                                 " name VARCHAR(100) NOT NULL, age INT) CHARSET utf8mb4")
                      .ok());
    }
    port_ = FreeLoopbackPort();
    env_path_ = dir_.path() + "/master.env";
    WriteFile(env_path_, MasterEnvLines(*server_, kToken, port_) + "ACK_TIMEOUT_MS=60000\n");
  }

  std::optional<Terminal> StartMaster(std::map<std::string, std::string> env) {
    env.emplace("HOME", dir_.path());  // the history file stays in the test's folder
    std::string error;
    std::optional<Terminal> t =
        Terminal::Spawn({SQLREPL_MASTER_BIN, "--env-file", env_path_}, env, &error);
    EXPECT_TRUE(t) << error;
    if (t) {
      EXPECT_TRUE(t->WaitFor("master [school]> ", seconds(20))) << t->Output();
    }
    return t;
  }

  // A real slave on the second server, following the master of the test.
  std::optional<Process> StartSlave() {
    return SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN,
                        SlaveEnvLines(*servers_[1], kToken, port_, "terminal-slave"), "slave");
  }

  static std::string NamesInHex(const MariaDbServer& db) {
    return db.QueryValue("SELECT GROUP_CONCAT(HEX(name) ORDER BY id) FROM students", "school")
        .value_or("?");
  }
  std::string NamesInHex() const { return NamesInHex(*server_); }

  TempDir dir_{"master-terminal"};
  std::string env_path_;
  uint16_t port_ = 0;
};


// 'محمد علي' and 'Zoë' in UTF-8, as the server must store them.
const char kArabicHex[] = "D985D8ADD985D8AF20D8B9D984D98A";
const char kZoeHex[] = "5A6FC3AB";

void TypeNonAsciiInsert(Terminal& t) {
  t.Mark();
  t.Enter("INSERT INTO students (name, age) VALUES ('محمد علي', 1), ('Zoë', 2);");
  EXPECT_TRUE(t.WaitFor("Query OK, 2 rows affected", seconds(20))) << t.Output();
}

// Issue 10: the damaged text reached the slaves too; they must get what
// the master stored.
TEST_F(MasterTerminalTest, NonAsciiTextTypedUnderAUtf8LocaleIsStoredIntact) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}, {"LC_ALL", ""}});
  ASSERT_TRUE(t);
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(slave && WaitConnected(*slave)) << (slave ? slave->Stdout() : "");
  TypeNonAsciiInsert(*t);
  const std::string stored = std::string(kArabicHex) + "," + kZoeHex;
  EXPECT_EQ(NamesInHex(), stored);
  EXPECT_TRUE(WaitFor([&] { return NamesInHex(*servers_[1]) == stored; }, seconds(20)))
      << NamesInHex(*servers_[1]) << "\n"
      << slave->Stdout();
}

TEST_F(MasterTerminalTest, NonAsciiTextTypedUnderTheCLocaleIsStoredIntact) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C"}, {"LC_ALL", "C"}});
  ASSERT_TRUE(t);
  TypeNonAsciiInsert(*t);
  EXPECT_EQ(NamesInHex(), std::string(kArabicHex) + "," + kZoeHex);
}

TEST_F(MasterTerminalTest, CtrlCDropsTheTypedStatementAndKeepsThePrompt) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  t->Enter("INSERT INTO students (name, age)");  // a statement over two lines...
  ASSERT_TRUE(t->WaitFor("    -> ", seconds(5))) << t->Output();
  t->Type("VALUES ('never', 1)");
  t->Mark();
  t->CtrlC();  // ...abandoned before its end
  ASSERT_TRUE(t->WaitFor("^C", seconds(5))) << t->Output();
  ASSERT_TRUE(t->WaitFor("master [school]> ", seconds(5))) << t->Output();
  EXPECT_TRUE(t->Running());
  t->Mark();
  t->Enter("SELECT 40 + 2 AS answer;");
  EXPECT_TRUE(t->WaitFor("42", seconds(10))) << t->Output();
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM students", "school"), "0");
  t->Enter("\\q");
  EXPECT_EQ(t->Wait(seconds(10)), 0);
}

// Any signal that interrupts the read (here SIGWINCH, which libedit
// catches) must not read as the end of input.
TEST_F(MasterTerminalTest, ResizingTheWindowKeepsWhatIsBeingTyped) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  t->Type("SELECT 6 * 7 ");
  ASSERT_TRUE(t->WaitFor("SELECT 6 * 7 ", seconds(5))) << t->Output();
  for (unsigned short cols = 150; cols < 160; ++cols) t->Resize(40, cols);
  t->Mark();
  t->Enter("AS answer;");
  EXPECT_TRUE(t->WaitFor("42", seconds(10))) << t->Output();
  EXPECT_TRUE(t->Running());
}

TEST_F(MasterTerminalTest, CtrlCKillsTheRunningQueryAndKeepsThePrompt) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  const auto started = Clock::now();
  t->Enter("SELECT SLEEP(60);");
  ASSERT_TRUE(WaitFor([&] {
    return server_->QueryValue("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                               "WHERE INFO = 'SELECT SLEEP(60)'") == "1";
  }, seconds(10)));
  t->Mark();
  t->CtrlC();
  EXPECT_TRUE(t->WaitFor("Ctrl-C -- query killed.", seconds(10))) << t->Output();
  EXPECT_TRUE(t->WaitFor("master [school]> ", seconds(10))) << t->Output();
  EXPECT_LT(Clock::now() - started, seconds(30));
  EXPECT_TRUE(t->Running());
  t->Mark();
  t->Enter("SELECT 'still here' AS s;");
  EXPECT_TRUE(t->WaitFor("still here", seconds(10))) << t->Output();
}

TEST_F(MasterTerminalTest, CtrlCWhileWaitingForAcknowledgementsSaysTheWriteIsCommitted) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  SilentSlave stuck(port_, "stuck");
  ASSERT_TRUE(stuck.welcomed());
  ASSERT_TRUE(t->WaitFor("slave stuck connected", seconds(10))) << t->Output();
  t->Mark();
  t->Enter("INSERT INTO students (name, age) VALUES ('waits', 1);");
  ASSERT_TRUE(
      WaitFor([&] { return server_->QueryValue("SELECT COUNT(*) FROM students", "school") == "1"; },
              seconds(10)));
  t->CtrlC();
  EXPECT_TRUE(t->WaitFor("Ctrl-C -- stopped waiting. Write #1 is committed on the master; not "
                         "acknowledged yet by: stuck",
                         seconds(10)))
      << t->Output();
  EXPECT_TRUE(t->WaitFor("Query OK, 1 row affected", seconds(5))) << t->Output();
  EXPECT_TRUE(t->Running());
  t->Mark();
  t->Enter("SELECT COUNT(*) AS n FROM students;");
  EXPECT_TRUE(t->WaitFor("1 row in set", seconds(10))) << t->Output();
}

// Found in the demo: "slave1 has caught up; writes wait for it again" was
// printed only with the next write's report. It is said when it happens,
// above the prompt, with nothing typed; by the prompt's thread, as any
// output, so that the tee file has it too (review: it went round both).
TEST_F(MasterTerminalTest, ALaggingSlaveThatCatchesUpIsAnnouncedAtOnce) {
  WriteFile(env_path_, MasterEnvLines(*server_, kToken, port_) + "ACK_TIMEOUT_MS=500\n");
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  const std::string tee = dir_.path() + "/tee.txt";
  t->Mark();
  t->Enter("tee " + tee);
  ASSERT_TRUE(t->WaitFor("Logging to file", seconds(10))) << t->Output();
  std::optional<Process> slave = StartSlave();
  ASSERT_TRUE(slave && WaitConnected(*slave)) << (slave ? slave->Stdout() : "");
  slave->Signal(SIGSTOP);
  t->Mark();
  t->Enter("INSERT INTO students (name, age) VALUES ('late', 1);");
  ASSERT_TRUE(t->WaitFor("terminal-slave is lagging", seconds(20))) << t->Output();
  ASSERT_TRUE(t->WaitFor("master [school]> ", seconds(10))) << t->Output();
  t->Mark();
  slave->Signal(SIGCONT);
  ASSERT_TRUE(t->WaitFor("terminal-slave has caught up; writes wait for it again", seconds(20)))
      << t->Output();
  EXPECT_NE(ReadWholeFile(tee).find("terminal-slave has caught up"), std::string::npos)
      << ReadWholeFile(tee);
}

// \verify waits up to a minute for slaves to answer; Ctrl-C ends the wait
// and keeps the prompt (found by use: it could not be stopped).
TEST_F(MasterTerminalTest, CtrlCStopsAVerifyWaitingForASilentSlave) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  SilentSlave stuck(port_, "stuck");
  ASSERT_TRUE(stuck.welcomed());
  ASSERT_TRUE(t->WaitFor("slave stuck connected", seconds(10))) << t->Output();
  auto checksums = [&] {
    return server_
        ->QueryValue("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                     "WHERE VARIABLE_NAME = 'COM_CHECKSUM'")
        .value_or("");
  };
  const std::string before = checksums();
  t->Mark();
  t->Enter("\\verify");
  // The request goes to the slave once the master has its own checksums.
  ASSERT_TRUE(WaitFor([&] { return checksums() != before; }, seconds(10))) << t->Output();
  t->CtrlC();
  EXPECT_TRUE(t->WaitFor("\\verify stopped (Ctrl-C); nothing was compared", seconds(10)))
      << t->Output();
  EXPECT_TRUE(t->Running());
  t->Mark();
  t->Enter("SELECT COUNT(*) AS n FROM students;");
  EXPECT_TRUE(t->WaitFor("1 row in set", seconds(10))) << t->Output();
}

// Issue 19: after a DDL the prompt reads the table names again for tab
// completion; when that query was the one to find the session lost, what
// reconnecting said was dropped, SET autocommit = 0 lost without a word.
TEST_F(MasterTerminalTest, AReconnectionBeforeThePromptSaysWhatWasLost) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  SilentSlave stuck(port_, "stuck");
  ASSERT_TRUE(stuck.welcomed());
  ASSERT_TRUE(t->WaitFor("slave stuck connected", seconds(10))) << t->Output();
  t->Mark();
  t->Enter("SET autocommit = 0;");
  ASSERT_TRUE(t->WaitFor("Query OK", seconds(10))) << t->Output();
  t->Mark();
  t->Enter("CREATE TABLE later (id INT);");
  // The master waits for the silent slave: the session is killed then, so
  // that the completion query after the DDL finds it gone.
  ASSERT_TRUE(
      WaitFor([&] { return server_->QueryValue("SELECT COUNT(*) FROM repl_meta.log") == "1"; },
              seconds(10)));
  const std::string session =
      server_->QueryValue("SELECT IS_USED_LOCK('sqlrepl-master:repl_meta')").value_or("");
  ASSERT_FALSE(session.empty());
  ASSERT_TRUE(server_->Exec("KILL " + session).ok());
  t->CtrlC();
  ASSERT_TRUE(t->WaitFor("Query OK, 0 rows affected", seconds(10))) << t->Output();
  ASSERT_TRUE(t->WaitFor("SET autocommit = 0 was lost with the session", seconds(20)))
      << t->Output();
  // The note, then a prompt after it (a wait for the prompt text alone can
  // match the one drawn before the DDL ran).
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::string out = t->Output();
        const size_t prompt = out.rfind("master [school]> ");
        return prompt != std::string::npos && out.rfind("SET autocommit = 0 was lost") < prompt;
      },
      seconds(10)))
      << t->Output();
}

bool Cooked(const termios& modes) {
  return (modes.c_lflag & ICANON) != 0 && (modes.c_lflag & ECHO) != 0;
}

TEST_F(MasterTerminalTest, SigtermAtThePromptGivesTheTerminalBackCooked) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  ASSERT_FALSE(Cooked(t->Modes())) << "the line editor reads keys in raw mode";
  t->Type("SELECT 'half typed");
  t->Signal(SIGTERM);  // what a service manager or `kill` sends
  EXPECT_EQ(t->Wait(seconds(10)), 128 + SIGTERM) << t->Output();
  EXPECT_TRUE(Cooked(t->Modes())) << "the shell would get a terminal without echo";
}

TEST_F(MasterTerminalTest, AfterCtrlDTheTerminalIsCookedAgain) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  ASSERT_FALSE(Cooked(t->Modes()));
  t->Mark();
  t->Enter("SELECT 'one line' AS s;");
  ASSERT_TRUE(t->WaitFor("one line", seconds(10))) << t->Output();
  t->Type("\x04");  // Ctrl-D
  EXPECT_EQ(t->Wait(seconds(10)), 0) << t->Output();
  EXPECT_TRUE(Cooked(t->Modes())) << "the shell would get a terminal without echo";
}

TEST_F(MasterTerminalTest, StoppedAndContinuedThePromptTakesItsModesBack) {
  std::optional<Terminal> t = StartMaster({{"LANG", "C.UTF-8"}});
  ASSERT_TRUE(t);
  const termios raw = t->Modes();
  ASSERT_FALSE(Cooked(raw));
  // As with Ctrl-Z and `fg`: the program stops, the shell puts the terminal
  // back to cooked mode for itself, and later continues the program.
  t->Signal(SIGSTOP);
  termios cooked = raw;
  cooked.c_lflag |= ICANON | ECHO;
  t->SetModes(cooked);
  t->Signal(SIGCONT);
  EXPECT_TRUE(WaitFor([&] { return !Cooked(t->Modes()); }, seconds(10)))
      << "still in the shell's modes";
  t->Mark();
  t->Enter("SELECT 'back again' AS s;");
  EXPECT_TRUE(t->WaitFor("back again", seconds(10))) << t->Output();
}

}  // namespace
}  // namespace sqlrepl::testing
