// scripts/demo.sh starts the slaves once the master listens (issue 13), so
// that the first statements typed reach them. The demo itself needs tmux,
// three servers and a build; what it relies on is tested here instead: the
// wait (scripts/wait-for-port.sh) returns when a port starts listening and
// not before, and the demo calls it before each slave it starts.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <asio.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <string>

namespace sqlrepl {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kRoot = SQLREPL_SOURCE_DIR;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The exit status of `scripts/wait-for-port.sh port limit`, run on another
// thread.
std::future<int> WaitForPort(uint16_t port, int limit_seconds) {
  const std::string command = kRoot + "/scripts/wait-for-port.sh " + std::to_string(port) + " " +
                              std::to_string(limit_seconds);
  return std::async(std::launch::async, [command] {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  });
}

// A loopback port bound but not listening: reserved, and not yet what the
// wait looks for.
asio::ip::tcp::acceptor BoundPort(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io);
  a.open(asio::ip::tcp::v4());
  a.bind({asio::ip::address_v4::loopback(), 0});
  return a;
}

TEST(DemoScript, WaitForPortReturnsOnceThePortListensAndNotBefore) {
  asio::io_context io;
  asio::ip::tcp::acceptor master = BoundPort(io);
  std::future<int> waited = WaitForPort(master.local_endpoint().port(), 20);
  EXPECT_EQ(waited.wait_for(milliseconds(700)), std::future_status::timeout)
      << "returned before the port listened";
  master.listen();
  ASSERT_EQ(waited.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), 0);
}

TEST(DemoScript, WaitForPortGivesUpAtTheLimit) {
  asio::io_context io;
  asio::ip::tcp::acceptor nobody = BoundPort(io);
  std::future<int> waited = WaitForPort(nobody.local_endpoint().port(), 1);
  ASSERT_EQ(waited.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_EQ(waited.get(), 1);
}

// Each of the demo's two ways to start the slaves (tmux panes, background
// processes) waits for the master first.
TEST(DemoScript, TheDemoWaitsForTheMasterBeforeStartingEachSlave) {
  std::ifstream in(kRoot + "/scripts/demo.sh");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string demo = text.str();
  EXPECT_NE(demo.find("scripts/wait-for-port.sh \"$master_port\""), std::string::npos);
  const size_t master_pane = demo.find("tmux new-session");
  const size_t wait = demo.find("\n  wait_for_master\n", master_pane);
  const size_t first_pane = demo.find("\"$(slave 1)\"", master_pane);
  ASSERT_NE(master_pane, std::string::npos);
  ASSERT_NE(first_pane, std::string::npos);
  EXPECT_LT(wait, first_pane) << "a slave pane starts before the master listens";
  EXPECT_NE(demo.find("(wait_for_master && exec $(slave \"$i\"))"), std::string::npos)
      << "a background slave starts before the master listens";
}

// Issue 19 (found by trying the demo): \q at the master ended every pane,
// and a slave that stopped took its pane with it. Each program now runs
// through scripts/run-again.sh, which says how to start it again and does
// on Enter.
TEST(DemoScript, RunAgainSaysHowToStartTheProgramAgainAndDoesOnEnter) {
  const std::string out = ::testing::TempDir() + "run-again.out";
  // One Enter, then the end of input (Ctrl-D).
  const std::string command =
      "printf '\\n' | " + kRoot +
      "/scripts/run-again.sh slave1 'close this pane' sh -c 'echo ran; exit 3' >" + out + " 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string said = ReadFile(out);
  const std::string line =
      "demo: slave1 ended (exit status 3). Press Enter to start it again (sh -c echo ran; exit 3), "
      "or Ctrl-D to close this pane.";
  EXPECT_EQ(said, "ran\n\n" + line + "\nran\n\n" + line + "\n");
}

TEST(DemoScript, EveryPaneOutlivesItsProgram) {
  const std::string demo = ReadFile(kRoot + "/scripts/demo.sh");
  ASSERT_FALSE(demo.empty());
  EXPECT_EQ(demo.find("kill-session -t $session\""), std::string::npos)
      << "the master's pane ends the session";
  for (const std::string pane :
       {"tmux new-session -d -s \"$session\" -x 220 -y 50 \"scripts/cluster.sh page; "
        "$(again master \"$master\")\"",
        "\"$(again slave1 \"$(slave 1)\")\"", "\"$(again slave2 \"$(slave 2)\")\""}) {
    EXPECT_NE(demo.find(pane), std::string::npos) << pane;
  }
  EXPECT_NE(demo.find("again() { echo \"scripts/run-again.sh "), std::string::npos);
}

// Issue 21: the demo prints the page's address and token (what `page`
// prints is tested against a real master in cluster_script_test), before
// tmux takes the screen and again in the master's pane.
TEST(DemoScript, TheDemoPrintsThePageAddressAndToken) {
  const std::string demo = ReadFile(kRoot + "/scripts/demo.sh");
  const size_t started = demo.find("\nscripts/cluster.sh start 3\n");
  ASSERT_NE(started, std::string::npos);
  EXPECT_NE(demo.find("\nscripts/cluster.sh page | sed 's/^/demo: /' || ", started),
            std::string::npos);
}

}  // namespace
}  // namespace sqlrepl
