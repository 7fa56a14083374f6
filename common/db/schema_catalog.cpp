#include "db/schema_catalog.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"

#include <cstdlib>

namespace sqlrepl::db {
Connection* SchemaCatalog::Get() {
  if (!conn_) {
    ConnectOptions o = options_;
    o.database.clear();
    o.read_timeout_s = 10;
    Result<Connection> c = Connection::Open(o);
    if (!c.ok()) return nullptr;
    conn_.emplace(std::move(c).value());
  }
  return &*conn_;
}

long SchemaCatalog::QueryNumber(const std::string& sql) {
  if (auto it = numbers_.find(sql); it != numbers_.end()) return it->second;
  Connection* c = Get();
  if (c == nullptr) return 0;
  Result<QueryResult> r = c->Execute(sql);
  if (!r.ok()) {
    conn_.reset();  // reconnect next time
    return 0;
  }
  long value = 0;
  if (!r->rows.empty() && !r->rows[0].empty() && r->rows[0][0]) value = std::atol(r->rows[0][0]->c_str());
  numbers_[sql] = value;
  return value;
}

bool SchemaCatalog::HasAutoIncrement(const sql::TableRef& t) {
  Connection* c = Get();
  if (c == nullptr) return false;
  return QueryNumber(fmt::format(
             "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {} AND "
             "TABLE_NAME = {} AND EXTRA LIKE '%auto_increment%'",
             c->Quote(t.schema), c->Quote(t.table))) > 0;
}

int SchemaCatalog::UniqueKeyCount(const sql::TableRef& t) {
  Connection* c = Get();
  if (c == nullptr) return 0;
  return static_cast<int>(QueryNumber(fmt::format(
      "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {} "
      "AND TABLE_NAME = {} AND NON_UNIQUE = 0",
      c->Quote(t.schema), c->Quote(t.table))));
}

bool SchemaCatalog::IsStoredFunction(std::string_view schema, std::string_view name) {
  const std::string key(schema);
  auto it = functions_.find(key);
  if (it == functions_.end()) {
    std::set<std::string> names;
    if (Connection* c = Get()) {
      Result<QueryResult> r = c->Execute(fmt::format(
          "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {} AND "
          "ROUTINE_TYPE = 'FUNCTION'",
          c->Quote(schema)));
      if (r.ok()) {
        for (const Row& row : r->rows) {
          if (row[0]) names.insert(AsciiLower(*row[0]));
        }
      }
    }
    it = functions_.emplace(key, std::move(names)).first;
  }
  return it->second.count(AsciiLower(name)) > 0;
}

void SchemaCatalog::Invalidate() {
  functions_.clear();
  numbers_.clear();
}

}  // namespace sqlrepl::db
