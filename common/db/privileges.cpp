#include "db/privileges.hpp"

#include <fmt/format.h>

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

}  // namespace sqlrepl::db
