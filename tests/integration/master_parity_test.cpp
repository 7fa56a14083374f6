// The master's prompt and command line measured against the mysql client
// (issue 13): the real binary, on a pseudo-terminal where a person would use
// it, or with piped input where a script would.
//
// SQLREPL_TEST_MASTER_BIN / SQLREPL_TEST_SLAVE_BIN, when set, run these tests
// against other binaries (an older build shows which tests a change fixed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <asio.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "mariadb_server.hpp"
#include "process.hpp"
#include "terminal.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "master-parity-test-token-0123456789";

std::string Binary(const char* env, const char* built) {
  const char* other = std::getenv(env);
  return other != nullptr && *other != '\0' ? other : built;
}
std::string MasterBin() { return Binary("SQLREPL_TEST_MASTER_BIN", SQLREPL_MASTER_BIN); }
std::string SlaveBin() { return Binary("SQLREPL_TEST_SLAVE_BIN", SQLREPL_SLAVE_BIN); }

class MasterParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<MariaDbServer>> s = MariaDbServer::Start("master-parity");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete slave_server_;
    slave_server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_
                    ->Exec("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                           "CREATE DATABASE school;"
                           "CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                           " name VARCHAR(10) NOT NULL, age INT) CHARSET utf8mb4")
                    .ok());
    port_ = FreeLoopbackPort();
    home_ = dir_.path() + "/home";
    ::mkdir(home_.c_str(), 0700);
    WriteEnv("");
  }

  void WriteEnv(const std::string& extra) {
    env_path_ = dir_.path() + "/master.env";
    WriteFile(env_path_, server_->EnvLines() + "REPL_TOKEN=" + kToken +
                             "\nLISTEN_HOST=127.0.0.1\nLISTEN_PORT=" + std::to_string(port_) +
                             "\nACK_TIMEOUT_MS=20000\n" + extra);
  }

  std::optional<Terminal> StartMaster(std::map<std::string, std::string> env = {},
                                      std::vector<std::string> args = {}) {
    env.emplace("HOME", home_);
    env.emplace("LANG", "C.UTF-8");
    std::vector<std::string> argv = {MasterBin(), "--env-file", env_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string error;
    std::optional<Terminal> t = Terminal::Spawn(argv, env, &error);
    EXPECT_TRUE(t) << error;
    if (t) {
      EXPECT_TRUE(t->WaitFor("master [school]> ", seconds(20))) << t->Output();
    }
    return t;
  }

  Outcome RunPiped(const std::string& input, std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {MasterBin(), "--env-file", env_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string error;
    std::optional<Process> p = Process::Spawn(
        argv, {dir_.path() + "/out", dir_.path() + "/err", "", {{"HOME", home_}}, true}, &error);
    EXPECT_TRUE(p) << error;
    if (!p) return {};
    Outcome o = FeedToEnd(*p, input, seconds(60));
    EXPECT_NE(o.exit_status, -1) << "master did not exit";
    return o;
  }

  // The server session that holds the replication log's lock: the master's
  // statement connection.
  std::string StatementSession() const {
    return server_->QueryValue("SELECT IS_USED_LOCK('sqlrepl-master:repl_meta')").value_or("");
  }

  std::string Count() const {
    return server_->QueryValue("SELECT COUNT(*) FROM students", "school").value_or("?");
  }

  // Runs one statement and waits for its summary line.
  static void Run(Terminal& t, const std::string& sql, const std::string& expect) {
    t.Mark();
    t.Enter(sql);
    EXPECT_TRUE(t.WaitFor(expect, seconds(20))) << "after: " << sql << "\n" << t.Output();
  }

  static MariaDbServer* server_;
  static MariaDbServer* slave_server_;
  TempDir dir_{"master-parity"};
  std::string env_path_;
  std::string home_;
  uint16_t port_ = 0;
};

MariaDbServer* MasterParityTest::server_ = nullptr;
MariaDbServer* MasterParityTest::slave_server_ = nullptr;

// --- Defect: no reconnect -------------------------------------------------

TEST_F(MasterParityTest, KilledSessionReconnectsRunsTheReadAgainAndRetakesTheLogLock) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  const std::string before = StatementSession();
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(server_->Exec("KILL " + before).ok());
  Run(*t, "SELECT 40 + 2 AS answer;", "1 row in set");
  EXPECT_THAT(t->Output(), HasSubstr("No connection. Trying to reconnect..."));
  EXPECT_THAT(t->Output(), HasSubstr("| answer |"));
  EXPECT_THAT(t->Output(), HasSubstr("Current database: school"));
  const std::string after = StatementSession();
  EXPECT_FALSE(after.empty());
  EXPECT_NE(after, before);
  Run(*t, "INSERT INTO students (name, age) VALUES ('Ali', 1);", "Query OK, 1 row affected");
  EXPECT_TRUE(t->WaitFor("logged as #1", seconds(10))) << t->Output();
  EXPECT_EQ(Count(), "1");
}

// The write ran in the master's own transaction, which the lost session
// rolled back (its log row says it did not commit): it is run again, once.
TEST_F(MasterParityTest, KilledSessionRunsAnAutocommitWriteAgainExactlyOnce) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  ASSERT_TRUE(server_->Exec("KILL " + StatementSession()).ok());
  Run(*t, "INSERT INTO students (name, age) VALUES ('once', 1);", "Query OK, 1 row affected");
  EXPECT_THAT(t->Output(), HasSubstr("No connection. Trying to reconnect..."));
  EXPECT_TRUE(t->WaitFor("logged as #1", seconds(10))) << t->Output();
  EXPECT_EQ(Count(), "1");
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM repl_meta.log"), "1");
}

TEST_F(MasterParityTest, KilledSessionInsideATransactionSaysTheTransactionWasLost) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "BEGIN;", "Query OK");
  Run(*t, "INSERT INTO students (name, age) VALUES ('lost', 1);", "Query OK, 1 row affected");
  ASSERT_TRUE(server_->Exec("KILL " + StatementSession()).ok());
  // Waits for the outcome, not the prompt: the previous statement's prompt
  // may still be arriving when this one is typed.
  Run(*t, "INSERT INTO students (name, age) VALUES ('after', 2);",
      "The open transaction was lost with the connection");
  EXPECT_THAT(t->Output(), HasSubstr("No connection. Trying to reconnect..."));
  EXPECT_EQ(Count(), "0");  // never silently retried outside the lost transaction
  Run(*t, "INSERT INTO students (name, age) VALUES ('next', 3);", "Query OK, 1 row affected");
  EXPECT_EQ(Count(), "1");
}

TEST_F(MasterParityTest, KilledSessionWithAutocommitOffDoesNotCommitTheWriteAtOnce) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "SET autocommit = 0;", "Query OK");
  ASSERT_TRUE(server_->Exec("KILL " + StatementSession()).ok());
  Run(*t, "INSERT INTO students (name, age) VALUES ('later', 1);", "SET autocommit = 0 was lost");
  EXPECT_EQ(Count(), "0");
}

TEST_F(MasterParityTest, ReconnectFailsClearlyWhenAnotherMasterTookTheLogLock) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Result<db::Connection> other = server_->Connect();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(server_->Exec("KILL " + StatementSession()).ok());
  ASSERT_TRUE(WaitFor([&] { return StatementSession() == "NULL" || StatementSession().empty(); },
                      seconds(10)));
  Result<db::QueryResult> lock = other->Execute("SELECT GET_LOCK('sqlrepl-master:repl_meta', 0)");
  ASSERT_TRUE(lock.ok() && lock->rows[0][0] == "1");
  Run(*t, "INSERT INTO students (name, age) VALUES ('x', 1);",
      "another master took the replication log lock");
  EXPECT_EQ(Count(), "0");
}

// --- Defect: warnings of a write lost -------------------------------------

TEST_F(MasterParityTest, WarningsOfAWriteAreShownBySHOWWARNINGSAndByW) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "INSERT IGNORE INTO students (name, age) VALUES ('far too long a name', 1);",
      "Query OK, 1 row affected, 1 warning");
  Run(*t, "SHOW WARNINGS;", "1 row in set");
  EXPECT_THAT(t->Output(), HasSubstr("Data truncated for column 'name' at row 1"));
  Run(*t, "SHOW COUNT(*) WARNINGS;", "1 row in set");
  Run(*t, "SELECT @@warning_count;", "1 row in set");
  EXPECT_THAT(t->Output(), Not(HasSubstr("| 0 ")));
  Run(*t, "\\W", "Show warnings enabled.");
  Run(*t, "INSERT IGNORE INTO students (name, age) VALUES ('another long name', 2);",
      "Warning (Code 1265): Data truncated for column 'name' at row 1");
}

// --- Defect: notices overwrite the line being typed -----------------------

TEST_F(MasterParityTest, NoticeIsPrintedAboveThePromptWhichIsRedrawnWithTheTypedText) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  t->Type("SELECT 'typed");
  ASSERT_TRUE(t->WaitFor("SELECT 'typed", seconds(5)));
  t->Mark();
  {
    asio::io_context io;
    asio::ip::tcp::socket peer(io);
    peer.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port_));
    peer.close();  // the master says so: "connection (...): ..."
  }
  ASSERT_TRUE(t->WaitFor("master: connection (", seconds(10))) << t->Output();
  ASSERT_TRUE(t->WaitFor("master [school]> SELECT 'typed", seconds(5))) << t->Output();
  const std::string out = t->Output();
  const size_t notice = out.rfind("master: connection (");
  // The notice starts on a line of its own, not after the typed text.
  EXPECT_EQ(out.rfind("SELECT 'typed", notice), out.find("SELECT 'typed")) << out;
  EXPECT_NE(out.find("master [school]> SELECT 'typed", notice), std::string::npos) << out;
  Run(*t, "';", "1 row in set");  // what was typed is still there
  EXPECT_THAT(t->Output(), HasSubstr("| typed |"));
}

// --- Defect: CALL with two result sets; NUL in piped input ----------------

TEST_F(MasterParityTest, CallShowsEveryResultSet) {
  ASSERT_TRUE(
      server_
          ->Exec("DELIMITER //\nCREATE PROCEDURE school.two() BEGIN SELECT 'one' AS first_set; "
                 "SELECT 'two' AS second_set; END//")
          .ok());
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "CALL two();", "Query OK, 0 rows affected");
  EXPECT_THAT(t->Output(), HasSubstr("| first_set |"));
  EXPECT_THAT(t->Output(), HasSubstr("| second_set |"));
  EXPECT_THAT(t->Output(), HasSubstr("| two        |"));
}

// A pipe, not a terminal: a NUL byte can only come from a file or a program.
TEST_F(MasterParityTest, PipedStatementWithANulByteIsRefused) {
  Outcome o = RunPiped(std::string("INSERT INTO students (name, age) VALUES ('a\0b', 1);\n", 50) +
                       "INSERT INTO students (name, age) VALUES ('c', 2);\n");
  EXPECT_EQ(o.exit_status, 1);
  EXPECT_THAT(o.err, HasSubstr("ASCII '\\0' appeared in the statement"));
  EXPECT_EQ(Count(), "0");  // the script stopped at the refused statement
}

// --- Defect: a stored procedure's body is not "more than one statement" ---

TEST_F(MasterParityTest, SlavesRefuseCreateProcedureAsDdl) {
  if (slave_server_ == nullptr) {
    Result<std::unique_ptr<MariaDbServer>> s = MariaDbServer::Start("master-parity-slave");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    slave_server_ = std::move(s).value().release();
  }
  ASSERT_TRUE(slave_server_
                  ->Exec("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                         "CREATE DATABASE school;"
                         "CREATE TABLE school.students (id INT AUTO_INCREMENT PRIMARY KEY,"
                         " name VARCHAR(10) NOT NULL, age INT) CHARSET utf8mb4")
                  .ok());
  const std::string slave_env = dir_.path() + "/slave.env";
  WriteFile(slave_env, slave_server_->SlaveEnvLines() + "REPL_TOKEN=" + kToken +
                           "\nMASTER_HOST=127.0.0.1\nMASTER_PORT=" + std::to_string(port_) +
                           "\nSLAVE_ID=slave1\nRECONNECT_SECONDS=1\n");
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  std::string error;
  std::optional<Process> slave = Process::Spawn(
      {SlaveBin(), "--env-file", slave_env},
      {dir_.path() + "/slave.out", dir_.path() + "/slave.err", "", {}, true}, &error);
  ASSERT_TRUE(slave) << error;
  ASSERT_TRUE(t->WaitFor("slave slave1 connected", seconds(20))) << t->Output() << slave->Stderr();
  t->Enter("DELIMITER //");
  Run(*t, "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//", "Refused by 1/1 slave");
  EXPECT_THAT(t->Output(), HasSubstr("DDL is not replicated to slaves: CREATE PROCEDURE"));
  EXPECT_THAT(t->Output(), Not(HasSubstr("more than one statement")));
}

// --- Command line -------------------------------------------------------

TEST_F(MasterParityTest, HelpListsEveryOptionAndVersionPrintsTheVersion) {
  Outcome help = RunPiped("", {"--help"});
  EXPECT_EQ(help.exit_status, 0);
  for (const char* option :
       {"--env-file", "--help", "--version", "--force", "--execute", "--batch", "--table",
        "--skip-column-names", "--silent", "--verbose", "--show-warnings"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
  Outcome version = RunPiped("", {"--version"});
  EXPECT_EQ(version.exit_status, 0);
  EXPECT_THAT(version.out, HasSubstr("master (sqlrepl) "));
}

TEST_F(MasterParityTest, ExecuteRunsTheStatementsAndPrintsTabSeparatedRows) {
  Outcome o = RunPiped("", {"-e",
                            "INSERT INTO students (name, age) VALUES ('Ali', 1); "
                            "SELECT name, age, NULL AS n FROM students"});
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_EQ(o.out, "name\tage\tn\nAli\t1\tNULL\n");
  // The outcome lines go to stderr, where a script keeps or drops them.
  EXPECT_THAT(o.err, HasSubstr("No slave connected: logged as #1"));
}

TEST_F(MasterParityTest, BatchEscapesTabNewlineBackslashAndNul) {
  Outcome o = RunPiped(
      "SELECT CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(92), 'd', CHAR(0)) AS v;\n", {"-B"});
  EXPECT_EQ(o.exit_status, 0) << o.err;
  EXPECT_EQ(o.out, "v\na\\tb\\nc\\\\d\\0\n");
}

TEST_F(MasterParityTest, SkipColumnNamesSilentTableAndVerbose) {
  const std::string select = "SELECT 7 AS seven;\n";
  EXPECT_EQ(RunPiped(select, {"-B", "-N"}).out, "7\n");
  EXPECT_EQ(RunPiped(select, {"-s"}).out, "seven\n7\n");
  EXPECT_EQ(RunPiped(select, {"-s", "-s"}).out, "7\n");
  EXPECT_THAT(RunPiped(select, {"-B", "-t"}).out, HasSubstr("| seven |"));
  EXPECT_EQ(RunPiped(select, {"-B", "-v"}).out,
            "--------------\nSELECT 7 AS seven\n--------------\n\nseven\n7\n");
  // Piped without options: the bordered tables scripts already rely on.
  EXPECT_THAT(RunPiped(select).out, HasSubstr("| seven |\n+-------+\n|     7 |\n"));
}

TEST_F(MasterParityTest, ForceGoesOnAfterAFailedStatement) {
  const std::string script =
      "INSERT INTO nope VALUES (1);\nINSERT INTO students (name, age) VALUES ('b', 2);\n";
  Outcome stopped = RunPiped(script);
  EXPECT_EQ(stopped.exit_status, 1);
  EXPECT_EQ(Count(), "0");
  Outcome forced = RunPiped(script, {"--force"});
  EXPECT_EQ(forced.exit_status, 1);
  EXPECT_EQ(Count(), "1");
}

TEST_F(MasterParityTest, LongOptionSpellingsWorkAsTheShortOnes) {
  const std::string select = "SELECT 7 AS seven;\n";
  Outcome execute = RunPiped("", {"--execute", "SELECT 8 AS eight"});
  EXPECT_EQ(execute.exit_status, 0) << execute.err;
  EXPECT_EQ(execute.out, "eight\n8\n");
  EXPECT_EQ(RunPiped("", {"--execute=SELECT 9 AS nine"}).out, "nine\n9\n");
  EXPECT_EQ(RunPiped(select, {"--batch"}).out, "seven\n7\n");
  EXPECT_EQ(RunPiped(select, {"--batch", "--skip-column-names"}).out, "7\n");
  EXPECT_EQ(RunPiped(select, {"--silent"}).out, "seven\n7\n");
  EXPECT_EQ(RunPiped(select, {"--silent", "--silent"}).out, "7\n");
  EXPECT_THAT(RunPiped(select, {"--batch", "--table"}).out,
              HasSubstr("| seven |\n+-------+\n|     7 |"));
  EXPECT_EQ(RunPiped(select, {"--batch", "--verbose"}).out,
            "--------------\nSELECT 7 AS seven\n--------------\n\nseven\n7\n");
}

// --- At the prompt ----------------------------------------------------------

TEST_F(MasterParityTest, BackslashCDropsTheStatementAndContinuationShowsTheOpenQuote) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "INSERT INTO students (name, age) VALUES ('open", "    '> ");
  Run(*t, "quote', 1)", "    -> ");
  Run(*t, "\\c", "master [school]> ");
  Run(*t, "SELECT /* unfinished", "   /*> ");
  Run(*t, "*/ 'x' AS y \\c", "master [school]> ");
  Run(*t, "/* a comment opened first", "   /*> ");
  Run(*t, "INSERT INTO students (name, age) VALUES ('in the comment', 1);", "   /*> ");
  Run(*t, "*/", "master [school]> ");
  Run(*t, "SELECT \"open", "    \"> ");
  Run(*t, "double\" AS `open", "    `> ");
  Run(*t, "name`;", "1 row in set");
  Run(*t, "SELECT COUNT(*) AS n FROM students;", "1 row in set");
  EXPECT_EQ(Count(), "0");
  EXPECT_THAT(t->Output(), Not(HasSubstr("ERROR")));
}

TEST_F(MasterParityTest, StatusUseAndWarningsCommandsWorkWithoutASemicolon) {
  ASSERT_TRUE(server_->Exec("DROP DATABASE IF EXISTS other; CREATE DATABASE other").ok());
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "status", "Slaves connected:");
  for (const char* field : {"Connection id:", "Current database:       school", "Server version:",
                            "Replication id:", "Last sequence number:   0", "Master uptime:"}) {
    EXPECT_THAT(t->Output(), HasSubstr(field));
  }
  Run(*t, "\\s", "Replication id:");
  Run(*t, "use other", "master [other]> ");
  Run(*t, "\\u school", "master [school]> ");
  Run(*t, "warnings", "Show warnings enabled.");
  Run(*t, "\\w", "Show warnings disabled.");
  Run(*t, "help", "source    (\\.)");
}

TEST_F(MasterParityTest, SourceRunsAFileThroughTheWritePathAndThePromptStays) {
  const std::string file = dir_.path() + "/load.sql";
  WriteFile(file,
            "INSERT INTO students (name, age) VALUES ('s1', 1);\nINSERT INTO nope VALUES (1);\n"
            "INSERT INTO students (name, age) VALUES ('s2', 2);\n");
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "source " + file, "logged as #2");
  EXPECT_THAT(t->Output(), HasSubstr("ERROR 1146"));
  EXPECT_EQ(Count(), "2");
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM repl_meta.log"), "2");
  Run(*t, "\\. " + dir_.path() + "/missing.sql", "Failed to open file");
  Run(*t, "SELECT 'alive' AS a;", "1 row in set");
}

TEST_F(MasterParityTest, TeeNoteeSystemPromptEgoAndPager) {
  const std::string tee = dir_.path() + "/tee.txt";
  const std::string paged = dir_.path() + "/paged.txt";
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "tee " + tee, "Logging to file");
  Run(*t, "SELECT 'in the tee' AS t;", "1 row in set");
  Run(*t, "notee", "Outfile disabled.");
  Run(*t, "SELECT 'not in the tee' AS t;", "1 row in set");
  EXPECT_THAT(ReadWholeFile(tee), HasSubstr("in the tee"));
  EXPECT_THAT(ReadWholeFile(tee), Not(HasSubstr("not in the tee")));
  Run(*t, "\\! echo from-the-shell", "from-the-shell");
  Run(*t, "prompt sqlrepl:\\d>", "sqlrepl:school> ");
  Run(*t, "\\R", "master [school]> ");
  Run(*t, "SELECT 'vertical' AS v", "    -> ");
  Run(*t, "ego", "*************************** 1. row");
  Run(*t, "pager cat > " + paged, "PAGER set to");
  // The result goes to the pager; the terminal shows only a prompt, which
  // the pager command's own prompt could be mistaken for. Wait on the file.
  t->Enter("SELECT 'paged' AS p;");
  ASSERT_TRUE(WaitFor([&] { return ReadWholeFile(paged).find("| paged |") != std::string::npos; },
                      seconds(10)));
  Run(*t, "nopager", "PAGER set to stdout");
}

// The forms the tests above leave out: \T with \t, \P with \n, \. on a
// real file, \h, and the long forms system, nowarning and clear.
TEST_F(MasterParityTest, OtherFormsOfTeePagerSourceHelpSystemNowarningAndClear) {
  const std::string tee = dir_.path() + "/tee.txt";
  const std::string paged = dir_.path() + "/paged.txt";
  const std::string file = dir_.path() + "/load.sql";
  WriteFile(file, "INSERT INTO students (name, age) VALUES ('dotted', 1);\n");
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "\\. " + file, "logged as #1");
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM students WHERE name = 'dotted'", "school"),
            "1");
  Run(*t, "\\T " + tee, "Logging to file '" + tee + "'");
  Run(*t, "SELECT 'teed' AS t;", "1 row in set");
  Run(*t, "\\t", "Outfile disabled.");
  Run(*t, "SELECT 'untouched' AS t;", "1 row in set");
  EXPECT_THAT(ReadWholeFile(tee), HasSubstr("| teed |"));
  EXPECT_THAT(ReadWholeFile(tee), Not(HasSubstr("untouched")));
  Run(*t, "\\P cat > " + paged, "PAGER set to 'cat > " + paged + "'");
  t->Enter("SELECT 'paged' AS p;");
  ASSERT_TRUE(WaitFor([&] { return ReadWholeFile(paged).find("| paged |") != std::string::npos; },
                      seconds(10)));
  Run(*t, "\\n", "PAGER set to stdout");
  Run(*t, "SELECT 'unpaged' AS p;", "| unpaged |");  // on the terminal again
  // The shell's answer, not the typed command's echo: $((6*7)) is expanded.
  Run(*t, "system echo long-form-$((6*7))", "long-form-42");
  Run(*t, "\\W", "Show warnings enabled.");
  Run(*t, "nowarning", "Show warnings disabled.");
  Run(*t, "INSERT IGNORE INTO students (name, age) VALUES ('far too long a name', 2);",
      "Query OK, 1 row affected, 1 warning");
  Run(*t, "SELECT 'next' AS n;", "1 row in set");
  EXPECT_THAT(t->Output(), Not(HasSubstr("Warning (Code 1265)")));
  Run(*t, "INSERT INTO students (name, age) VALUES ('cleared', 3)", "    -> ");
  Run(*t, "clear", "master [school]> ");
  // Had clear kept the INSERT, this would be a syntax error.
  Run(*t, "SELECT 'after clear' AS c;", "1 row in set");
  EXPECT_THAT(t->Output(), Not(HasSubstr("ERROR")));
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM students WHERE name = 'cleared'", "school"),
            "0");
  Run(*t, "\\h", "source    (\\.)");
}

// A command run with \! gets the terminal as the shell had it (echo, line
// editing), not the prompt's raw mode; the prompt's mode comes back after.
TEST_F(MasterParityTest, SystemCommandRunsWithTheShellsTerminalModes) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  t->Mark();
  const size_t from = t->Output().size();
  t->Enter("\\! stty -a; echo stty-$((40+2))");
  ASSERT_TRUE(t->WaitFor("stty-42", seconds(20))) << t->Output();
  const std::string shown = t->Output().substr(from);
  EXPECT_THAT(shown, HasSubstr(" icanon ")) << shown;
  EXPECT_THAT(shown, Not(HasSubstr("-icanon"))) << shown;
  EXPECT_THAT(shown, Not(HasSubstr("-echo "))) << shown;
  Run(*t, "SELECT 'still editing' AS e;", "1 row in set");  // the prompt works as before
}

// --- History, completion, colour --------------------------------------------

TEST_F(MasterParityTest, HistoryIsPrivateAndKeepsNoPasswords) {
  {
    std::optional<Terminal> t = StartMaster();
    ASSERT_TRUE(t);
    Run(*t, "SELECT 'remembered' AS r;", "1 row in set");
    Run(*t, "CREATE USER IF NOT EXISTS hist IDENTIFIED BY 'hist-secret-1';", "Query OK");
    Run(*t, "SELECT 'my PassWord is hist-secret-2' AS p;", "1 row in set");
    t->Enter("\\q");
    ASSERT_EQ(t->Wait(seconds(30)), 0);
  }
  const std::string history = home_ + "/.sqlrepl_history";
  struct stat st {};
  ASSERT_EQ(::stat(history.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(ReadWholeFile(history), HasSubstr("remembered"));
  EXPECT_THAT(ReadWholeFile(history), Not(HasSubstr("hist-secret-1")));
  EXPECT_THAT(ReadWholeFile(history), Not(HasSubstr("hist-secret-2")));
  std::optional<Terminal> t = StartMaster();  // a new session recalls it with the up arrow
  ASSERT_TRUE(t);
  t->Mark();
  t->Type("\x1b[A");
  EXPECT_TRUE(t->WaitFor("remembered", seconds(5))) << t->Output();
  ASSERT_TRUE(server_->Exec("DROP USER IF EXISTS hist").ok());
}

// The history file is appended to while the master runs and cut back to the
// newest 1000 statements when it exits.
TEST_F(MasterParityTest, HistoryKeepsTheNewestThousandStatements) {
  const std::string history = home_ + "/.sqlrepl_history";
  {
    std::ofstream seed(history);
    seed << "_HiStOrY_V2_\n";
    for (int i = 1; i <= 1200; ++i) seed << "SELECT\\040" << i << "\\040AS\\040seeded;\n";
  }
  ASSERT_EQ(::chmod(history.c_str(), 0600), 0);
  {
    std::optional<Terminal> t = StartMaster();
    ASSERT_TRUE(t);
    Run(*t, "SELECT 'newest' AS n;", "1 row in set");
    t->Enter("\\q");
    ASSERT_EQ(t->Wait(seconds(30)), 0);
  }
  std::vector<std::string> entries;
  std::istringstream in(ReadWholeFile(history));
  for (std::string line; std::getline(in, line);) entries.push_back(line);
  ASSERT_EQ(entries.size(), 1001u);  // the header line and 1000 statements
  EXPECT_EQ(entries[0], "_HiStOrY_V2_");
  EXPECT_EQ(entries[1], "SELECT\\040202\\040AS\\040seeded;");  // 1200 - 999 + 1
  EXPECT_EQ(entries[999], "SELECT\\0401200\\040AS\\040seeded;");
  EXPECT_THAT(entries[1000], HasSubstr("newest"));
  struct stat st {};
  ASSERT_EQ(::stat(history.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// libedit redraws a completed word with cursor moves, so each test runs the
// completed statement: it works only if Tab wrote the right name.
TEST_F(MasterParityTest, TabCompletesTablesColumnsAndKeywordsRefreshedAfterDdl) {
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  t->Mark();
  t->Type("SELECT * FROM stud\t;\r");
  EXPECT_TRUE(t->WaitFor("Empty set", seconds(10))) << t->Output();
  Run(*t, "CREATE TABLE courses (title_of_course VARCHAR(20));", "Query OK");
  t->Mark();
  t->Type("SELECT title_of\t FROM cour\t;\r");
  EXPECT_TRUE(t->WaitFor("Empty set", seconds(10))) << t->Output();
  t->Mark();
  t->Type("sele\t1 AS one;\r");
  EXPECT_TRUE(t->WaitFor("1 row in set", seconds(10))) << t->Output();
}

// Commands complete as keywords do; after USE the names are the new
// database's.
TEST_F(MasterParityTest, TabCompletesCommandsAndTheTablesOfTheDatabaseUseChose) {
  ASSERT_TRUE(server_
                  ->Exec("DROP DATABASE IF EXISTS other; CREATE DATABASE other;"
                         "CREATE TABLE other.only_in_other (id INT)")
                  .ok());
  std::optional<Terminal> t = StartMaster();
  ASSERT_TRUE(t);
  Run(*t, "nowarn\t", "Show warnings disabled.");
  Run(*t, "stat\t", "Slaves connected:");
  Run(*t, "USE other;", "master [other]> ");
  Run(*t, "SELECT * FROM only_in\t;", "Empty set");
}

TEST_F(MasterParityTest, ErrorsAreColouredOnATerminalUnlessNoColorIsSet) {
  {
    std::optional<Terminal> t = StartMaster();
    ASSERT_TRUE(t);
    Run(*t, "SELECT * FROM nope;", "ERROR 1146");
    EXPECT_THAT(t->Output(), HasSubstr("\x1b[31mERROR 1146"));
  }
  std::optional<Terminal> t = StartMaster({{"NO_COLOR", "1"}});
  ASSERT_TRUE(t);
  Run(*t, "SELECT * FROM nope;", "ERROR 1146");
  EXPECT_THAT(t->Output(), Not(HasSubstr("\x1b[31m")));
  Outcome piped = RunPiped("SELECT * FROM nope;\n");
  EXPECT_THAT(piped.err, Not(HasSubstr("\x1b[")));
}

// --- The operational log ------------------------------------------------------

TEST_F(MasterParityTest, OperationalLogIsPrivateTimestampedAndHoldsNoSecrets) {
  const std::string path = dir_.path() + "/master_log.txt";
  WriteEnv("MASTER_LOG=" + path + "\n");
  {
    std::optional<Terminal> t = StartMaster();
    ASSERT_TRUE(t);
    {
      asio::io_context io;
      asio::ip::tcp::socket peer(io);
      peer.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port_));
    }
    ASSERT_TRUE(t->WaitFor("master: connection (", seconds(10))) << t->Output();
    Run(*t, "INSERT INTO repl_meta.log VALUES (99, NOW(), 'x');", "ERROR");
    t->Enter("\\q");
    ASSERT_EQ(t->Wait(seconds(30)), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string log = ReadWholeFile(path);
  EXPECT_THAT(log, HasSubstr("Z master: started: replication log"));
  EXPECT_THAT(log, HasSubstr("Z master: connection (127.0.0.1:"));
  EXPECT_THAT(log, HasSubstr("Z master: refused: repl_meta holds the replication log"));
  EXPECT_THAT(log, HasSubstr("Z master: stopped (exit status 0)"));
  EXPECT_THAT(log, Not(HasSubstr(kToken)));
  EXPECT_THAT(log, Not(HasSubstr(MariaDbServer::kPassword)));
  // MASTER_LOG= (empty) disables it.
  ::unlink(path.c_str());
  WriteEnv("MASTER_LOG=\n");
  EXPECT_EQ(RunPiped("SELECT 1;\n").exit_status, 0);
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace sqlrepl::testing
