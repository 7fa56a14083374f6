// scripts/cluster.sh, as the demo runs it (issue 19, found by trying the
// demo): its servers must take any text a person types, and each node must
// log to its own file under the cluster's folder, not all of them to the
// same ./master_log.txt and ./slave_log.txt of wherever the demo started.
// The demo prints the master's page address and token (`page`, issue 21):
// they must be what the master then serves.
// The script runs for real here: private servers on free loopback ports,
// in a folder of the test's own, stopped by `destroy` at the end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <asio.hpp>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "mariadb_server.hpp"
#include "process.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

const std::string kScript = std::string(SQLREPL_SOURCE_DIR) + "/scripts/cluster.sh";

// Two free consecutive loopback ports, as cluster.sh takes a base port and
// gives node i the port base + i.
uint16_t TwoFreePorts() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const uint16_t base = FreeLoopbackPort();
    asio::io_context io;
    asio::ip::tcp::acceptor next(io);
    asio::error_code ec;
    next.open(asio::ip::tcp::v4(), ec);
    if (!ec) next.bind({asio::ip::address_v4::loopback(), static_cast<uint16_t>(base + 1)}, ec);
    if (!ec) return base;
  }
  return 0;
}

// The value of `key` in a .env file the script wrote ('' quotes removed).
std::string EnvValue(const std::string& path, const std::string& key) {
  const std::string text = ReadWholeFile(path);
  const size_t at = text.find("\n" + key + "=");
  if (at == std::string::npos) return "";
  std::string value = text.substr(at + key.size() + 2);
  value = value.substr(0, value.find('\n'));
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
    value = value.substr(1, value.size() - 2);
  return value;
}

class ClusterScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const uint16_t base = TwoFreePorts();
    ASSERT_NE(base, 0) << "no two free loopback ports";
    const std::string cluster = dir_.path() + "/cluster";
    env_ = "SQLREPL_CLUSTER_DIR='" + cluster + "' SQLREPL_DB_BASE_PORT=" + std::to_string(base) +
           " SQLREPL_LISTEN_PORT=" + std::to_string(FreeLoopbackPort()) +
           " SQLREPL_HTTP_PORT=" + std::to_string(FreeLoopbackPort()) +
           " SQLREPL_SLAVE_BIN='" + SQLREPL_SLAVE_BIN + "' ";
    ASSERT_EQ(Script("start 2"), 0) << ReadWholeFile(dir_.path() + "/cluster.out");
    started_ = true;
    master_env_ = cluster + "/master.env";
    slave_env_ = cluster + "/slave1.env";
    std::filesystem::create_directory(cwd_);
  }

  void TearDown() override {
    if (started_) {
      EXPECT_EQ(Script("destroy"), 0) << ReadWholeFile(dir_.path() + "/cluster.out");
    }
  }

  // Runs `scripts/cluster.sh args`; its output goes to cluster.out.
  int Script(const std::string& args) {
    const int status = std::system(
        (env_ + kScript + " " + args + " >'" + dir_.path() + "/cluster.out' 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // A program on a node's .env, started in a folder of its own (as the
  // demo starts them all in the repository's root).
  std::optional<Process> Start(const std::string& binary, const std::string& env,
                               const std::string& name) {
    std::string error;
    std::optional<Process> p = Process::Spawn(
        {binary, "--env-file", env},
        {dir_.path() + "/" + name + ".out", dir_.path() + "/" + name + ".err", cwd_, {}, true},
        &error);
    EXPECT_TRUE(p) << error;
    return p;
  }

  TempDir dir_{"cluster-script"};
  std::string cwd_ = dir_.path() + "/cwd";
  std::string env_;
  bool started_ = false;
  std::string master_env_;
  std::string slave_env_;
};

TEST_F(ClusterScriptTest, ArabicTextTypedAtTheMasterReachesASlave) {
  std::optional<Process> master = Start(SQLREPL_MASTER_BIN, master_env_, "master");
  ASSERT_TRUE(master);
  ASSERT_TRUE(
      WaitFor([&] { return master->Stderr().find("listening for slaves") != std::string::npos; },
              seconds(20)))
      << master->Stderr();
  std::optional<Process> slave = Start(SQLREPL_SLAVE_BIN, slave_env_, "slave1");
  ASSERT_TRUE(slave);
  ASSERT_TRUE(
      WaitFor([&] { return slave->Stdout().find("Connected to master") != std::string::npos; },
              seconds(20)))
      << slave->Stdout() << slave->Stderr();
  master->WriteStdin("INSERT INTO students (name) VALUES ('سارة');\n");
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stdout() << master->Stderr();
  EXPECT_THAT(master->Stdout(), HasSubstr("Replicated to 1/1 slave")) << master->Stderr();
  // The slave's account may read its database: ask through its .env.
  const std::string socket = dir_.path() + "/cluster/slave1/mysqld.sock";
  const std::string query = "mariadb --no-defaults -uroot -S '" + socket +
                            "' -N -B -e 'SELECT HEX(name) FROM school.students' >'" + dir_.path() +
                            "/names.out' 2>&1";
  EXPECT_TRUE(WaitFor(
      [&] {
        return std::system(query.c_str()) == 0 &&
               ReadWholeFile(dir_.path() + "/names.out") == "D8B3D8A7D8B1D8A9\n";
      },
      seconds(20)))
      << ReadWholeFile(dir_.path() + "/names.out") << slave->Stdout();
}

TEST_F(ClusterScriptTest, EachNodeLogsToAFileOfItsOwnInTheClusterFolder) {
  const std::string master_log = EnvValue(master_env_, "MASTER_LOG");
  const std::string slave_log = EnvValue(slave_env_, "SLAVE_LOG");
  const std::string cluster = dir_.path() + "/cluster/";
  for (const std::string& log : {master_log, slave_log}) {
    EXPECT_EQ(log.rfind(cluster, 0), 0u) << "'" << log << "' is not under " << cluster;
  }
  EXPECT_EQ(slave_log, cluster + "slave1/slave1.log");
  std::optional<Process> master = Start(SQLREPL_MASTER_BIN, master_env_, "master");
  ASSERT_TRUE(master);
  ASSERT_TRUE(
      WaitFor([&] { return master->Stderr().find("listening for slaves") != std::string::npos; },
              seconds(20)));
  std::optional<Process> slave = Start(SQLREPL_SLAVE_BIN, slave_env_, "slave1");
  ASSERT_TRUE(slave);
  ASSERT_TRUE(
      WaitFor([&] { return slave->Stdout().find("Connected to master") != std::string::npos; },
              seconds(20)));
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr();
  slave->Signal(SIGTERM);
  EXPECT_TRUE(slave->Wait(seconds(30)).has_value());
  EXPECT_THAT(ReadWholeFile(master_log), HasSubstr("master: "));
  EXPECT_THAT(ReadWholeFile(slave_log), HasSubstr("slave slave1: "));
  EXPECT_TRUE(std::filesystem::is_empty(cwd_)) << "a node wrote into the folder it was started in";
}

TEST_F(ClusterScriptTest, ThePageAddressAndTokenItPrintsAreWhatTheMasterServes) {
  ASSERT_EQ(Script("page"), 0);
  const std::string printed = ReadWholeFile(dir_.path() + "/cluster.out");
  std::smatch page;
  ASSERT_TRUE(
      std::regex_search(printed, page,
                        std::regex(R"(page: https://127\.0\.0\.1:([0-9]+)/ \(certificate )"
                                   R"(from the demo's CA, (\S+)\)\ntoken: ([0-9a-f]{32})\n)")))
      << printed;
  const int port = std::stoi(page[1]);
  const std::string ca = page[2];
  const std::string token = page[3];
  EXPECT_EQ(ca, dir_.path() + "/cluster/tls/ca.crt");

  // At the prompt, as the demo runs it: the page and the prompt both work.
  std::optional<Process> master = Start(SQLREPL_MASTER_BIN, master_env_, "master");
  ASSERT_TRUE(master);
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(ca.c_str());
  client.enable_server_certificate_verification(true);
  ASSERT_TRUE(WaitFor([&] { return static_cast<bool>(client.Get("/health")); }, seconds(30)))
      << master->Stderr();
  httplib::Result page_html = client.Get("/");
  ASSERT_TRUE(page_html);
  EXPECT_EQ(page_html->status, 200);
  EXPECT_EQ(client.Get("/api/status")->status, 401);
  httplib::Result status =
      client.Get("/api/status", httplib::Headers{{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200) << status->body;
  master->WriteStdin("SELECT 1 AS prompt_works;\n");
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr();
  EXPECT_THAT(master->Stdout(), HasSubstr("prompt_works"));

  // A .env written before the page existed has no HTTP keys: `page` says
  // what to do instead of printing an empty address (review).
  std::string env = ReadWholeFile(master_env_);
  env = std::regex_replace(env, std::regex("\nHTTP_[A-Z]+=[^\n]*"), "");
  WriteFile(master_env_, env);
  EXPECT_NE(Script("page"), 0);
  EXPECT_THAT(ReadWholeFile(dir_.path() + "/cluster.out"), HasSubstr("restart the cluster"));
}

}  // namespace
}  // namespace sqlrepl::testing
