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
// `database`.* and `meta_schema`.slave_position, from SHOW GRANTS lines.
GrantReview ReviewSlaveGrants(const std::vector<std::string>& show_grants,
                              std::string_view database, std::string_view meta_schema);

// The statements an administrator runs once for a slave account `account`
// ("'u'@'h'"): the meta schema and position table, then the grants.
std::vector<std::string> SlaveSetupSql(std::string_view database, std::string_view meta_schema,
                                       std::string_view account);

// Reviews the connected account. Not ok: kFailedPrecondition listing what is
// wrong and the statements that fix it; with `allow_broad` the findings go
// to `warnings` instead and the result is ok.
Status CheckSlaveGrants(db::Connection* conn, std::string_view database,
                        std::string_view meta_schema, bool allow_broad,
                        std::vector<std::string>* warnings);

}  // namespace sqlrepl::app
