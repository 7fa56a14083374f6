// The slave's stored position, META_SCHEMA.slave_position: one row (id 1)
// with the replication id and the last event applied. Defined once here,
// with every statement that reads or writes it: the slave creates it when
// missing, and `slave --setup` (app/setup), which scripts/cluster.sh runs,
// creates it with the same statement.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.hpp"
#include "base/strings.hpp"
#include "db/session.hpp"

namespace sqlrepl::replication {

inline constexpr std::string_view kSlavePositionTable = "slave_position";

inline std::string SlavePositionTableDdl(std::string_view meta) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS {}.{} ("
      " id TINYINT UNSIGNED PRIMARY KEY,"
      " replication_id VARCHAR(64) NOT NULL,"
      " applied_seq BIGINT UNSIGNED NOT NULL,"
      " updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
      "   ON UPDATE CURRENT_TIMESTAMP(6)"
      ") ENGINE=InnoDB",
      QuoteName(meta), kSlavePositionTable);
}

// The row a new slave starts from: no log followed, nothing applied. Kept
// when it exists.
inline std::string SlavePositionInitSql(std::string_view meta) {
  return fmt::format("INSERT IGNORE INTO {}.{} (id, replication_id, applied_seq) VALUES (1, '', 0)",
                     QuoteName(meta), kSlavePositionTable);
}

inline std::string SlavePositionSelectSql(std::string_view meta) {
  return fmt::format("SELECT replication_id, applied_seq FROM {}.{} WHERE id = 1", QuoteName(meta),
                     kSlavePositionTable);
}

// `quoted_replication_id` is a string literal, quoted by the session that
// runs the statement.
inline std::string SlavePositionUpdateSql(std::string_view meta,
                                          std::string_view quoted_replication_id, uint64_t seq) {
  return fmt::format("UPDATE {}.{} SET replication_id = {}, applied_seq = {} WHERE id = 1",
                     QuoteName(meta), kSlavePositionTable, quoted_replication_id, seq);
}

// Sets the position outright (a provisioning's end), whether or not row 1
// exists yet.
inline std::string SlavePositionSetSql(std::string_view meta,
                                       std::string_view quoted_replication_id, uint64_t seq) {
  return fmt::format(
      "INSERT INTO {0}.{1} (id, replication_id, applied_seq) VALUES (1, {2}, {3}) "
      "ON DUPLICATE KEY UPDATE replication_id = {2}, applied_seq = {3}",
      QuoteName(meta), kSlavePositionTable, quoted_replication_id, seq);
}

// The marker of a provisioning that has not finished (docs/provisioning.md):
// row 2 of the same table, so that the slave's account needs no other
// privilege to see it. `slave --provision` writes it before it changes
// anything and deletes it in the transaction that sets row 1; a slave
// refuses to start while it is there.
inline std::string ProvisionMarkerInsertSql(std::string_view meta) {
  return fmt::format(
      "INSERT INTO {}.{} (id, replication_id, applied_seq) VALUES (2, 'provisioning', 0) "
      "ON DUPLICATE KEY UPDATE replication_id = 'provisioning'",
      QuoteName(meta), kSlavePositionTable);
}

inline std::string ProvisionMarkerSelectSql(std::string_view meta) {
  return fmt::format("SELECT COUNT(*) FROM {}.{} WHERE id = 2", QuoteName(meta),
                     kSlavePositionTable);
}

// Whether the marker is there: the one reading of it, for the slave's start
// and for `slave --provision`.
inline Result<bool> ProvisioningUnfinished(db::Session* conn, std::string_view meta) {
  Result<db::QueryResult> count = conn->Execute(ProvisionMarkerSelectSql(meta));
  if (!count.ok()) return count.status();
  if (count->rows.empty() || count->rows[0].empty() || !count->rows[0][0]) {
    return Status::Corruption("the provisioning marker's count came back empty");
  }
  return *count->rows[0][0] != "0";
}

inline std::string ProvisionMarkerDeleteSql(std::string_view meta) {
  return fmt::format("DELETE FROM {}.{} WHERE id = 2", QuoteName(meta), kSlavePositionTable);
}

}  // namespace sqlrepl::replication
