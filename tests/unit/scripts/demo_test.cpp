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

}  // namespace
}  // namespace sqlrepl
