#include "provision/loader.hpp"

#include <fmt/format.h>

#include "provision/load_sql.hpp"
#include "replication/slave_position.hpp"

namespace sqlrepl::provision {

namespace {

Status OutOfOrder(protocol::MessageType type) {
  return Status::Corruption(
      fmt::format("provisioning: a {} message out of order", protocol::MessageTypeName(type)));
}

}  // namespace

Status PrepareLoadSession(db::Session* session) {
  for (const char* sql :
       {"SET SESSION time_zone = '+00:00'", "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
        "SET SESSION foreign_key_checks = 0", "SET SESSION unique_checks = 0"}) {
    if (Status s = session->Run(sql); !s.ok()) return s;
  }
  return Status::Ok();
}

SnapshotLoader::SnapshotLoader(db::Session* session, Options options)
    : session_(session), options_(std::move(options)) {}

Status SnapshotLoader::Take(protocol::MessageType type, std::string_view payload) {
  using protocol::MessageType;
  const bool expected =
      (state_ == State::kWaitingBegin && type == MessageType::kSnapshotBegin) ||
      (state_ == State::kLoading &&
       (type == MessageType::kSnapshotTable || type == MessageType::kSnapshotEnd ||
        (type == MessageType::kSnapshotRows && have_table_)));
  Status s = OutOfOrder(type);
  if (expected) {
    switch (type) {
      case MessageType::kSnapshotBegin:
        s = Begin(payload);
        break;
      case MessageType::kSnapshotTable:
        s = Table(payload);
        break;
      case MessageType::kSnapshotRows:
        s = Rows(payload);
        break;
      default:
        s = End(payload);
        break;
    }
  }
  if (!s.ok()) state_ = State::kFailed;
  return s;
}

Status SnapshotLoader::Begin(std::string_view payload) {
  if (Status s = protocol::Decode(payload, &begin_); !s.ok()) return s;
  if (begin_.database != options_.database) {
    // The slave loads into its own DB_NAME; a different name means the two
    // ends disagree about what is replicated.
    return Status::FailedPrecondition(
        fmt::format("the master replicates database '{}', this slave's DB_NAME is '{}'",
                    begin_.database, options_.database));
  }
  state_ = State::kLoading;
  return Status::Ok();
}

Status SnapshotLoader::Table(std::string_view payload) {
  protocol::SnapshotTable t;
  if (Status s = protocol::Decode(payload, &t); !s.ok()) return s;
  if (Status s = CheckCreateTable(t.create_sql, t.name); !s.ok()) return s;
  if (Status s = session_->Run(t.create_sql); !s.ok()) return s;
  table_ = std::move(t);
  have_table_ = true;
  ++tables_;
  return Status::Ok();
}

Status SnapshotLoader::Rows(std::string_view payload) {
  protocol::SnapshotRows rows;
  if (Status s = protocol::Decode(payload, &rows); !s.ok()) return s;
  Result<std::vector<std::string>> inserts =
      BuildInserts(table_.name, table_.columns, rows.rows, options_.max_statement_bytes);
  if (!inserts.ok()) return inserts.status();
  if (Status s = RunTransaction(*inserts); !s.ok()) return s;
  rows_ += rows.rows.size();
  for (const protocol::SnapshotRow& row : rows.rows) bytes_ += protocol::SnapshotRowBytes(row);
  return Status::Ok();
}

Status SnapshotLoader::End(std::string_view payload) {
  protocol::SnapshotEnd end;
  if (Status s = protocol::Decode(payload, &end); !s.ok()) return s;
  if (end.tables != tables_ || end.tables != begin_.table_count || end.rows != rows_) {
    return Status::Corruption(
        fmt::format("provisioning: the snapshot had {} tables and {} rows, {} and {} were loaded",
                    end.tables, end.rows, tables_, rows_));
  }
  // The position and the end of the marker together: a crash before this
  // commit leaves the marker, after it the slave follows from here.
  const std::string& meta = options_.meta_schema;
  if (Status s = RunTransaction({replication::SlavePositionSetSql(
                                     meta, session_->Quote(begin_.replication_id), begin_.position),
                                 replication::ProvisionMarkerDeleteSql(meta)});
      !s.ok()) {
    return s;
  }
  state_ = State::kFinished;
  return Status::Ok();
}

Status SnapshotLoader::RunTransaction(const std::vector<std::string>& statements) {
  if (Status s = session_->Run("START TRANSACTION"); !s.ok()) return s;
  for (const std::string& sql : statements) {
    if (Status s = session_->Run(sql); !s.ok()) {
      (void)session_->Run("ROLLBACK");
      return s;
    }
  }
  return session_->Run("COMMIT");
}

Progress SnapshotLoader::progress() const {
  Progress p;
  p.database = options_.database;
  p.rows = rows_;
  p.bytes = bytes_;
  p.bytes_estimate = begin_.bytes_estimate;
  p.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  p.finished = finished();
  return p;
}

}  // namespace sqlrepl::provision
