// The slave's allow-list: data changes to ordinary schemas, session SET,
// USE and transaction control are applied; everything else is refused with
// a reason a person understands.
#pragma once

#include <string>
#include <string_view>

#include "sql/classifier.hpp"

namespace sqlrepl::sql {

struct PolicyDecision {
  bool allowed = false;
  std::string reason;  // why it was refused; empty when allowed
};

// `current_database` resolves unqualified table names; `meta_schema` (where
// replication keeps its own tables) is protected like the system schemas.
PolicyDecision CheckSlavePolicy(const Classification& c, std::string_view current_database,
                                std::string_view meta_schema);

// Why the sql_mode values and character sets in `c` (sql_modes, charsets,
// upper case) would make the server read text differently from our lexer,
// or "" when they do not. `lexer_follows_quoting`: the statements are read
// under these modes (LexMode), so ANSI_QUOTES, NO_BACKSLASH_ESCAPES and ANSI
// are fine; modes with another grammar (ORACLE, MSSQL, ...) never are.
std::string CheckLexicalSettings(const Classification& c, bool lexer_follows_quoting = false);

// mysql, information_schema, performance_schema, sys, or the meta schema;
// compared without regard to case.
bool IsProtectedSchema(std::string_view schema, std::string_view meta_schema);

}  // namespace sqlrepl::sql
