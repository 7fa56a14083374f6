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
  if (!r->rows.empty() && !r->rows[0].empty() && r->rows[0][0])
    value = std::atol(r->rows[0][0]->c_str());
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
  return static_cast<int>(
      QueryNumber(fmt::format("SELECT COUNT(DISTINCT INDEX_NAME) FROM "
                              "information_schema.STATISTICS WHERE TABLE_SCHEMA = {} "
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

namespace {

// One row per default, generated column, trigger and view definition:
// kind, name, text, trigger event or a default's EXTRA, trigger sql_mode.
constexpr char kDefinitionQuery[] =
    "SELECT 'default', COLUMN_NAME, COLUMN_DEFAULT, EXTRA, NULL "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {0} AND TABLE_NAME = {1} "
    "AND COLUMN_DEFAULT IS NOT NULL AND IS_GENERATED = 'NEVER' "
    "UNION ALL SELECT 'generated', COLUMN_NAME, GENERATION_EXPRESSION, NULL, NULL "
    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {0} AND TABLE_NAME = {1} "
    "AND IS_GENERATED = 'ALWAYS' "
    "UNION ALL SELECT 'trigger', TRIGGER_NAME, ACTION_STATEMENT, EVENT_MANIPULATION, SQL_MODE "
    "FROM information_schema.TRIGGERS "
    "WHERE EVENT_OBJECT_SCHEMA = {0} AND EVENT_OBJECT_TABLE = {1} "
    "UNION ALL SELECT 'view', TABLE_NAME, VIEW_DEFINITION, NULL, NULL "
    "FROM information_schema.VIEWS WHERE TABLE_SCHEMA = {0} AND TABLE_NAME = {1}";

void AddDefinitionRow(const Row& row, sql::TableDefinition* d) {
  auto text = [&](size_t i) { return row.size() > i && row[i] ? *row[i] : std::string(); };
  const std::string kind = text(0);
  if (kind == "default") {
    d->defaults.push_back({text(1), text(2), text(3).find("INVISIBLE") != std::string::npos});
  }
  if (kind == "generated") d->generated.push_back({text(1), text(2)});
  if (kind == "trigger") {
    // NULL body: the account lacks TRIGGER on the table (MariaDB still lists it).
    const bool hidden = row.size() <= 2 || !row[2];
    d->triggers.push_back({text(1), text(3), text(2), text(4), hidden});
  }
  if (kind == "view") d->view_definition = text(2);
}

}  // namespace

sql::TableDefinition SchemaCatalog::Definition(const sql::TableRef& t) {
  const auto key = std::make_pair(t.schema, t.table);
  if (auto it = definitions_.find(key); it != definitions_.end()) return it->second;
  Connection* c = Get();
  if (c == nullptr) return {};
  Result<QueryResult> r =
      c->Execute(fmt::format(kDefinitionQuery, c->Quote(t.schema), c->Quote(t.table)));
  if (!r.ok()) {
    conn_.reset();  // reconnect next time; nothing cached
    return {};
  }
  sql::TableDefinition d;
  for (const Row& row : r->rows) AddDefinitionRow(row, &d);
  return definitions_.emplace(key, std::move(d)).first->second;
}

void SchemaCatalog::Invalidate() {
  functions_.clear();
  numbers_.clear();
  definitions_.clear();
}

}  // namespace sqlrepl::db
