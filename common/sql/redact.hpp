// Redaction of the passwords that account statements carry, so that the
// replication log, the wire, the slaves' echo and every printed line hold
// '<redacted>' where the user typed a secret. The master still executes the
// text as typed; only the copy that leaves the executor is redacted (slaves
// refuse account statements, so the redacted text is never run).
//
// Read over the lexer's code tokens, so comments, quoting and executable
// comments are seen as the server sees them. What is replaced:
//
// | statement | literals replaced |
// |---|---|
// | CREATE/ALTER USER, GRANT, CREATE ROLE ... IDENTIFIED ... | every string or number from
// IDENTIFIED to the end of that user's clause (",", REQUIRE, WITH after the plugin, ACCOUNT,
// PASSWORD EXPIRE): BY 'pw', BY PASSWORD 'hash', VIA/WITH plugin USING/AS 'x', PASSWORD('x'),
// OLD_PASSWORD('x'), OR-chained plugins | | SET PASSWORD [FOR user] = ... | everything after "=":
// 'hash', PASSWORD('x'), OLD_PASSWORD('x') | | CREATE/ALTER SERVER ... OPTIONS (PASSWORD 'x') | the
// literal after PASSWORD | | CHANGE MASTER TO MASTER_PASSWORD = 'x' | the literal after
// MASTER_PASSWORD | | SET STATEMENT ... FOR <statement> | what the rules above find in <statement>
// | | PREPARE ... FROM / EXECUTE IMMEDIATE 'text' | a whole string that mentions IDENTIFIED or
// PASSWORD |
//
// Data statements are never changed: INSERT ... PASSWORD('x') must reach the
// slaves as typed or their data would differ.
#pragma once

#include <string>
#include <string_view>

#include "sql/lexer.hpp"

namespace sqlrepl::sql {

inline constexpr std::string_view kRedacted = "'<redacted>'";

// `sql` with every password literal above replaced by kRedacted; `sql`
// unchanged when it carries none. `mode`: what the text is read under.
std::string RedactPasswords(std::string_view sql, LexMode mode = {});

}  // namespace sqlrepl::sql
