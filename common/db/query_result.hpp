// The outcome of one statement, copied out of libmysqlclient so that no C
// pointer escapes db/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sqlrepl::db {

// What a column's values are, as the server typed them.
enum class ValueKind { kInteger, kDecimal, kReal, kString };

struct Column {
  Column() = default;
  Column(std::string n, bool is_numeric, ValueKind k = ValueKind::kString, std::string cs = "")
      : name(std::move(n)), numeric(is_numeric), kind(k), charset(std::move(cs)) {}

  std::string name;
  bool numeric = false;  // right-aligned in tables, as the mysql client does
  ValueKind kind = ValueKind::kString;
  std::string charset;   // of a string column: "utf8mb4", "binary", ...; empty for dates and times
};

using Cell = std::optional<std::string>;  // nullopt is SQL NULL, distinct from ""
using Row = std::vector<Cell>;

// One note the server attached to a statement (SHOW WARNINGS).
struct Warning {
  std::string level;  // "Note", "Warning" or "Error"
  unsigned code = 0;
  std::string message;
};

struct QueryResult {
  bool has_result_set = false;  // SELECT-like: columns and rows are meaningful
  std::vector<Column> columns;
  std::vector<Row> rows;
  uint64_t affected_rows = 0;
  uint64_t insert_id = 0;
  unsigned warning_count = 0;
  unsigned server_status = 0;  // SERVER_STATUS_* flags after the statement
  std::string info;            // e.g. "Rows matched: 1  Changed: 1  Warnings: 0"
  // Read right after the statement when the connection captures warnings
  // (Connection::set_capture_warnings), before anything else can clear them.
  std::vector<Warning> warnings;
  // The result sets after the first, in order (a CALL's SELECTs and its
  // final status); each may carry its own rows or counts.
  std::vector<QueryResult> more_results;

  bool in_transaction() const;
  bool autocommit() const;
};

}  // namespace sqlrepl::db
