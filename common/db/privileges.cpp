#include "db/privileges.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "base/strings.hpp"

namespace sqlrepl::db {

Result<std::vector<std::string>> ShowGrants(Connection* conn, std::string_view account) {
  Result<QueryResult> r = conn->Execute(fmt::format("SHOW GRANTS FOR {}", account));
  if (!r.ok()) return r.status();
  std::vector<std::string> lines;
  for (const auto& row : r->rows) {
    if (!row.empty() && row[0]) lines.push_back(*row[0]);
  }
  return lines;
}

Result<bool> TableExists(Connection* conn, std::string_view schema, std::string_view table) {
  Result<QueryResult> r = conn->Execute(fmt::format(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
      conn->Quote(schema), conn->Quote(table)));
  if (!r.ok()) return r.status();
  return !r->rows.empty() && !r->rows[0].empty() && r->rows[0][0].value_or("0") != "0";
}

bool IsAccessDenied(const Status& status) {
  if (status.code() != StatusCode::kSqlError) return false;
  switch (status.sql_errno()) {
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1143:  // ER_COLUMNACCESS_DENIED_ERROR
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR
    case 1370:  // ER_PROCACCESS_DENIED_ERROR
      return true;
    default:
      return false;
  }
}

Status CreateTableIfMissing(Connection* conn, std::string_view schema, std::string_view table,
                            const std::vector<std::string>& create) {
  Result<bool> exists = TableExists(conn, schema, table);
  if (!exists.ok()) return exists.status();
  if (*exists) return Status::Ok();
  for (const std::string& sql : create) {
    Status s = conn->Run(sql);
    if (IsAccessDenied(s)) {
      std::string script;
      for (const std::string& st : create) script += "\n  " + st + ";";
      return Status::FailedPrecondition(fmt::format(
          "`{}`.`{}` is missing and this account may not create it; run once as an "
          "administrator:{}\n(the server said: {})",
          schema, table, script, s.message()));
    }
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

namespace {

// LIKE as the server matches a schema grant's name: % any run, _ any one
// character, \ escapes.
bool MatchesGrantPattern(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '%') {
    for (size_t skip = 0; skip <= name.size(); ++skip) {
      if (MatchesGrantPattern(pattern.substr(1), name.substr(skip))) return true;
    }
    return false;
  }
  size_t width = 1;
  char want = pattern[0];
  if (want == '\\' && pattern.size() > 1) {
    want = pattern[1];
    width = 2;
  } else if (want == '_') {
    return !name.empty() && MatchesGrantPattern(pattern.substr(1), name.substr(1));
  }
  return !name.empty() && name[0] == want &&
         MatchesGrantPattern(pattern.substr(width), name.substr(1));
}

// The schema name or pattern of a grant on a whole schema ("`school`.*"),
// "*" for *.*; nullopt for anything else (one table, a routine).
std::optional<std::string> GrantedSchema(std::string_view object) {
  if (object == "*.*") return "*";
  if (object.size() < 4 || object[0] != '`' || object.substr(object.size() - 2) != ".*") {
    return std::nullopt;
  }
  std::string name;
  size_t i = 1;
  for (; i < object.size() - 2; ++i) {
    if (object[i] == '`' && object[i + 1] == '`') {
      name += '`';
      ++i;
    } else if (object[i] == '`') {
      break;
    } else {
      name += object[i];
    }
  }
  if (i != object.size() - 3) return std::nullopt;
  return name;
}

// The privileges of "SELECT, INSERT (`a`, `b`), TRIGGER", upper case,
// without their column lists' commas.
std::vector<std::string> PrivilegeList(std::string_view text) {
  std::vector<std::string> list(1);
  int depth = 0;
  for (char ch : text) {
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (ch == ',' && depth == 0) {
      list.emplace_back();
    } else {
      list.back() += ch;
    }
  }
  for (std::string& p : list) {
    const size_t first = p.find_first_not_of(' ');
    p = first == std::string::npos
            ? ""
            : AsciiUpper(p.substr(first, p.find_last_not_of(' ') - first + 1));
  }
  return list;
}

}  // namespace

bool GrantsCoverSchema(const std::vector<std::string>& show_grants, std::string_view database,
                       std::string_view privilege) {
  for (std::string_view line : show_grants) {
    if (line.rfind("GRANT ", 0) != 0) continue;
    const size_t on = line.find(" ON ");
    const size_t to = line.find(" TO ", on == std::string_view::npos ? 0 : on);
    if (on == std::string_view::npos || to == std::string_view::npos) continue;  // a role
    const std::optional<std::string> schema = GrantedSchema(line.substr(on + 4, to - on - 4));
    if (!schema || (*schema != "*" && !MatchesGrantPattern(*schema, database))) continue;
    for (const std::string& p : PrivilegeList(line.substr(6, on - 6))) {
      if (p == privilege || p == "ALL PRIVILEGES" || p == "ALL") return true;
    }
  }
  return false;
}

namespace {

// The names of `database`'s triggers (or views) that the account sees but
// cannot read: NULL bodies, empty definitions.
Result<std::vector<std::string>> HiddenObjects(Connection* conn, std::string_view database,
                                               bool triggers) {
  const std::string schema = conn->Quote(database);
  Result<QueryResult> r = conn->Execute(
      triggers
          ? "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = " +
                schema + " AND ACTION_STATEMENT IS NULL ORDER BY 1"
          : "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = " + schema +
                " AND VIEW_DEFINITION = '' ORDER BY 1");
  if (!r.ok()) return r.status();
  std::vector<std::string> names;
  for (const Row& row : r->rows) {
    if (!row.empty() && row[0]) names.push_back(*row[0]);
  }
  return names;
}

}  // namespace

std::string QuoteAccountLiteral(std::string_view user_at_host) {
  const auto quoted = [](std::string_view text) {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'' || c == '\\') out += c;
      out += c;
    }
    return out + "'";
  };
  const size_t at = user_at_host.rfind('@');
  if (at == std::string_view::npos) return quoted(user_at_host);
  return quoted(user_at_host.substr(0, at)) + "@" + quoted(user_at_host.substr(at + 1));
}

Result<std::vector<std::string>> CatalogReadGaps(Connection* conn, std::string_view database) {
  Result<QueryResult> grants = conn->Execute("SHOW GRANTS");  // with the enabled roles' grants
  if (!grants.ok()) return grants.status();
  std::vector<std::string> lines;
  for (const Row& row : grants->rows) {
    if (!row.empty() && row[0]) lines.push_back(*row[0]);
  }
  Result<QueryResult> user = conn->Execute("SELECT CURRENT_USER()");
  if (!user.ok()) return user.status();
  const std::string account = QuoteAccountLiteral(
      user->rows.empty() || user->rows[0].empty() ? "" : user->rows[0][0].value_or(""));
  const std::string on = QuoteName(database) + ".*";
  std::vector<std::string> gaps;
  for (const bool triggers : {true, false}) {
    const char* privilege = triggers ? "TRIGGER" : "SHOW VIEW";
    Result<std::vector<std::string>> hidden = HiddenObjects(conn, database, triggers);
    if (!hidden.ok()) return hidden.status();
    if (GrantsCoverSchema(lines, database, privilege) && hidden->empty()) continue;
    const std::string now = hidden->empty()
                                ? ""
                                : fmt::format(" ({} now: {})", triggers ? "triggers" : "views",
                                              fmt::join(*hidden, ", "));
    gaps.push_back(fmt::format(
        "the account {} lacks {} on {}: the master cannot read {}{}, and flags every write "
        "through one as unknown (UNSAFE_STATEMENTS=refuse refuses it). As an administrator, "
        "run: GRANT {} ON {} TO {};",
        account, privilege, on, triggers ? "the bodies of its triggers" : "its views' definitions",
        now, privilege, on, account));
  }
  return gaps;
}

}  // namespace sqlrepl::db
