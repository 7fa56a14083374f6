#include "feed/snapshot_reader.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"
#include "log/replication_log.hpp"
#include "protocol/messages.hpp"

namespace sqlrepl::feed {

namespace {

struct TableFacts {
  std::string name;
  uint64_t rows_estimate = 0;
  uint64_t bytes_estimate = 0;
};

// The first column of every row of `sql`.
Result<std::vector<std::string>> Column(db::Connection* conn, const std::string& sql) {
  Result<db::QueryResult> r = conn->Execute(sql);
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (const db::Row& row : r->rows) out.push_back(row.empty() ? "" : row[0].value_or(""));
  return out;
}

// Step 2: the base tables to copy, and what is not copied.
Status ListTables(db::Connection* conn, const std::string& database,
                  std::vector<TableFacts>* tables, protocol::SnapshotBegin* begin) {
  const std::string db = conn->Quote(database);
  Result<db::QueryResult> r = conn->Execute(
      "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH FROM "
      "information_schema.TABLES WHERE TABLE_SCHEMA = " +
      db + " ORDER BY TABLE_NAME");
  if (!r.ok()) return r.status();
  std::vector<std::string> untransactional;
  for (const db::Row& row : r->rows) {
    const std::string name = row[0].value_or("");
    if (row[1].value_or("") != "BASE TABLE") {
      begin->not_copied.push_back("view " + QuoteName(name));
      continue;
    }
    const std::string engine = row[2].value_or("");
    if (!EqualsIgnoreCase(engine, "InnoDB")) {
      untransactional.push_back(fmt::format("{} ({})", QuoteName(name), engine));
      continue;
    }
    const uint64_t rows = ToU64(row[3].value_or(""));
    const uint64_t bytes = ToU64(row[4].value_or(""));
    tables->push_back({name, rows, bytes});
    begin->rows_estimate += rows;
    begin->bytes_estimate += bytes;
  }
  if (!untransactional.empty()) {
    const std::string names = JoinComma(untransactional);
    return Status::FailedPrecondition(fmt::format(
        "cannot copy {} consistently: not transactional: {}; convert them (ALTER TABLE ... "
        "ENGINE=InnoDB) and provision again",
        QuoteName(database), names));
  }
  const std::pair<const char*, std::string> others[] = {
      {"trigger", "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "},
      {"routine", "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "},
      {"event", "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = "}};
  for (const auto& [kind, sql] : others) {
    Result<std::vector<std::string>> names = Column(conn, sql + db + " ORDER BY 1");
    if (!names.ok()) return names.status();
    for (const std::string& n : *names)
      begin->not_copied.push_back(std::string(kind) + " " + QuoteName(n));
  }
  begin->table_count = static_cast<uint32_t>(tables->size());
  return Status::Ok();
}

// Step 3 for one table: its definition, then its rows in frames.
Status SendTable(db::Connection* conn, const SnapshotOptions& options, const TableFacts& table,
                 const SnapshotSend& send, protocol::SnapshotEnd* totals) {
  const std::string qualified = QuoteName(options.database) + "." + QuoteName(table.name);
  Result<db::QueryResult> create = conn->Execute("SHOW CREATE TABLE " + qualified);
  if (!create.ok()) return create.status();
  protocol::SnapshotTable t{table.name, "", table.rows_estimate, table.bytes_estimate, {}};
  if (!create->rows.empty() && create->rows[0].size() > 1)
    t.create_sql = create->rows[0][1].value_or("");
  Result<std::vector<std::string>> columns = Column(
      conn, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                conn->Quote(options.database) + " AND TABLE_NAME = " + conn->Quote(table.name) +
                " AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION");
  if (!columns.ok()) return columns.status();
  t.columns = std::move(columns).value();
  if (!send(protocol::MessageType::kSnapshotTable, protocol::Encode(t))) {
    return Status::Unavailable("the receiver of the snapshot is gone");
  }
  ++totals->tables;
  std::string select = "SELECT ";
  for (size_t i = 0; i < t.columns.size(); ++i) select += (i ? ", " : "") + QuoteName(t.columns[i]);
  select += " FROM " + qualified;
  protocol::SnapshotRows frame;
  size_t frame_bytes = 0;
  bool gone = false;
  auto flush = [&] {
    if (frame.rows.empty()) return true;
    const bool sent = send(protocol::MessageType::kSnapshotRows, protocol::Encode(frame));
    frame.rows.clear();
    frame_bytes = 0;
    return sent;
  };
  Status s = conn->StreamRows(select, [&](const db::Row& row) {
    const uint64_t bytes = protocol::SnapshotRowBytes(row);
    if (frame_bytes > 0 && frame_bytes + bytes > options.max_frame_bytes && !flush()) {
      gone = true;
      return false;
    }
    frame.rows.push_back(row);
    frame_bytes += bytes;
    ++totals->rows;
    totals->bytes += bytes;
    return true;
  });
  if (gone) return Status::Unavailable("the receiver of the snapshot is gone");
  if (!s.ok()) return s;
  if (!flush()) return Status::Unavailable("the receiver of the snapshot is gone");
  return Status::Ok();
}

}  // namespace

Status ReadSnapshot(db::Connection* conn, const SnapshotOptions& options,
                    const SnapshotSend& send) {
  // Exact bytes of every value, TIMESTAMPs in UTC (the loader's session
  // reads them back in UTC); no timeout while `send` pushes back.
  for (const char* sql : {"SET NAMES binary", "SET SESSION time_zone = '+00:00'",
                          "SET SESSION net_write_timeout = 31536000",
                          "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                          "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"}) {
    if (Status s = conn->Run(sql); !s.ok()) return s;
  }
  // Step 1. A log row commits with its data: the snapshot holds exactly
  // the events up to the highest sequence number it sees.
  protocol::SnapshotBegin begin;
  begin.database = options.database;
  Result<replication::LogBounds> bounds =
      log::ReplicationLog::ReadBounds(conn, options.meta_schema);
  if (!bounds.ok()) return bounds.status();
  begin.replication_id = bounds->replication_id;
  begin.position = bounds->last_seq;
  std::vector<TableFacts> tables;
  if (Status s = ListTables(conn, options.database, &tables, &begin); !s.ok()) return s;
  if (!send(protocol::MessageType::kSnapshotBegin, protocol::Encode(begin))) {
    return Status::Unavailable("the receiver of the snapshot is gone");
  }
  protocol::SnapshotEnd totals;
  for (const TableFacts& table : tables) {
    if (Status s = SendTable(conn, options, table, send, &totals); !s.ok()) return s;
  }
  if (Status s = conn->Run("COMMIT"); !s.ok()) return s;
  if (!send(protocol::MessageType::kSnapshotEnd, protocol::Encode(totals))) {
    return Status::Unavailable("the receiver of the snapshot is gone");
  }
  return Status::Ok();
}

}  // namespace sqlrepl::feed
