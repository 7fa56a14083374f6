#include "replication/session_context.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.hpp"
#include "sql/classifier.hpp"
#include "sql/lexer.hpp"
#include "sql/policy.hpp"

namespace sqlrepl::replication {

bool IsCarriedVariable(std::string_view name) {
  return std::find(kCarriedVariables.begin(), kCarriedVariables.end(), name) !=
         kCarriedVariables.end();
}

const std::string& CarriedVariablesQuery() {
  static const std::string query = [] {
    std::string q = "SELECT ";
    for (size_t i = 0; i < kCarriedVariables.size(); ++i) {
      q += fmt::format("{}@@session.{}", i == 0 ? "" : ", ", kCarriedVariables[i]);
    }
    return q;
  }();
  return query;
}

Result<std::vector<SessionVariable>> ParseCarriedVariables(const db::QueryResult& answer) {
  if (answer.rows.size() != 1 || answer.rows[0].size() != kCarriedVariables.size()) {
    return Status::Corruption("the session variables could not be read");
  }
  std::vector<SessionVariable> out;
  out.reserve(kCarriedVariables.size());
  for (size_t i = 0; i < kCarriedVariables.size(); ++i) {
    out.push_back({std::string(kCarriedVariables[i]), answer.rows[0][i].value_or("")});
  }
  return out;
}

std::string UserVariablesQuery(const std::vector<std::string>& names) {
  std::string q = "SELECT ";
  for (size_t i = 0; i < names.size(); ++i) {
    std::string quoted;
    for (char ch : names[i]) {
      if (ch == '`') quoted += '`';
      quoted += ch;
    }
    q += fmt::format("{}@`{}`", i == 0 ? "" : ", ", quoted);
  }
  return q;
}

Result<std::vector<UserVariable>> ParseUserVariables(const std::vector<std::string>& names,
                                                     const db::QueryResult& answer) {
  if (answer.rows.size() != 1 || answer.rows[0].size() != names.size() ||
      answer.columns.size() != names.size()) {
    return Status::Corruption("the user variables could not be read");
  }
  std::vector<UserVariable> out;
  for (size_t i = 0; i < names.size(); ++i) {
    UserVariable v;
    v.name = names[i];
    const db::Cell& cell = answer.rows[0][i];
    if (!cell) {
      v.kind = UserVariable::kNull;
    } else {
      v.value = *cell;
      switch (answer.columns[i].kind) {
        case db::ValueKind::kInteger: v.kind = UserVariable::kInteger; break;
        case db::ValueKind::kDecimal: v.kind = UserVariable::kDecimal; break;
        case db::ValueKind::kReal: v.kind = UserVariable::kReal; break;
        case db::ValueKind::kString:
          v.kind = UserVariable::kString;
          v.charset = answer.columns[i].charset;
          break;
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// A sql_mode as the server reports it: mode names, comma-separated. The
// server also takes numbers and stray spaces, which our lexer would not
// read as the modes they stand for.
bool IsModeNameList(std::string_view value) {
  for (char ch : value) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == ',';
    if (!ok) return false;
  }
  return value.find(",,") == std::string_view::npos &&
         (value.empty() || (value.front() != ',' && value.back() != ','));
}

}  // namespace

std::string CheckSessionValues(const StatementContext& context) {
  sql::Classification lexing;
  if (context.has_session) {
    // What the statement is read under must be set, not left as it was.
    for (std::string_view needed : {"sql_mode", "character_set_client", "collation_connection"}) {
      const bool carried = std::any_of(context.session.begin(), context.session.end(),
                                       [&](const SessionVariable& v) { return v.name == needed; });
      if (!carried) return "the event's session values lack " + std::string(needed);
    }
  }
  for (const SessionVariable& v : context.session) {
    if (!IsCarriedVariable(v.name))
      return "session variable " + v.name + " is not one a slave sets";
    if (v.value.find('\\') != std::string::npos)
      return "session variable " + v.name + " holds a backslash";
    if (v.name == "sql_mode" && !IsModeNameList(v.value)) {
      return "sql_mode '" + v.value + "' is not a list of mode names";
    }
    if (v.name == "sql_mode") lexing.sql_modes.push_back(AsciiUpper(v.value));
    if (v.name == "character_set_client") lexing.charsets.push_back(AsciiUpper(v.value));
    if (v.name == "collation_connection") lexing.collations.push_back(AsciiUpper(v.value));
  }
  for (const UserVariable& v : context.user_variables) {
    if (sql::IsReservedVariable(AsciiLower(v.name))) {
      return "user variable @" + v.name + " is reserved for sqlrepl's own use";
    }
    if (v.kind == UserVariable::kString && !v.charset.empty() &&
        v.charset.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      return "user variable @" + v.name + " has an unknown character set";
    }
    if ((v.kind == UserVariable::kInteger || v.kind == UserVariable::kDecimal) &&
        v.value.find_first_not_of("0123456789.-+eE") != std::string::npos) {
      return "user variable @" + v.name + " is not a number";
    }
  }
  return sql::CheckLexicalSettings(lexing, /*lexer_follows_quoting=*/true);
}

sql::LexMode LexModeOf(const StatementContext& context) { return LexModeOf(context.session); }

sql::LexMode LexModeOf(const std::vector<SessionVariable>& session) {
  for (const SessionVariable& v : session) {
    if (v.name == "sql_mode") return sql::LexMode::FromSqlMode(v.value);
  }
  return {};
}

}  // namespace sqlrepl::replication
