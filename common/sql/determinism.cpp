#include "sql/determinism.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::sql {
namespace {

// Built-in functions whose value depends on the server, the connection or
// the moment, beyond what the replicated context fixes.
constexpr std::string_view kUnsafeFunctions[] = {
    "UUID",         "UUID_SHORT",   "SYS_GUID",    "SYSDATE",      "USER",
    "CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "CURRENT_ROLE", "CONNECTION_ID",
    "FOUND_ROWS",   "ROW_COUNT",    "LOAD_FILE",   "GET_LOCK",     "RELEASE_LOCK",
    "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK", "MASTER_POS_WAIT", "MASTER_GTID_WAIT",
    "SLEEP",        "BENCHMARK",    "RANDOM_BYTES",
};

// Functions that are keywords and need no parentheses.
constexpr std::string_view kUnsafeBareWords[] = {"CURRENT_USER", "CURRENT_ROLE"};

// System variables that the replicated context or the session carries over.
constexpr std::string_view kSafeSystemVariables[] = {
    "sql_mode", "time_zone", "auto_increment_increment", "auto_increment_offset",
    "foreign_key_checks", "unique_checks", "timestamp", "insert_id", "last_insert_id", "identity",
    "rand_seed1", "rand_seed2", "autocommit", "sql_auto_is_null", "div_precision_increment",
    "default_week_format", "lc_time_names", "character_set_client", "character_set_connection",
    "character_set_results", "collation_connection", "names",
};

bool IsBuiltinUnsafe(std::string_view upper_name) {
  for (std::string_view f : kUnsafeFunctions) {
    if (upper_name == f) return true;
  }
  return false;
}

std::string SystemVariableName(std::string_view text) {
  std::string name = AsciiLower(text.substr(2));
  for (std::string_view prefix : {"global.", "session.", "local."}) {
    if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  }
  return name;
}

void AddOnce(std::vector<std::string>* reasons, std::string reason) {
  if (std::find(reasons->begin(), reasons->end(), reason) == reasons->end()) {
    reasons->push_back(std::move(reason));
  }
}

}  // namespace

std::vector<std::string> FindNondeterminism(std::string_view statement, const Classification& c,
                                            std::string_view current_database, SchemaInfo* schema) {
  std::vector<std::string> reasons;
  if (c.kind != StatementKind::kDataChange && c.kind != StatementKind::kSessionState &&
      c.kind != StatementKind::kFileAccess) {
    return reasons;
  }
  const std::vector<Token> tokens = CodeTokens(statement, c.mode);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    const bool call = i + 1 < tokens.size() && tokens[i + 1].IsOperator("(");
    const bool qualified = i > 0 && tokens[i - 1].IsOperator(".");
    if (t.kind == TokenKind::kVariable && t.text.rfind("@@", 0) == 0) {
      std::string name = SystemVariableName(t.text);
      // The server joins "@@session /* c */ . x" and reads @@`x` as @@x.
      const bool scope_only = name == "global" || name == "session" || name == "local" || name.empty() ||
                              name.back() == '.';
      if (scope_only && i + 1 < tokens.size()) {
        size_t k = i + 1;
        if (name.empty() || name.back() != '.') k += tokens[k].IsOperator(".") ? 1 : tokens.size();
        if (k < tokens.size() && (tokens[k].kind == TokenKind::kWord || tokens[k].kind == TokenKind::kQuotedIdent)) {
          name = AsciiLower(Unquote(tokens[k]));
          i = k;
        }
      } else if (!name.empty() && name.front() == '`') {
        Token quoted = t;
        quoted.kind = TokenKind::kQuotedIdent;
        quoted.text = t.text.substr(2);
        name = AsciiLower(Unquote(quoted));
      }
      bool safe = false;
      for (std::string_view ok : kSafeSystemVariables) safe = safe || name == ok;
      if (!safe) AddOnce(&reasons, "@@" + name + " can differ between servers");
      continue;
    }
    if (t.kind != TokenKind::kWord && t.kind != TokenKind::kQuotedIdent) continue;
    // `UUID`() is UUID(): the server resolves a quoted name to the built-in.
    std::string called = CalledFunction(tokens, i);
    const bool bare_keyword = t.kind == TokenKind::kWord && !qualified &&
                              std::any_of(std::begin(kUnsafeBareWords), std::end(kUnsafeBareWords),
                                          [&](std::string_view w) { return t.Is(w); });
    if (bare_keyword) called = AsciiUpper(t.text);
    if (IsBuiltinUnsafe(called)) {
      AddOnce(&reasons, called + "() gives a different value on each server");
      continue;
    }
    if (call && schema != nullptr) {
      const std::string fn_schema =
          qualified && i >= 2 ? Unquote(tokens[i - 2]) : std::string(current_database);
      if (schema->IsStoredFunction(fn_schema, Unquote(t))) {
        AddOnce(&reasons,
                "stored function " + Unquote(t) + "() may not give the same result on each server");
      }
    }
  }
  if ((c.verb == "UPDATE" || c.verb == "DELETE") && c.has_limit && !c.has_order_by) {
    AddOnce(&reasons, c.verb + " with LIMIT but no ORDER BY may change different rows on each server");
  }
  if (schema != nullptr && !c.writes.empty() && (c.verb == "INSERT" || c.verb == "REPLACE")) {
    TableRef target = c.writes.front();
    if (target.schema.empty()) target.schema = std::string(current_database);
    if (c.has_select && !c.has_order_by && schema->HasAutoIncrement(target)) {
      AddOnce(&reasons, c.verb + " ... SELECT without ORDER BY into a table with AUTO_INCREMENT may "
                        "number rows differently on each server");
    }
    if (c.on_duplicate_key_update && schema->UniqueKeyCount(target) > 1) {
      AddOnce(&reasons, "INSERT ... ON DUPLICATE KEY UPDATE on a table with more than one unique key "
                        "may update different rows on each server");
    }
  }
  return reasons;
}

}  // namespace sqlrepl::sql
