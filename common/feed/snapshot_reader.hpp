// The serving side of provisioning (docs/provisioning.md): one consistent
// snapshot of DB_NAME read on a connection of its own, handed on as the
// Snapshot* messages of protocol/messages.hpp. Any node that keeps the log
// can serve it: it needs only the database and its META_SCHEMA log.
//
// Steps, all inside START TRANSACTION WITH CONSISTENT SNAPSHOT:
//   1. the replication id and the position, the highest log sequence
//      number visible in the snapshot (log::ReplicationLog::ReadBounds);
//   2. the tables, refusing non-transactional ones by name; views,
//      triggers, routines and events are listed as not copied;
//   3. SnapshotBegin; per table SHOW CREATE TABLE (SnapshotTable) and its
//      rows streamed unbuffered, in SnapshotRows of at most max_frame_bytes;
//   4. SnapshotEnd, then the transaction ends (it only read).
// Memory: one frame being filled, whatever the tables' size; `send` blocks
// to push back.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "base/status.hpp"
#include "db/connection.hpp"
#include "protocol/frame.hpp"

namespace sqlrepl::feed {

struct SnapshotOptions {
  std::string database;
  std::string meta_schema;
  size_t max_frame_bytes = 1024 * 1024;  // a SnapshotRows payload's target size
};

// Called with each message in order; may block while the receiver is slow.
// Returns false when the receiver is gone: the read stops.
using SnapshotSend = std::function<bool(protocol::MessageType, std::string payload)>;

// Reads the snapshot on `conn` (a session of its own: its settings are
// changed). kFailedPrecondition for non-transactional tables (named) or a
// log without a replication id; kUnavailable when `send` returned false;
// kSqlError from the server (1412: a table changed under the snapshot,
// try again).
Status ReadSnapshot(db::Connection* conn, const SnapshotOptions& options, const SnapshotSend& send);

}  // namespace sqlrepl::feed
