// Statements whose result can differ between master and slave even with the
// replicated context (timestamp, RAND seeds, INSERT_ID, LAST_INSERT_ID).
// The master warns about them, or refuses them (UNSAFE_STATEMENTS=refuse).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sql/classifier.hpp"

namespace sqlrepl::sql {

// Facts about tables and routines that some checks need. Names arrive with
// the schema resolved.
class SchemaInfo {
 public:
  virtual ~SchemaInfo() = default;
  virtual bool HasAutoIncrement(const TableRef& table) = 0;
  virtual int UniqueKeyCount(const TableRef& table) = 0;  // primary key included
  virtual bool IsStoredFunction(std::string_view schema, std::string_view name) = 0;
};

// One reason per unsafe construct, e.g. "UUID() gives a different value on
// each server". Empty when the statement is safe or not replicated as text
// (reads, DDL, ...). `schema` may be null: the checks that need it are skipped.
std::vector<std::string> FindNondeterminism(std::string_view statement, const Classification& c,
                                            std::string_view current_database, SchemaInfo* schema);

}  // namespace sqlrepl::sql
