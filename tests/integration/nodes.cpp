#include "nodes.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::testing {

using std::chrono::seconds;

std::string MasterEnvLines(const MariaDbServer& db, const std::string& token, uint16_t port) {
  return db.EnvLines() + "REPL_TOKEN=" + token +
         "\nLISTEN_HOST=127.0.0.1\nLISTEN_PORT=" + std::to_string(port) + "\n";
}

std::string SlaveEnvLines(const MariaDbServer& db, const std::string& token, uint16_t port,
                          const std::string& slave_id) {
  return db.SlaveEnvLines() + "REPL_TOKEN=" + token + "\nMASTER_HOST=127.0.0.1\nMASTER_PORT=" +
         std::to_string(port) + "\nSLAVE_ID=" + slave_id + "\nRECONNECT_SECONDS=" +
         std::to_string(kReconnectSeconds) + "\n";
}

std::optional<Process> SpawnWithEnv(const std::string& dir, const std::string& binary,
                                    const std::string& env_text, const std::string& name,
                                    const std::string& working_dir,
                                    const std::vector<std::string>& args) {
  const std::string env = dir + "/" + name + ".env";
  WriteFile(env, env_text);
  std::vector<std::string> argv = {binary, "--env-file", env};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  std::optional<Process> p = Process::Spawn(
      argv, {dir + "/" + name + ".out", dir + "/" + name + ".err", working_dir, {}, true}, &error);
  EXPECT_TRUE(p) << error;
  return p;
}

std::optional<Process> SpawnMaster(const std::string& dir, const std::string& env_text,
                                   const std::string& name, const std::string& working_dir,
                                   const std::vector<std::string>& args) {
  std::optional<Process> m =
      SpawnWithEnv(dir, SQLREPL_MASTER_BIN, env_text, name, working_dir, args);
  if (m) {
    EXPECT_TRUE(WaitFor(
        [&] { return m->Stderr().find("listening for slaves") != std::string::npos; }, seconds(20)))
        << "master stderr: " << m->Stderr();
  }
  return m;
}

bool WaitConnected(const Process& slave, size_t times) {
  return WaitFor([&] { return Count(slave.Stdout(), "Connected to master") >= times; },
                 seconds(20));
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace sqlrepl::testing
