// The master binary as a SQL prompt, driven through a pipe against a private
// MariaDB server.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mariadb_server.hpp"
#include "process.hpp"
#include "recording_proxy.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "master-prompt-test-token-0123456789";

struct MasterPromptTestServer {
  static constexpr const char* kNames[] = {"master-prompt"};
};

class MasterPromptTest : public ServersTest<MasterPromptTestServer> {
 protected:

  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "the MariaDB server did not start";
    ASSERT_TRUE(server_->Exec("DROP DATABASE IF EXISTS school; CREATE DATABASE school;"
                              "CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                              " name VARCHAR(100) NOT NULL, age INT)").ok());
    WriteEnv(server_->EnvLines() + "REPL_TOKEN=" + kToken + "\n");
  }

  // Every master listens on its own free loopback port.
  void WriteEnv(const std::string& text, mode_t mode = 0600) {
    env_path_ = dir_.path() + "/master.env";
    WriteFile(env_path_, text + "LISTEN_HOST=127.0.0.1\nLISTEN_PORT=" +
                             std::to_string(FreeLoopbackPort()) + "\n");
    ::chmod(env_path_.c_str(), mode);
  }

  // The master reaches its database through `proxy`.
  void WriteEnvThrough(const RecordingProxy& proxy) {
    std::string env = server_->EnvLines();
    const std::string direct = fmt::format("DB_PORT={}\n", server_->port());
    ASSERT_NE(env.find(direct), std::string::npos) << env;
    env.replace(env.find(direct), direct.size(), fmt::format("DB_PORT={}\n", proxy.port()));
    WriteEnv(env + "REPL_TOKEN=" + kToken + "\n");
  }

  std::optional<Process> StartMaster(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> argv = {SQLREPL_MASTER_BIN, "--env-file", env_path_};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    std::string error;
    std::optional<Process> p =
        Process::Spawn(argv, {dir_.path() + "/out", dir_.path() + "/err", "", {}, true}, &error);
    EXPECT_TRUE(p) << error;
    return p;
  }

  Outcome RunMaster(const std::string& input, std::vector<std::string> extra_args = {}) {
    std::optional<Process> p = StartMaster(std::move(extra_args));
    if (!p) return {};
    Outcome o = FeedToEnd(*p, input, seconds(60));
    EXPECT_NE(o.exit_status, -1) << "master did not exit";
    return o;
  }

  std::string Count() const {
    return server_->QueryValue("SELECT COUNT(*) FROM students", "school").value_or("?");
  }

  TempDir dir_{"master-prompt"};
  std::string env_path_;
};

// Issue 19 (found by trying the demo): `status` said "Server: Debian 12"
// (the server's @@version_comment) where the mariadb client says
// "Server: MariaDB" and puts the comment after the version.
TEST_F(MasterPromptTest, StatusNamesTheServerAsTheMariadbClientDoes) {
  const Outcome o = RunMaster("status\n");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("\nServer:                 MariaDB\n"));
  const std::string version =
      server_->QueryValue("SELECT CONCAT(VERSION(), ' ', @@version_comment)").value_or("?");
  EXPECT_THAT(o.out, HasSubstr("\nServer version:         " + version + "\n"));
}

TEST_F(MasterPromptTest, RunsStatementsAndPrintsLikeTheMysqlClient) {
  Outcome o = RunMaster(
      "INSERT INTO students (name, age) VALUES ('Ali', 22), ('Zoë', NULL);\n"
      "SELECT id, name, age FROM students ORDER BY id;\n"
      "SELECT * FROM students WHERE id = 0;\n");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("Query OK, 2 rows affected ("));
  EXPECT_THAT(o.out, HasSubstr("Records: 2  Duplicates: 0  Warnings: 0"));
  EXPECT_THAT(o.out, HasSubstr("+----+------+------+\n"
                               "| id | name | age  |\n"
                               "+----+------+------+\n"
                               "|  1 | Ali  |   22 |\n"
                               "|  2 | Zoë  | NULL |\n"
                               "+----+------+------+\n"
                               "2 rows in set ("));
  EXPECT_THAT(o.out, HasSubstr("Empty set ("));
  EXPECT_THAT(o.out, HasSubstr("No slave connected: logged as #1 for slaves that connect later"));
  EXPECT_THAT(o.err, Not(HasSubstr("ERROR")));
}

TEST_F(MasterPromptTest, VerticalOutputWithBackslashG) {
  Outcome o = RunMaster("INSERT INTO students (name, age) VALUES ('Ali', 22);\n"
                        "SELECT name, age FROM students\\G\n");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("*************************** 1. row ***************************\n"
                               "name: Ali\n"
                               " age: 22\n"
                               "1 row in set"));
}

TEST_F(MasterPromptTest, ExecutesEachStatementAsSoonAsItIsComplete) {
  std::optional<Process> p = StartMaster();
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->WriteStdin("INSERT INTO students (name) VALUES ('early');\nINSERT INTO students"));
  // The first statement runs while input is still open; the second waits.
  EXPECT_TRUE(WaitFor([&] { return Count() == "1"; }, seconds(20)));
  // Its output follows the commit.
  EXPECT_TRUE(
      WaitFor([&] { return p->Stdout().find("Query OK, 1 row affected") != std::string::npos; },
              seconds(20)))
      << p->Stdout();
  ASSERT_TRUE(p->WriteStdin(" (name)\nVALUES ('late');\n"));
  EXPECT_TRUE(WaitFor([&] { return Count() == "2"; }, seconds(20)));
  p->CloseStdin();
  EXPECT_EQ(p->Wait(seconds(30)), 0);
}

TEST_F(MasterPromptTest, StatementWithoutDelimiterAtEndOfInputStillRuns) {
  Outcome o = RunMaster(
      "INSERT INTO students (name) VALUES ('a');\nINSERT INTO students (name) VALUES ('b')");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_EQ(Count(), "2");
}

TEST_F(MasterPromptTest, DelimitersInsideStringsCommentsAndNamesDoNotSplit) {
  Outcome o = RunMaster(
      "INSERT INTO students (name) VALUES ('semi;colon'), ('it\\'s; fine'), (\"dq;\");\n"
      "-- a comment; with a semicolon\n"
      "INSERT INTO `students` (name) /* ; */ VALUES ('multi\n"
      "line');\n"
      "DELIMITER //\n"
      "INSERT INTO students (name) VALUES ('custom;delimiter')//\n"
      "DELIMITER ;\n");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_EQ(Count(), "5");
  EXPECT_EQ(server_->QueryValue("SELECT name FROM students WHERE id = 2", "school"), "it's; fine");
}

TEST_F(MasterPromptTest, FirstFailureStopsTheScriptWithStatusOne) {
  Outcome o = RunMaster(
      "INSERT INTO students (name) VALUES ('a');\n"
      "INSERT INTO nope VALUES (1);\n"
      "INSERT INTO students (name) VALUES ('never');\n");
  EXPECT_EQ(o.exit_status, 1);
  EXPECT_THAT(o.err, HasSubstr("ERROR 1146 (42S02) at line 2: Table 'school.nope' doesn't exist"));
  EXPECT_EQ(Count(), "1");
}

TEST_F(MasterPromptTest, ForceGoesOnButStillReportsFailure) {
  Outcome o = RunMaster(
      "INSERT INTO nope VALUES (1);\n"
      "INSERT INTO students (name) VALUES ('after');\n",
      {"--force"});
  EXPECT_EQ(o.exit_status, 1);
  EXPECT_THAT(o.err, HasSubstr("ERROR 1146"));
  EXPECT_EQ(Count(), "1");
}

TEST_F(MasterPromptTest, QuitStopsReading) {
  Outcome o = RunMaster(
      "INSERT INTO students (name) VALUES ('a');\n\\q\nINSERT INTO students (name) VALUES "
      "('b');\n");
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_EQ(Count(), "1");
}

TEST_F(MasterPromptTest, UnreachableDatabaseExitsWithTwoAndSaysWhatToFix) {
  WriteEnv(std::string("DB_HOST=127.0.0.1\nDB_PORT=1\nDB_USER=u\nDB_PASS=p\nREPL_TOKEN=") + kToken +
           "\n");
  Outcome o = RunMaster("SELECT 1;\n");
  EXPECT_EQ(o.exit_status, 2);
  EXPECT_THAT(o.err, HasSubstr("master: cannot reach the database server at 127.0.0.1:1"));
  EXPECT_THAT(o.err, HasSubstr("DB_HOST/DB_PORT/DB_SOCKET"));
}

TEST_F(MasterPromptTest, BadCredentialsExitWithTwoAndNeverShowThePassword) {
  const std::string wrong = "wrong-password-31337";
  WriteEnv(server_->EnvLines() + "REPL_TOKEN=" + kToken + "\n");
  std::string text = server_->EnvLines();
  text.replace(text.find(MariaDbServer::kPassword), std::string(MariaDbServer::kPassword).size(),
               wrong);
  WriteEnv(text + "REPL_TOKEN=" + kToken + "\n");
  Outcome o = RunMaster("SELECT 1;\n");
  EXPECT_EQ(o.exit_status, 2);
  EXPECT_THAT(o.err,
              HasSubstr("refused user 'sqlrepl' (access denied): check DB_USER and DB_PASS"));
  EXPECT_THAT(o.err + o.out, Not(HasSubstr(wrong)));
  EXPECT_THAT(o.err + o.out, Not(HasSubstr(kToken)));
}

TEST_F(MasterPromptTest, MissingDatabaseExitsWithTwo) {
  ASSERT_TRUE(server_->Exec("DROP DATABASE school").ok());
  Outcome o = RunMaster("SELECT 1;\n");
  EXPECT_EQ(o.exit_status, 2);
  EXPECT_THAT(o.err, HasSubstr("database 'school' does not exist on 127.0.0.1:"));
}

TEST_F(MasterPromptTest, ConfigErrorsExitWithTwoAndNameTheKey) {
  WriteEnv(server_->EnvLines() + "REPL_TOKEN=" + kToken + "\nLISTEN_PROT=8080\n");
  Outcome o = RunMaster("SELECT 1;\n");
  EXPECT_EQ(o.exit_status, 2);
  EXPECT_THAT(o.err, HasSubstr("unknown key LISTEN_PROT"));
}

TEST_F(MasterPromptTest, UnknownOptionExitsWithTwo) {
  Outcome o = RunMaster("SELECT 1;\n", {"--forse"});
  EXPECT_EQ(o.exit_status, 2);
  EXPECT_THAT(o.err, HasSubstr("master: Option"));
  EXPECT_THAT(o.err, HasSubstr("forse"));
  EXPECT_THAT(o.err, HasSubstr("(see --help)"));
}

TEST_F(MasterPromptTest, WorldReadableEnvGetsAWarning) {
  WriteEnv(server_->EnvLines() + "REPL_TOKEN=" + kToken + "\n", 0644);
  Outcome o = RunMaster("SELECT 1;\n");
  EXPECT_EQ(o.exit_status, 0);
  EXPECT_THAT(o.err, HasSubstr("readable by other users (mode 0644)"));
}

}  // namespace
}  // namespace sqlrepl::testing

namespace sqlrepl::testing {
namespace {

TEST_F(MasterPromptTest, UnsafeStatementIsWarnedAboutAndStillRuns) {
  Outcome o = RunMaster("INSERT INTO students (name) VALUES (UUID());\n"
                        "UPDATE students SET age = 1 LIMIT 1;\n");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("Warning: UUID() gives a different value on each server; slaves may "
                               "end up with different data\nQuery OK, 1 row affected"));
  EXPECT_THAT(o.out, HasSubstr("Warning: UPDATE with LIMIT but no ORDER BY"));
  EXPECT_EQ(Count(), "1");
}

TEST_F(MasterPromptTest, UnsafeStatementIsRefusedWhenConfigured) {
  WriteEnv(server_->EnvLines() + "REPL_TOKEN=" + kToken + "\nUNSAFE_STATEMENTS=refuse\n");
  Outcome o = RunMaster("INSERT INTO students (name) VALUES (SYSDATE());\n", {"--force"});
  EXPECT_EQ(o.exit_status, 1);
  EXPECT_THAT(o.err, HasSubstr("ERROR: not executed, UNSAFE_STATEMENTS=refuse: SYSDATE() gives a "
                               "different value on each server"));
  EXPECT_EQ(Count(), "0");
}

TEST_F(MasterPromptTest, CatalogChecksSeeAutoIncrementAndStoredFunctions) {
  Outcome o = RunMaster(
      "CREATE TABLE src (n VARCHAR(10));\n"
      "INSERT INTO students (name) SELECT n FROM src;\n"
      "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;\n"
      "INSERT INTO students (name, age) VALUES ('f', twice(2));\n"
      "INSERT INTO students (name) SELECT n FROM src ORDER BY n;\n");
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("Warning: INSERT ... SELECT without ORDER BY into a table with "
                               "AUTO_INCREMENT"));
  EXPECT_THAT(o.out, HasSubstr("Warning: stored function twice() may not give the same result"));
  // The ordered INSERT ... SELECT is safe: exactly one AUTO_INCREMENT warning.
  const std::string marker = "without ORDER BY into a table with AUTO_INCREMENT";
  EXPECT_EQ(o.out.find(marker), o.out.rfind(marker));
}

}  // namespace
}  // namespace sqlrepl::testing

// Issue 18, item 2: the master's log row and COMMIT reach its database and
// commit, then every connection is cut before the answer comes back (a
// proxy in front of the database, as a crash of the server looks). The
// outcome is unknown until the log row says which; the master reports that
// one outcome, naming the statement, never "rolled back" for a write that
// committed.
namespace sqlrepl::testing {
namespace {

constexpr char kOnce[] = "INSERT INTO students (name) VALUES ('once')";

class MasterLostAnswerTest : public MasterPromptTest {
 protected:
  void SetUp() override {
    MasterPromptTest::SetUp();
    ASSERT_TRUE(server_->Exec("DROP DATABASE IF EXISTS repl_meta").ok());  // writes start at #1
    proxy_.emplace(server_->port(), /*many=*/true);
    ASSERT_NE(proxy_->port(), 0);
    WriteEnvThrough(*proxy_);
  }

  // The answer to the first log row and COMMIT is lost; then new
  // connections are refused for `away`.
  void LoseTheFirstCommitAnswer(milliseconds away) {
    proxy_->LoseAnswerAfter("INSERT INTO `repl_meta`.log", away);
  }

  std::optional<RecordingProxy> proxy_;
};

TEST_F(MasterLostAnswerTest, CommittedWriteIsReportedCommittedOnceTheLogSaysSo) {
  LoseTheFirstCommitAnswer(milliseconds(0));
  Outcome o = RunMaster(std::string(kOnce) + ";\nINSERT INTO students (name) VALUES ('next');\n");
  EXPECT_TRUE(proxy_->answer_lost());
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("ERROR 2013"));
  EXPECT_THAT(o.err,
              HasSubstr(std::string("Write #1 committed before the connection was lost; it is "
                                    "replicated now: ") +
                        kOnce));
  EXPECT_THAT(o.err, Not(HasSubstr("rolled back")));
  EXPECT_THAT(o.err, Not(HasSubstr("unknown")));
  EXPECT_THAT(o.out, Not(HasSubstr("Query OK, 0 rows affected")));  // its own answer, 1 row
  EXPECT_THAT(o.out, HasSubstr("logged as #1 for slaves"));  // published once it was known
  EXPECT_THAT(o.out, HasSubstr("logged as #2 for slaves"));
  EXPECT_EQ(Count(), "2");  // not run twice
  EXPECT_EQ(server_->QueryValue("SELECT GROUP_CONCAT(seq ORDER BY seq) FROM repl_meta.log"), "1,2");
}

// The server stays away past the master's attempt to reconnect: the master
// cannot know, says so, and the script stops there with status 1.
TEST_F(MasterLostAnswerTest, WriteIsUnknownNotRolledBackWhileTheServerStaysAway) {
  LoseTheFirstCommitAnswer(seconds(3));
  Outcome o = RunMaster(std::string(kOnce) + ";\nINSERT INTO students (name) VALUES ('never');\n");
  EXPECT_TRUE(proxy_->answer_lost());
  EXPECT_EQ(o.exit_status, 1) << o.err;
  EXPECT_THAT(o.err, HasSubstr("unknown: the write may have committed; check write #1 before "
                               "running it again"));
  EXPECT_THAT(o.err, HasSubstr(kOnce));
  EXPECT_THAT(o.err, Not(HasSubstr("rolled back")));
  EXPECT_EQ(Count(), "1");  // it did commit; the script stopped before 'never'
}

// With --force the script goes on; the first statement that reaches the
// server again learns the outcome from the log and names the write.
TEST_F(MasterLostAnswerTest, WriteLeftUnknownIsNamedWhenALaterStatementFindsItCommitted) {
  LoseTheFirstCommitAnswer(seconds(2));
  std::optional<Process> p = StartMaster({"--force"});
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->WriteStdin(std::string(kOnce) + ";\n"));
  ASSERT_TRUE(
      WaitFor([&] { return p->Stderr().find("check write #1") != std::string::npos; }, seconds(30)))
      << p->Stderr();
  ASSERT_TRUE(WaitFor([&] { return !proxy_->refusing(); }, seconds(10)));
  Outcome o = FeedToEnd(*p, "SELECT name FROM students;\n", seconds(60));
  EXPECT_EQ(o.exit_status, 1) << o.err;  // the outcome was unknown when the statement ended
  EXPECT_THAT(o.err,
              HasSubstr(std::string("Write #1 committed before the connection was lost; it is "
                                    "replicated now: ") +
                        kOnce));
  EXPECT_THAT(o.err, Not(HasSubstr("rolled back")));
  EXPECT_THAT(o.out, HasSubstr("| once |"));
  EXPECT_EQ(Count(), "1");
}

}  // namespace
}  // namespace sqlrepl::testing
