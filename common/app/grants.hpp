// Least privilege for the slave (docs/design.md guarantee 6, README
// "Privileges"): the slave's database account may only read and change rows
// of DB_NAME and of its own position table, so that a statement the policy
// misreads still cannot change a schema, an account or a server setting.
// At start-up the slave reads SHOW GRANTS FOR CURRENT_USER and refuses to
// run with more (or less) than that, printing the statements that fix it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "db/connection.hpp"

namespace sqlrepl::app {

// The privileges the slave needs, on DB_NAME.* and on
// META_SCHEMA.slave_position: CHECKSUM TABLE and the position read need
// SELECT; the session variables it sets (sql_mode, time_zone, timestamp,
// insert_id, rand_seed1/2, foreign_key_checks, ...) need none on MariaDB 10.11.
inline constexpr std::string_view kSlavePrivileges = "SELECT, INSERT, UPDATE, DELETE";

// An object the slave's account holds kSlavePrivileges on.
struct GrantObject {
  std::string schema;  // unquoted
  std::string table;   // unquoted; "*" for the whole schema
  // As SHOW GRANTS writes it: "`school`.*", "`repl_meta`.`slave_position`".
  std::string Quoted() const;
};

// Every object the slave's account needs, and nothing else may be granted:
// `database`.* and `meta_schema`.slave_position. The one list the start-up
// check, its fixes and `slave --setup` all read; a table the slave must
// write in META_SCHEMA is added here.
std::vector<GrantObject> SlaveGrantObjects(std::string_view database,
                                           std::string_view meta_schema);

// A table of META_SCHEMA on the slave's server and the statement that
// creates it when missing.
struct MetaTable {
  std::string name;
  std::string ddl;  // CREATE TABLE IF NOT EXISTS ...
};

// The tables the slave keeps in META_SCHEMA, made by an administrator once
// (`slave --setup`), since the slave's account may not create tables.
std::vector<MetaTable> SlaveMetaTables(std::string_view meta_schema);

// One line of SHOW GRANTS.
struct GrantLine {
  std::vector<std::string> privileges;  // upper case: "SELECT", "ALL PRIVILEGES", "SELECT (`a`)"
  std::string object;  // as written after ON: "*.*", "`school`.*", "PROCEDURE `d`.`p`"
  std::string schema;                   // unquoted; "*" in "*.*"; empty for routines and PROXY
  std::string table;                    // unquoted; "*" for a whole schema
  std::string role;                     // GRANT role TO ...: the role as written
  std::string account;                  // as written after TO: "`u`@`h`"
  bool grant_option = false;
};

// nullopt for lines that are not GRANT ... TO (SET DEFAULT ROLE ...).
std::optional<GrantLine> ParseGrantLine(std::string_view line);

struct GrantReview {
  std::string account;               // the account the lines were for
  std::vector<std::string> excess;   // "ALL PRIVILEGES ON *.*", "role `admin`"
  std::vector<std::string> missing;  // "INSERT ON `school`.*"
  std::vector<std::string> fixes;    // REVOKE ... and GRANT ... statements
  bool ok() const { return excess.empty() && missing.empty(); }
};

// What the slave's account holds beyond (and short of) kSlavePrivileges on
// SlaveGrantObjects(database, meta_schema), from SHOW GRANTS lines.
GrantReview ReviewSlaveGrants(const std::vector<std::string>& show_grants,
                              std::string_view database, std::string_view meta_schema);

// The statements an administrator runs once for a slave account `account`
// ("'u'@'h'") that holds nothing yet: META_SCHEMA and SlaveMetaTables,
// then a grant on each of SlaveGrantObjects.
std::vector<std::string> SlaveSetupSql(std::string_view database, std::string_view meta_schema,
                                       std::string_view account);

// Reviews the connected account. Not ok: kFailedPrecondition listing what is
// wrong and the statements that fix it; with `allow_broad` the findings go
// to `warnings` instead and the result is ok.
Status CheckSlaveGrants(db::Connection* conn, std::string_view database,
                        std::string_view meta_schema, bool allow_broad,
                        std::vector<std::string>* warnings);

}  // namespace sqlrepl::app
