#include "provision/load_sql.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::provision {

Status CheckCreateTable(std::string_view sql, std::string_view table) {
  const std::vector<sql::Token> t = sql::CodeTokens(sql);
  auto refuse = [&](const std::string& why) {
    return Status::InvalidArgument(
        fmt::format("the master's definition of `{}` is not loaded: {}", table, why));
  };
  if (t.size() < 3 || !t[0].Is("CREATE") || !t[1].Is("TABLE")) {
    return refuse("it is not a CREATE TABLE statement");
  }
  if (sql::Unquote(t[2]) != table || (t.size() > 3 && t[3].IsOperator("."))) {
    return refuse("it creates another table");
  }
  // LIKE right after the name, bare or in parentheses, copies a table;
  // later (a CHECK's LIKE) it is an operator.
  size_t like_at = 3;
  while (like_at < t.size() && t[like_at].IsOperator("(")) ++like_at;
  for (size_t i = 3; i < t.size(); ++i) {
    if (t[i].IsOperator(";")) return refuse("it holds more than one statement");
    if (t[i].kind != sql::TokenKind::kWord) continue;
    if (t[i].Is("SELECT") || (i == like_at && t[i].Is("LIKE"))) {
      return refuse("it copies another table");
    }
    if (t[i].Is("DIRECTORY")) return refuse("it places files (DATA/INDEX DIRECTORY)");
    if (t[i].Is("ENGINE")) {
      size_t v = i + 1;
      if (v < t.size() && t[v].IsOperator("=")) ++v;
      if (v >= t.size() || !t[v].Is("INNODB")) {
        return refuse("its engine is not InnoDB");
      }
    }
  }
  return Status::Ok();
}

std::string BinaryLiteral(std::string_view value) { return "_binary X'" + Hex(value) + "'"; }

Result<std::vector<std::string>> BuildInserts(std::string_view table,
                                              const std::vector<std::string>& columns,
                                              const std::vector<protocol::SnapshotRow>& rows,
                                              size_t max_bytes) {
  std::string head = fmt::format("INSERT INTO {} (", QuoteName(table));
  for (size_t i = 0; i < columns.size(); ++i) head += (i ? ", " : "") + QuoteName(columns[i]);
  head += ") VALUES ";
  std::vector<std::string> out;
  std::string current;
  for (const protocol::SnapshotRow& row : rows) {
    if (row.size() != columns.size()) {
      return Status::Corruption(fmt::format("a row of `{}` has {} values for {} columns", table,
                                            row.size(), columns.size()));
    }
    std::string tuple = "(";
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) tuple += ", ";
      tuple += row[i] ? BinaryLiteral(*row[i]) : "NULL";
    }
    tuple += ")";
    if (!current.empty() && current.size() + 2 + tuple.size() > max_bytes) {
      out.push_back(std::move(current));
      current.clear();
    }
    current += current.empty() ? head : ", ";
    current += tuple;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

}  // namespace sqlrepl::provision
