// `slave --setup`: what an administrator runs once on a slave's server
// (README "Privileges"). With the account of ADMIN_DB_USER / ADMIN_DB_PASS
// (or ADMIN_DB_SOCKET) it creates DB_NAME and META_SCHEMA and its tables
// where missing, and makes the slave's account (DB_USER, as the server
// matches it when the slave logs in) hold exactly what the start-up check
// (app/grants) requires: missing grants are given, anything beyond is
// revoked. Running it again changes nothing. The administrator's
// credentials serve this step alone: never printed, logged or kept.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "config/config.hpp"
#include "db/connection.hpp"

namespace sqlrepl::app {

// What an administrator's look at the slave's server found.
struct SetupFacts {
  bool database_exists = false;
  bool meta_schema_exists = false;
  std::vector<std::string> meta_tables;  // the tables in META_SCHEMA
  std::vector<std::string> show_grants;  // SHOW GRANTS FOR the slave's account
};

// The statements that bring the server to what the slave needs, in the
// order they must run: the schemas and META_SCHEMA's tables that are
// missing (a grant on a table needs the table), then the REVOKEs and GRANTs
// that make the account's privileges exactly the required set. Empty when
// nothing is to change.
std::vector<std::string> PlanSlaveSetup(const SetupFacts& facts, std::string_view database,
                                        std::string_view meta_schema);

// "`u`@`h`" for CURRENT_USER()'s "u@h" (the host part follows the last '@').
std::string QuoteAccount(std::string_view user_at_host);

// The administrator's session on the slave's server (ADMIN_* keys, no
// database selected), for `command` ("slave --setup"), which the errors
// name. kInvalidArgument naming the missing key; kFailedPrecondition for a
// refused login, without the password.
Result<db::Connection> ConnectAdministrator(const config::SlaveConfig& cfg,
                                            std::string_view command);

// Runs `slave --setup` for `cfg` (its DB_* keys name the slave's account
// and server, its ADMIN_* keys the administrator). `print` gets one line
// per statement run and a closing line. Errors (kInvalidArgument for
// missing keys, kFailedPrecondition for what an administrator must fix)
// carry a message for the person at the console, never a password.
Status RunSlaveSetup(const config::SlaveConfig& cfg, const std::string& env_file,
                     const std::function<void(const std::string&)>& print);

}  // namespace sqlrepl::app
