#include "sql/policy.hpp"

#include <optional>

#include "base/strings.hpp"
#include "sql/charsets.hpp"

namespace sqlrepl::sql {
namespace {

PolicyDecision Allow() { return {true, ""}; }
PolicyDecision Refuse(std::string reason) { return {false, std::move(reason)}; }

// sql_mode values that change how the server reads statements (quotes and
// backslashes), so that our lexer would no longer see what the server sees.
constexpr std::string_view kLexingModes[] = {"ANSI_QUOTES", "NO_BACKSLASH_ESCAPES", "ANSI",
                                             "ORACLE",      "MSSQL",                "DB2",
                                             "MAXDB",       "POSTGRESQL"};

PolicyDecision CheckWrites(const Classification& c, std::string_view database,
                           std::string_view meta_schema) {
  if (c.writes.empty()) return Refuse("cannot tell which table " + c.verb + " writes to; refused");
  for (const TableRef& t : c.writes) {
    const std::string_view schema = t.schema.empty() ? database : t.schema;
    if (IsProtectedSchema(schema, meta_schema)) {
      return Refuse("writes to system schema " + std::string(schema) + " are refused");
    }
    if (schema != database) {
      return Refuse("writes outside " + std::string(database) + " (DB_NAME) are refused: " +
                    std::string(schema) + "." + t.table);
    }
  }
  return Allow();
}

// The session stays in `database`: a USE may only name it again. Other
// session statements are never replicated as text (each event carries the
// values they set), so they are refused whatever they set.
PolicyDecision CheckSessionStatement(const Classification& c, std::string_view database,
                                     std::string_view meta_schema) {
  if (c.verb == "USE") {
    if (c.use_database.empty()) return Refuse("USE whose database name cannot be read is refused");
    if (IsProtectedSchema(c.use_database, meta_schema)) {
      return Refuse("USE of system schema " + c.use_database + " is refused");
    }
    if (c.use_database != database) {
      return Refuse("USE of " + c.use_database + " is refused: this slave applies into " +
                    std::string(database) + " (DB_NAME) only");
    }
    return Allow();
  }
  const std::string lexical = CheckLexicalSettings(c);
  if (!lexical.empty()) return Refuse(lexical);
  return Refuse("session settings travel with each event, not as statements: " + c.verb +
                " is refused");
}

}  // namespace

std::string CheckLexicalSettings(const Classification& c, bool lexer_follows_quoting) {
  if (c.unchecked_value) {
    return "sql_mode or a character set set from an expression cannot be checked and is refused";
  }
  for (const std::string& mode : c.sql_modes) {
    size_t start = 0;
    while (start <= mode.size()) {
      const size_t comma = mode.find(',', start);
      const std::string_view one = std::string_view(mode).substr(
          start, comma == std::string::npos ? std::string::npos : comma - start);
      const bool followed = one == "ANSI_QUOTES" || one == "NO_BACKSLASH_ESCAPES" || one == "ANSI";
      for (std::string_view bad : kLexingModes) {
        if (one == bad && !(lexer_follows_quoting && followed)) {
          return "sql_mode " + std::string(bad) + " changes how statements are read and is refused";
        }
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const std::string& charset : c.charsets) {
    std::string why = WhyCharsetIsRefused(charset, /*is_collation=*/false);
    if (!why.empty()) return why;
  }
  for (const std::string& collation : c.collations) {
    std::string why = WhyCharsetIsRefused(collation, /*is_collation=*/true);
    if (!why.empty()) return why;
  }
  return "";
}

bool IsProtectedSchema(std::string_view schema, std::string_view meta_schema) {
  for (std::string_view system : {"mysql", "information_schema", "performance_schema", "sys"}) {
    if (EqualsIgnoreCase(schema, system)) return true;
  }
  return !meta_schema.empty() && EqualsIgnoreCase(schema, meta_schema);
}

namespace {

// Refusals whatever the statement's kind: text that another server could
// read differently, or that names what the slave must not run.
std::optional<PolicyDecision> CheckText(const Classification& c, std::string_view database) {
  // A routine's body holds ';' (CREATE PROCEDURE ... BEGIN ...; END): the
  // reason that matters is that it is DDL, refused whatever its body.
  if (c.kind == StatementKind::kDdl) return Refuse("DDL is not replicated to slaves: " + c.verb);
  if (c.multiple_statements) return Refuse("more than one statement in one text is refused");
  // The slave's server may be another version, or MySQL, and its connection
  // another character set: text that such a server could read differently
  // from us is refused rather than guessed at.
  if (c.depends_on_version) {
    return Refuse("a version-gated comment (/*!NNNNN or /*M!) that servers of other versions read "
                  "differently is refused");
  }
  if (c.depends_on_charset) {
    return Refuse(
        "bytes >= 0x80 outside strings and `quoted names` are refused (their meaning depends "
        "on the character set); quote the name with backticks");
  }
  for (const std::string& schema : c.schemas_used) {
    if (schema != database) {
      return Refuse("routines and sequences outside " + std::string(database) +
                    " (DB_NAME) are refused: " + schema);
    }
  }
  if (!c.reserved_variable.empty()) {
    return Refuse(c.reserved_variable +
                  " is reserved for sqlrepl's own use; statements that name it "
                  "are refused");
  }
  return std::nullopt;
}

PolicyDecision CheckByKind(const Classification& c, std::string_view database,
                           std::string_view meta_schema) {
  switch (c.kind) {
    case StatementKind::kDataChange:
      // No lexical check: SET STATEMENT ... FOR changes how its statement
      // runs, not how its text is read (the session's mode reads it).
      return CheckWrites(c, database, meta_schema);
    case StatementKind::kSessionState:
      return CheckSessionStatement(c, database, meta_schema);
    case StatementKind::kTransaction:
      if (c.transaction == TransactionOp::kXa)
        return Refuse("XA transactions are not replicated to slaves");
      return Allow();
    case StatementKind::kEmpty:
      return Refuse("an empty statement is refused");
    case StatementKind::kRead:
      return Refuse("reads are not replicated to slaves: " + c.verb);
    case StatementKind::kDdl:
      return Refuse("DDL is not replicated to slaves: " + c.verb);
    case StatementKind::kAccount:
      return Refuse("account and privilege statements are not replicated to slaves: " + c.verb);
    case StatementKind::kGlobalState:
      return Refuse("global server settings are not replicated to slaves: " + c.verb);
    case StatementKind::kDynamicSql:
      return Refuse("dynamic SQL cannot be checked and is refused: " + c.verb);
    case StatementKind::kCompound:
      return Refuse("compound statements cannot be checked and are refused: " + c.verb);
    case StatementKind::kRoutineCall:
      return Refuse("stored routine calls cannot be checked and are refused: " + c.verb);
    case StatementKind::kFileAccess:
      return Refuse("file access is refused on slaves: " + c.verb);
    case StatementKind::kAdmin:
      return Refuse("server administration is not replicated to slaves: " + c.verb);
    case StatementKind::kUnknown:
      break;
  }
  return Refuse("statement not recognised, refused" + (c.verb.empty() ? "" : ": " + c.verb));
}

}  // namespace

PolicyDecision CheckSlavePolicy(const Classification& c, std::string_view database,
                                std::string_view meta_schema) {
  if (std::optional<PolicyDecision> refused = CheckText(c, database)) return *refused;
  return CheckByKind(c, database, meta_schema);
}

}  // namespace sqlrepl::sql
