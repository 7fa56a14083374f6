// What both programs do before their real work: read the command line and
// the configuration, and open the local database with an error message that
// says what to fix. Failures here exit with status 2.
#pragma once

#include <string>
#include <variant>

#include "base/status.hpp"
#include "config/config.hpp"
#include "db/connection.hpp"

namespace sqlrepl::app {

constexpr int kExitOk = 0;
constexpr int kExitStatementFailed = 1;
constexpr int kExitSetupFailed = 2;

struct CommandLine {
  config::LoadOptions load;  // --env-file PATH (default ./.env)
  bool force = false;        // --force (master only)
};

// Parses the command line shared by both programs. Returns the exit status
// main should return instead when it printed --help or reported a bad
// argument.
std::variant<CommandLine, int> ParseCommandLine(const char* program, const char* description,
                                                bool accepts_force, int argc, char** argv);

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

// Prints config warnings to stderr, prefixed with the program's name.
void PrintWarnings(const char* program, const std::vector<std::string>& warnings);

}  // namespace sqlrepl::app
