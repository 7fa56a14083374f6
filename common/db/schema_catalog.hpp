// sql::SchemaInfo answered from information_schema, on a connection of its
// own so that lookups never disturb the user's session (FOUND_ROWS(), an
// open transaction). Answers are cached until Invalidate() (after DDL).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "db/connection.hpp"
#include "sql/determinism.hpp"

namespace sqlrepl::db {

class SchemaCatalog : public sql::SchemaInfo {
 public:
  explicit SchemaCatalog(ConnectOptions options) : options_(std::move(options)) {}

  bool HasAutoIncrement(const sql::TableRef& table) override;
  int UniqueKeyCount(const sql::TableRef& table) override;
  bool IsStoredFunction(std::string_view schema, std::string_view name) override;
  // Defaults, generated columns, triggers and a view's definition, in one
  // round trip per table.
  sql::TableDefinition Definition(const sql::TableRef& table) override;

  void Invalidate();

 private:
  // The first column of the first row as a number; 0 when the lookup fails
  // (the check is advisory: a lost lookup must not stop the statement).
  long QueryNumber(const std::string& sql);
  Connection* Get();

  ConnectOptions options_;
  std::optional<Connection> conn_;
  std::map<std::string, std::set<std::string>> functions_;  // schema -> lower-case names
  std::map<std::string, long> numbers_;                     // query -> answer
  std::map<std::pair<std::string, std::string>, sql::TableDefinition> definitions_;
};

}  // namespace sqlrepl::db
