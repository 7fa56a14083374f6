// What the slave runs to load a snapshot, built by the slave itself
// (docs/provisioning.md "Over the replication link"): the one statement it
// takes from the master, a table's CREATE TABLE, is checked first; rows
// arrive as values and become INSERTs in which no byte of a value can be
// read as SQL. Pure: no connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "protocol/messages.hpp"

namespace sqlrepl::provision {

// Ok when `sql` is one CREATE TABLE statement of `table` (a plain name:
// the slave runs it in DB_NAME) that copies no other table (LIKE, bare or
// in parentheses, SELECT), places no file (DATA/INDEX DIRECTORY) and whose
// engine is InnoDB.
// Otherwise kInvalidArgument saying what it found.
Status CheckCreateTable(std::string_view sql, std::string_view table);

// `value` as _binary X'...': a string of exactly these bytes, whatever the
// session's sql_mode or character set; the column converts it as it would
// the text the master's server returned.
std::string BinaryLiteral(std::string_view value);

// INSERT INTO `table` (`columns`...) VALUES (...), (...): the rows cut into
// statements of at most about `max_bytes` each (a longer row is a statement
// of its own). kCorruption when a row does not have one value per column.
Result<std::vector<std::string>> BuildInserts(std::string_view table,
                                              const std::vector<std::string>& columns,
                                              const std::vector<protocol::SnapshotRow>& rows,
                                              size_t max_bytes);

}  // namespace sqlrepl::provision
