#include "log/replication_log.hpp"

#include <fmt/format.h>

#include "base/strings.hpp"
#include "db/connection.hpp"  // kParseError
#include "protocol/frame.hpp"

namespace sqlrepl::log {

Result<replication::LogBounds> ReplicationLog::ReadBounds(db::Session* conn,
                                                          const std::string& meta) {
  Result<db::QueryResult> id =
      conn->Execute(fmt::format("SELECT replication_id FROM `{}`.log_info WHERE id = 1", meta));
  if (!id.ok()) return id.status();
  if (id->rows.empty() || !id->rows[0][0]) {
    return Status::FailedPrecondition(fmt::format("`{}`.log_info holds no replication id", meta));
  }
  Result<db::QueryResult> r =
      conn->Execute(fmt::format("SELECT MIN(seq), MAX(seq) FROM `{}`.log", meta));
  if (!r.ok()) return r.status();
  replication::LogBounds b;
  b.replication_id = *id->rows[0][0];
  b.last_seq = ToU64(r->rows[0][1].value_or(""));
  b.first_seq = r->rows[0][0] ? ToU64(*r->rows[0][0]) : b.last_seq + 1;
  return b;
}

Result<ReplicationLog> ReplicationLog::Open(db::Session* conn, const std::string& meta,
                                            unsigned long previous_holder) {
  // A session of ours that was lost may still hold the lock for a moment
  // (a killed session ends when its thread notices): wait for that one, in
  // the server, but never for another master's.
  const std::string name = fmt::format("'sqlrepl-master:{}'", meta);
  Result<db::QueryResult> lock = conn->Execute(
      previous_holder == 0
          ? fmt::format("SELECT GET_LOCK({}, 0)", name)
          : fmt::format(
                "SELECT IF(IS_USED_LOCK({0}) <=> {1}, GET_LOCK({0}, {2}), GET_LOCK({0}, 0))", name,
                previous_holder, kPreviousHolderWaitSeconds));
  if (!lock.ok()) return lock.status();
  if (lock->rows.empty() || !lock->rows[0][0] || *lock->rows[0][0] != "1") {
    return Status::FailedPrecondition(
        "another master is already running on this database (it holds the replication log lock)");
  }
  for (const std::string& sql : {
           fmt::format("CREATE DATABASE IF NOT EXISTS `{}`", meta),
           fmt::format("CREATE TABLE IF NOT EXISTS `{}`.log_info ("
                       " id TINYINT UNSIGNED PRIMARY KEY,"
                       " replication_id VARCHAR(64) NOT NULL,"
                       " created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                       ") ENGINE=InnoDB",
                       meta),
           fmt::format("CREATE TABLE IF NOT EXISTS `{}`.log ("
                       " seq BIGINT UNSIGNED PRIMARY KEY,"
                       " committed_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
                       " event LONGBLOB NOT NULL"
                       ") ENGINE=InnoDB",
                       meta),
           fmt::format("INSERT IGNORE INTO `{}`.log_info (id, replication_id) VALUES (1, '{}')",
                       meta, replication::NewReplicationId()),
       }) {
    Status s = conn->Run(sql);
    if (!s.ok()) return s;
  }
  Result<replication::LogBounds> bounds = ReadBounds(conn, meta);
  if (!bounds.ok()) return bounds.status();
  return ReplicationLog(meta, *bounds);
}

std::string ReplicationLog::InsertSql(db::Session* conn, uint64_t seq, const std::string& encoded,
                                      bool restage) const {
  return fmt::format(
      "INSERT INTO `{}`.log (seq, event) VALUES ({}, _binary{}){}", meta_schema_, seq,
      conn->Quote(encoded),
      restage
          ? " ON DUPLICATE KEY UPDATE event = VALUES(event), committed_at = CURRENT_TIMESTAMP(6)"
          : "");
}

Result<std::string> ReplicationLog::Append(db::Session* conn, replication::Event* event,
                                           bool restage) {
  event->seq = last_seq() + 1;
  std::string encoded = replication::EncodeEvent(*event);
  // Before the commit: a committed event that no frame can carry would
  // stall every slave for good.
  Status s = protocol::CheckEventSize(encoded.size());
  if (!s.ok()) return s;
  s = conn->Run(InsertSql(conn, event->seq, encoded, restage));
  if (!s.ok()) return s;
  return encoded;
}

Result<std::string> ReplicationLog::AppendAndCommit(db::Session* conn, replication::Event* event,
                                                    bool restage, std::string_view commit) {
  event->seq = last_seq() + 1;
  std::string encoded = replication::EncodeEvent(*event);
  Status s = protocol::CheckEventSize(encoded.size());  // as in Append()
  if (!s.ok()) return s;
  s = conn->Run(fmt::format("BEGIN NOT ATOMIC {}; {}; END",
                            InsertSql(conn, event->seq, encoded, restage), commit));
  if (s.sql_errno() == db::kParseError) {
    // A session sql_mode with another block syntax (ORACLE): nothing ran.
    s = conn->Run(InsertSql(conn, event->seq, encoded, restage));
    if (s.ok()) s = conn->Run(commit);
  }
  if (!s.ok()) return s;
  return encoded;
}

Result<ReplicationLog::GuardedCommit> ReplicationLog::PrepareGuardedCommit(
    db::Session* conn, replication::Event* event, uint64_t nonce) const {
  // A user variable of the master's session, named so as not to meet the user's.
  constexpr std::string_view kMarker = "@`sqlrepl.logging`";
  event->seq = last_seq() + 1;
  GuardedCommit out;
  out.encoded = replication::EncodeEvent(*event);
  Status s = protocol::CheckEventSize(out.encoded.size());  // as in Append()
  if (!s.ok()) return s;
  out.arm = fmt::format("{} = -{}", kMarker, nonce);
  out.check =
      fmt::format("SET {0} = IF(@@error_count = 0 AND {0} <=> -{1}, {1}, NULL)", kMarker, nonce);
  // Without the check's verdict (it did not run) the block must fail, or the
  // write would pass for logged; after a failed statement it stays quiet,
  // leaving that statement's error as the session's last word.
  out.commit = fmt::format(
      "BEGIN NOT ATOMIC "
      "IF {0} <=> {1} THEN SET {0} = NULL; {2}; {3}; "
      "ELSEIF {0} IS NOT NULL THEN SET {0} = NULL; "
      "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'sqlrepl: not logged, the check before it did "
      "not run'; "
      "END IF; END",
      kMarker, nonce, InsertSql(conn, event->seq, out.encoded, /*restage=*/false), kOwnCommit);
  return out;
}

Result<bool> ReplicationLog::IsCommitted(db::Session* other, uint64_t seq) const {
  Result<db::QueryResult> r = other->Execute(
      fmt::format("SELECT COUNT(*) FROM `{}`.log WHERE seq = {}", meta_schema_, seq));
  if (!r.ok()) return r.status();
  return !r->rows.empty() && r->rows[0][0] && *r->rows[0][0] != "0";
}

Result<std::vector<std::string>> ReplicationLog::ReadFrom(db::Session* conn,
                                                          const std::string& meta,
                                                          uint64_t from_seq, size_t max_events,
                                                          size_t max_bytes) {
  Result<db::QueryResult> r =
      conn->Execute(fmt::format("SELECT event FROM `{}`.log WHERE seq >= {} ORDER BY seq LIMIT {}",
                                meta, from_seq, max_events));
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  size_t bytes = 0;
  for (db::Row& row : r->rows) {
    if (!row[0]) continue;
    bytes += row[0]->size();
    out.push_back(std::move(*row[0]));
    if (bytes >= max_bytes) break;
  }
  return out;
}

}  // namespace sqlrepl::log
