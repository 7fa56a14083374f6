// What the connected account may do, and tables that an account with only
// data privileges can use but not create. See README "Privileges".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "db/connection.hpp"

namespace sqlrepl::db {

// The lines of SHOW GRANTS FOR `account` (as written: "`u`@`h`"; another
// account's grants need an administrator). They can hold the account's
// password hash (IDENTIFIED BY PASSWORD '...'): never print them whole.
Result<std::vector<std::string>> ShowGrants(Connection* conn,
                                            std::string_view account = "CURRENT_USER");

// Whether schema.table exists and the account can see it (information_schema
// shows only tables the account has some privilege on).
Result<bool> TableExists(Connection* conn, std::string_view schema, std::string_view table);

// True for the server's "access denied" errors (1044, 1045, 1142, 1143,
// 1227, 1370).
bool IsAccessDenied(const Status& status);

// Runs `create` (the CREATE DATABASE/TABLE statements that make
// schema.table) only when the table is missing, so that an account without
// CREATE works once an administrator made it. When the account may not
// create it: kFailedPrecondition naming the statements to run as an
// administrator.
Status CreateTableIfMissing(Connection* conn, std::string_view schema, std::string_view table,
                            const std::vector<std::string>& create);

// Whether the lines of SHOW GRANTS (those of the enabled roles included)
// give `privilege` ("TRIGGER", "SHOW VIEW") on every table of `database`:
// on *.* or on a schema name or pattern (`sch%`) that matches it, or as ALL
// PRIVILEGES there. Grants on single tables do not count.
bool GrantsCoverSchema(const std::vector<std::string>& show_grants, std::string_view database,
                       std::string_view privilege);

// "user@host" (as CURRENT_USER() gives it) as 'user'@'host' for a GRANT
// printed to the person, quotes and backslashes escaped.
std::string QuoteAccountLiteral(std::string_view user_at_host);

// What keeps the connected account from reading the triggers and views
// that a write to `database` may run (the master's check for unsafe
// statements reads them): a missing TRIGGER or SHOW VIEW on `database`.*,
// and the triggers and views it cannot read now. One line each, naming the
// privilege and the GRANT that fixes it; empty when nothing is hidden.
Result<std::vector<std::string>> CatalogReadGaps(Connection* conn, std::string_view database);

}  // namespace sqlrepl::db
