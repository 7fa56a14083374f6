// The slave's allow-list: data changes to the tables of DB_NAME, and a USE
// of DB_NAME, are applied; everything else is refused with a reason a person
// understands. (Transaction control is the applier's: each event is one
// transaction.)
#pragma once

#include <string>
#include <string_view>

#include "sql/classifier.hpp"

namespace sqlrepl::sql {

struct PolicyDecision {
  bool allowed = false;
  std::string reason;  // why it was refused; empty when allowed
};

// `database` is the slave's DB_NAME: the one database it writes, the one
// its session stays in, and what unqualified table names resolve to.
// `meta_schema` (where replication keeps its own tables) is protected like
// the system schemas. `c` must have been read under the sql_mode the
// statement runs under.
PolicyDecision CheckSlavePolicy(const Classification& c, std::string_view database,
                                std::string_view meta_schema);

// Why the sql_mode values, character sets and collations in `c` (upper
// case) would make the server read text differently from our lexer, or ""
// when they do not (character sets: sql/charsets.hpp). `lexer_follows_quoting`: the statements are
// read under these modes (LexMode), so ANSI_QUOTES, NO_BACKSLASH_ESCAPES and ANSI are fine; modes
// with another grammar (ORACLE, MSSQL, ...) never are.
std::string CheckLexicalSettings(const Classification& c, bool lexer_follows_quoting = false);

// mysql, information_schema, performance_schema, sys, or the meta schema;
// compared without regard to case.
bool IsProtectedSchema(std::string_view schema, std::string_view meta_schema);

}  // namespace sqlrepl::sql
