// Statements whose result can differ between master and slave even with the
// replicated context (timestamp, RAND seeds, INSERT_ID, LAST_INSERT_ID).
// The master warns about them, or refuses them (UNSAFE_STATEMENTS=refuse).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/classifier.hpp"

namespace sqlrepl::sql {

// What the server runs, beyond a statement's own text, when the statement
// writes a table or a view: expressions and bodies as the catalog holds
// them (information_schema), judged by the same rules as the statement.
struct TableDefinition {
  struct Column {
    std::string name;
    std::string expression;  // COLUMN_DEFAULT or GENERATION_EXPRESSION
    bool invisible = false;  // INVISIBLE: an INSERT without a column list leaves it out
  };
  struct Trigger {
    std::string name;
    std::string event;     // INSERT, UPDATE or DELETE
    std::string body;      // ACTION_STATEMENT
    std::string sql_mode;  // it was created under, and its body is read under
    // The catalog shows the trigger but not its body (ACTION_STATEMENT is
    // NULL to an account without the TRIGGER privilege): what it runs is unknown.
    bool hidden = false;
  };
  std::vector<Column> defaults;   // every column that has a default
  std::vector<Column> generated;  // generated columns, VIRTUAL or STORED
  std::vector<Trigger> triggers;
  // Set when the name is a view; empty when the account may not read it
  // (without SHOW VIEW the server shows ''): what it runs is unknown.
  std::optional<std::string> view_definition;
};

// Facts about tables and routines that some checks need. Names arrive with
// the schema resolved.
class SchemaInfo {
 public:
  virtual ~SchemaInfo() = default;
  virtual bool HasAutoIncrement(const TableRef& table) = 0;
  virtual int UniqueKeyCount(const TableRef& table) = 0;  // primary key included
  virtual bool IsStoredFunction(std::string_view schema, std::string_view name) = 0;
  // Empty for a table the catalog does not know.
  virtual TableDefinition Definition(const TableRef& table) = 0;
};

// One reason per unsafe construct, e.g. "UUID() gives a different value on
// each server", or "trigger school.t_bi: UUID() gives ..." for one that a
// written table's default, generated column or trigger, or a written
// view's definition, calls; a trigger or view whose text the account
// cannot read is unknown, and flagged as such. Empty when the statement is safe or not
// replicated as text (reads, DDL, ...). `schema` may be null: the checks
// that need it are skipped.
std::vector<std::string> FindNondeterminism(std::string_view statement, const Classification& c,
                                            std::string_view current_database, SchemaInfo* schema);

// Whether running a statement of kind `kind` may have changed the catalog
// that SchemaInfo answers from (then its cache is dropped): DDL, and what
// may run DDL out of sight (dynamic SQL, CALL, compound statements, and
// statements the classifier does not know). Whatever the statement's
// result: a DDL whose answer was lost may have run.
bool MayChangeCatalog(StatementKind kind);

}  // namespace sqlrepl::sql
