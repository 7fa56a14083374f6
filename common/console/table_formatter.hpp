// Output in the style of the mysql client, as pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
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

// "(0.001 sec)", "(1 min 2.500 sec)"
std::string FormatElapsed(double seconds);

// The line after a statement: "3 rows in set (0.000 sec)", "Empty set (0.000 sec)",
// "Query OK, 1 row affected, 2 warnings (0.012 sec)", followed by the server's
// info line ("Records: 3  Duplicates: 0  Warnings: 0") when there is one.
std::string FormatSummary(const db::QueryResult& result, double seconds);

// How a statement's results are shown: as a table, vertically (\G) or
// tab-separated (-s, -B), and with or without the summary lines.
struct ResultStyle {
  bool vertical = false;
  bool tab_separated = false;
  bool column_names = true;  // tab-separated only
  bool summaries = true;
};

// Every result set of a statement (a CALL has several), each followed by
// its summary line, a blank line between them: what both prompts print.
std::string FormatResults(const db::QueryResult& result, const ResultStyle& style, double seconds);

// An error as the mysql client prints it: "ERROR 1146 (42S02): ..." for
// the server's, "ERROR: ..." for ours; a script's (`line` > 0) names its
// line after the code.
std::string ErrorText(const Status& error, int line = 0);

// What a prompt says when it finds its session lost, and once it has a
// new one (as the mysql client): "Connection id:    7\nCurrent database: school\n".
inline constexpr std::string_view kReconnecting = "No connection. Trying to reconnect...";
std::string ReconnectedText(unsigned long thread_id, std::string_view database);

}  // namespace sqlrepl::console
