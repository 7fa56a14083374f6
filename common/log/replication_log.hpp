// The master's replication log: a table in META_SCHEMA, appended to in the
// same transaction as the write it records (a transactional outbox), so
// that a committed write is always in the log and a logged write always
// committed.
//
//   META_SCHEMA.log_info (id = 1, replication_id)    -- created with the log
//   META_SCHEMA.log (seq PRIMARY KEY, committed_at, event)  -- event: replication/event.hpp
//
// One master process writes the log (a named lock guards it); sequence
// numbers are gap-free because a number is used only when its transaction
// commits.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "db/session.hpp"
#include "log/log_head.hpp"
#include "replication/event.hpp"
#include "replication/log_bounds.hpp"

namespace sqlrepl::log {

// The master's own COMMIT: it ends the transaction whatever completion_type
// the user set in the session (CHAIN would open another one, RELEASE would
// close the session).
inline constexpr std::string_view kOwnCommit = "COMMIT AND NO CHAIN NO RELEASE";

class ReplicationLog {
 public:
  // Creates the schema, tables and replication id when missing, takes the
  // single-writer lock on `conn` and reads the log's bounds, once.
  // kFailedPrecondition when another master holds the lock.
  // `previous_holder`: the server's id of this master's session that held
  // the lock before its connection was lost; if it still does, the lock is
  // waited for (up to kPreviousHolderWaitSeconds) while it ends.
  static Result<ReplicationLog> Open(db::Session* conn, const std::string& meta_schema,
                                     unsigned long previous_holder = 0);
  static constexpr int kPreviousHolderWaitSeconds = 10;

  const std::string& replication_id() const { return replication_id_; }
  uint64_t last_seq() const { return head_->last_seq(); }
  // The oldest event in the log when it was opened; the purger moves it
  // later and tells the server, not the log.
  uint64_t first_seq_at_open() const { return first_seq_at_open_; }
  // The one owner of the last sequence number, for readers on other threads
  // (the server's). Lives as long as this log, wherever the log is moved.
  const LogHead* head() const { return head_.get(); }

  // Gives `event` the next sequence number and writes it, inside the
  // transaction open on `conn`. `restage`: this transaction wrote the row
  // already and it grew since, so the row is replaced; otherwise a row with
  // that number is an error, never overwritten. Returns the encoded event.
  // Until MarkCommitted() the number may be handed out again.
  Result<std::string> Append(db::Session* conn, replication::Event* event, bool restage = false);
  // Append(), then `commit`, in one round trip: one compound statement,
  // which stops at the first error, so the transaction never commits without
  // its row. On an error the transaction may still be open: roll it back.
  Result<std::string> AppendAndCommit(db::Session* conn, replication::Event* event,
                                      bool restage = false, std::string_view commit = kOwnCommit);
  // For a write sent in the same round trip as its statement, which takes
  // the event's number from here. The batch, on one session:
  //   SET <context>, <arm>         the context, and proof that it was set
  //   START TRANSACTION
  //   the statement
  //   SHOW WARNINGS                its warnings; keeps its diagnostics
  //   <check>                      a marker := `nonce`, if no error
  //   <commit>                     the log row and COMMIT if the marker says so
  // The diagnostics are read by <check>, since a compound statement that
  // writes a table clears them before it starts. `nonce` (random, not 0)
  // keeps a marker left by an interrupted batch from passing for this one's.
  // <commit> stops at its first error, so on an error the transaction is
  // still open; it also fails when <check> did not run. It succeeds without
  // logging when the statement or the context failed: the caller, which
  // sees those answers, rolls back then.
  struct GuardedCommit {
    std::string arm;  // an assignment to add to the context's SET
    std::string check;
    std::string commit;
    std::string encoded;  // the event as logged
  };
  Result<GuardedCommit> PrepareGuardedCommit(db::Session* conn, replication::Event* event,
                                             uint64_t nonce) const;
  // Whether event `seq` is committed, as seen from `other`, a session that
  // does not hold the writer's transaction.
  Result<bool> IsCommitted(db::Session* other, uint64_t seq) const;
  void MarkCommitted(uint64_t seq) { head_->Advance(seq); }

  // Encoded events with seq >= from_seq, in order, at most max_events and
  // about max_bytes. Any connection may be used (the catch-up reader's).
  static Result<std::vector<std::string>> ReadFrom(db::Session* conn,
                                                   const std::string& meta_schema,
                                                   uint64_t from_seq, size_t max_events,
                                                   size_t max_bytes);
  static Result<replication::LogBounds> ReadBounds(db::Session* conn,
                                                   const std::string& meta_schema);

 private:
  ReplicationLog(std::string meta_schema, const replication::LogBounds& bounds)
      : meta_schema_(std::move(meta_schema)),
        replication_id_(bounds.replication_id),
        first_seq_at_open_(bounds.first_seq),
        head_(std::make_unique<LogHead>(bounds.last_seq)) {}

  std::string InsertSql(db::Session* conn, uint64_t seq, const std::string& encoded,
                        bool restage) const;

  std::string meta_schema_;
  std::string replication_id_;
  uint64_t first_seq_at_open_ = 1;
  std::unique_ptr<LogHead> head_;  // on the heap: its address outlives moves of the log
};

}  // namespace sqlrepl::log
