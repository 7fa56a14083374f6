// Output in the style of the mysql client, as pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "db/query_result.hpp"

namespace sqlrepl::console {

// Columns a string takes in a terminal: UTF-8 aware, East Asian wide
// characters count two, combining marks zero. Invalid bytes count one each.
size_t DisplayWidth(std::string_view utf8);

// +----+------+
// | id | name |
// +----+------+
// |  1 | Ali  |
// +----+------+
// Numeric columns are right-aligned; NULL is shown as NULL.
std::string FormatTable(const db::QueryResult& result);

// *************************** 1. row ***************************
//   id: 1
// name: Ali
std::string FormatVertical(const db::QueryResult& result);

// The mysql client's batch format (-B): one line per row, fields separated
// by tabs, column names first when `column_names`. NULL is "NULL".
std::string FormatTabSeparated(const db::QueryResult& result, bool column_names);

// A field as -B writes it: NUL, tab, newline and backslash become \0, \t,
// \n and \\, so that every row stays on one line.
std::string EscapeBatchField(std::string_view field);

// "Warning (Code 1265): Data truncated for column 'name' at row 1", one
// line each, as the mysql client prints them with \W.
std::string FormatWarnings(const std::vector<db::Warning>& warnings);

// "(0.00 sec)", "(1 min 2.50 sec)"
std::string FormatElapsed(double seconds);

// The line after a statement: "3 rows in set (0.00 sec)", "Empty set (0.00 sec)",
// "Query OK, 1 row affected, 2 warnings (0.01 sec)", followed by the server's
// info line ("Records: 3  Duplicates: 0  Warnings: 0") when there is one.
std::string FormatSummary(const db::QueryResult& result, double seconds);

}  // namespace sqlrepl::console
