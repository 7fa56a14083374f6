// app::OpLog, the operational log's writer (kept with the console tests: it
// is what the master's console writes its log with).
#include "app/oplog.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace sqlrepl::app {
namespace {

class OpLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sqlrepl-oplog-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/master_log.txt";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string Contents() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
  std::string path_;
};

TEST_F(OpLogTest, TimestampIsUtcWithMilliseconds) {
  EXPECT_EQ(OpLog::Timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(OpLog::Timestamp(1795532698123), "2026-11-24T15:04:58.123Z");
}

TEST_F(OpLogTest, NewFileIsPrivateAndEachLineIsTimestamped) {
  Result<OpLog> log = OpLog::Open(path_, "master");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  log->Write("started");
  log->Write("slave s1 (127.0.0.1:5000): connection closed\nby the peer");
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = Contents();
  EXPECT_NE(text.find("Z master: started\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Z master: slave s1 (127.0.0.1:5000): connection closed by the peer\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text[4], '-');  // starts with the date
}

TEST_F(OpLogTest, ExistingFileReadableByOthersIsMadePrivateAndAppendedTo) {
  { std::ofstream(path_) << "earlier line\n"; }
  ::chmod(path_.c_str(), 0644);
  Result<OpLog> log = OpLog::Open(path_, "master");
  ASSERT_TRUE(log.ok());
  log->Write("again");
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Contents().rfind("earlier line\n", 0), 0u);
}

TEST_F(OpLogTest, LinesFromManyThreadsNeverInterleave) {
  Result<OpLog> log = OpLog::Open(path_, "master");
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 200; ++i) log->Write(std::string(100, static_cast<char>('a' + t)));
    });
  }
  for (std::thread& t : threads) t.join();
  std::istringstream lines(Contents());
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const std::string body = line.substr(line.find(": ") + 2);
    EXPECT_EQ(body, std::string(100, body[0])) << line;
  }
  EXPECT_EQ(count, 800);
}

TEST_F(OpLogTest, UnwritablePathIsAnError) {
  EXPECT_FALSE(OpLog::Open(dir_ + "/missing/dir/log.txt", "master").ok());
}

}  // namespace
}  // namespace sqlrepl::app
