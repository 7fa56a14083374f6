// The slave's stored position, META_SCHEMA.slave_position: one row (id 1)
// with the replication id and the last event applied. Defined once here:
// the slave creates it when missing, and the setup step an administrator
// runs (app/grants) prints the same statement. scripts/cluster.sh spells it
// out for the demo; a unit test keeps that copy equal.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "base/strings.hpp"

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

}  // namespace sqlrepl::replication
