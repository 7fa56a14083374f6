// What both programs do before their real work: read the command line and
// the configuration, and open the local database with an error message that
// says what to fix. Failures here exit with status 2.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "base/status.hpp"
#include "config/config.hpp"
#include "db/connection.hpp"

namespace sqlrepl::app {

constexpr int kExitOk = 0;
constexpr int kExitStatementFailed = 1;
constexpr int kExitSetupFailed = 2;

// The version --version prints (the project has no release numbering yet).
constexpr const char* kVersion = "0.13.0";

struct CommandLine {
  config::LoadOptions load;  // --env-file PATH (default ./.env)
  // --force: the master goes on after a failed statement in a script; the
  // slave's --provision replaces a database that holds tables.
  bool force = false;
  // The slave's administration steps (app/setup.hpp, app/provision.hpp):
  // run one and exit.
  bool setup = false;      // --setup
  bool provision = false;  // --provision
  // The master's mysql-client options (ignored by the slave).
  std::optional<std::string> execute;  // -e/--execute: run these statements and exit
  bool batch = false;                  // -B/--batch: tab-separated, escaped
  bool table = false;                  // -t/--table: bordered tables
  bool skip_column_names = false;      // -N/--skip-column-names
  int silent = 0;                      // -s/--silent, once per -s
  int verbose = 0;                     // -v/--verbose, once per -v
  bool show_warnings = false;          // --show-warnings: as \W at the start
  bool serve = false;  // --serve: no prompt, no script; serve until SIGTERM
};

// Parses the command line shared by both programs (`master_options`: the
// master's --force, -e, -B, ... too). Returns the exit status main should
// return instead when it printed --help or --version, or reported a bad
// argument.
std::variant<CommandLine, int> ParseCommandLine(const char* program, const char* description,
                                                bool master_options, int argc, char** argv);

// Prints "<program>: <message>" on stderr and returns kExitSetupFailed.
int FailSetup(const char* program, const std::string& message);

db::ConnectOptions ToConnectOptions(const config::DbSettings& db);

// "database 'school' does not exist on 127.0.0.1:3306: create it, or set
// DB_NAME in .env" and the like, one line for each kind of failure.
std::string DescribeConnectError(const Status& status, const config::DbSettings& db,
                                 const std::string& env_file);

// Opens the local database; on failure prints the description to stderr.
Result<db::Connection> OpenLocalDatabase(const char* program, const config::DbSettings& db,
                                         const std::string& env_file);

// True for a loopback address (127.0.0.0/8, ::1); false for anything else,
// 0.0.0.0 and names included.
bool IsLoopback(const std::string& host);

// Prints config warnings to stderr, prefixed with the program's name.
void PrintWarnings(const char* program, const std::vector<std::string>& warnings);

}  // namespace sqlrepl::app
