// Which parts of the master's session travel with each statement, and how
// they are read: the values that change what a data change does, as MySQL's
// statement-based binary log carries them in its query events. Nothing else
// about the master's session (sql_log_bin, pseudo_thread_id, gtid_*, ...)
// ever reaches a slave, and no SET statement is replicated as text.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "db/query_result.hpp"
#include "replication/event.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::replication {

// The carried session variables, event format 2. Adding one is a format
// change: older slaves refuse a variable they do not know.
inline constexpr std::array<std::string_view, 12> kCarriedVariables = {
    "sql_mode",         "character_set_client",    "collation_connection",
    "time_zone",        "auto_increment_increment", "auto_increment_offset",
    "foreign_key_checks", "unique_checks",          "lc_time_names",
    "div_precision_increment", "sql_auto_is_null", "check_constraint_checks",
};

bool IsCarriedVariable(std::string_view name);

// "SELECT @@session.sql_mode, ..." in the order of kCarriedVariables.
const std::string& CarriedVariablesQuery();
// Its answer as name/value pairs; kCorruption when the shape is wrong.
Result<std::vector<SessionVariable>> ParseCarriedVariables(const db::QueryResult& answer);

// "SELECT @`a`, @`b`" for `names` (not empty): the user variables a
// statement names, as its classification lists them.
std::string UserVariablesQuery(const std::vector<std::string>& names);
// Its answer as typed values.
Result<std::vector<UserVariable>> ParseUserVariables(const std::vector<std::string>& names,
                                                     const db::QueryResult& answer);

// Why a slave must not set these values ("" when it may): only carried
// variables, no backslash in a value, and no sql_mode or character set that
// changes how the slave's policy reads statements.
std::string CheckSessionValues(const StatementContext& context);

// How the statement's text is read: under the sql_mode it ran under.
sql::LexMode LexModeOf(const StatementContext& context);
// The same for session values alone (the lexer's defaults without sql_mode).
sql::LexMode LexModeOf(const std::vector<SessionVariable>& session);

}  // namespace sqlrepl::replication
