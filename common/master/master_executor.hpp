// The master's write path: runs each statement on the master's connection
// and records what changed state in the replication log, in the same
// transaction (docs/replication.md, "The write path").
//
//   autocommit write:  [SET context; START TRANSACTION; statement] [log row + COMMIT]; publish
//                      (two round trips, each [..] sent at once)
//   in a transaction:  [SET context; statement] -> kept; at COMMIT: log row; COMMIT; publish
//   DDL and other statements that commit by themselves: statement; then the
//   log row in a transaction of its own (slaves refuse them, visibly)
//
// Each logged statement carries its context: timestamp, RAND seeds,
// insert_id, LAST_INSERT_ID, the carried session variables and the user
// variables it reads (replication/session_context.hpp). Session statements
// (SET, SET NAMES, SELECT ... INTO @v) are run, never logged.
//
// An implicit commit (DDL, BEGIN, SET autocommit = 1, LOCK TABLES, ...)
// first commits the open transaction's event; where the classifier cannot
// know (CALL, EXECUTE IMMEDIATE), the server's transaction status and the
// staged log row say what committed. ROLLBACK ships nothing, ROLLBACK TO
// SAVEPOINT drops what followed the savepoint, and a transaction the server
// rolls back by itself (deadlock) ships nothing either.
// Reads are not logged. Not thread-safe: one thread at a time, the one that
// holds the write path (the prompt's, or an HTTP worker's for /api/sql).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/defaults.hpp"
#include "db/schema_catalog.hpp"
#include "db/session.hpp"
#include "feed/event_sink.hpp"
#include "log/replication_log.hpp"
#include "master/log_wait.hpp"
#include "master/reconnect_rules.hpp"
#include "master/transaction_state.hpp"
#include "master/write_notes.hpp"
#include "replication/event.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::master {

struct Executed {
  // kSqlError from the server; kFailedPrecondition when the master refused
  // to run it (XA, a write to META_SCHEMA, UNSAFE_STATEMENTS=refuse).
  Result<db::QueryResult> result = Status::InvalidArgument("not executed");
  std::vector<std::string> unsafe;  // why slaves may differ (said before the result)
  std::vector<uint64_t> committed;  // events this statement committed, in order
  std::vector<Note> notes;          // said to the user after the result
  // The session was lost: `lost` is the error that showed it, and
  // `reconnect_notes` what reconnecting said, both before the result.
  std::optional<Status> lost;
  std::vector<Note> reconnect_notes;
  // Set when the result's error is one the master explains (a statement
  // that lost the session and was not run again): the user reads the text
  // of this note (console::ShownError), not the error's own.
  std::optional<Note> error_note;
};

class MasterExecutor {
 public:
  // `conn` runs the statements. `probe` is a second session on the same
  // server, used to see whether the open transaction committed when a
  // statement may have ended it (CALL, EXECUTE IMMEDIATE, ...). Both are
  // db::Connection in the program, in-memory fakes in unit tests. All must
  // outlive the executor; `sink` may be null.
  struct Options {
    std::string meta_schema{config::kDefaultMetaSchema};
    config::UnsafePolicy unsafe = config::UnsafePolicy::kWarn;
    // Table and routine facts for the determinism checks; may be null (the
    // checks that need it are skipped). Refreshed after DDL.
    db::SchemaCatalog* catalog = nullptr;
    // Waiting for room when the server cannot take a log row (log_wait.hpp).
    LogWaitOptions log_wait{};
    // The operational log, for what no line printed to the user carries
    // (a lost session folded into the reconnection's error); may be null.
    std::function<void(const std::string&)> oplog{};
  };

  MasterExecutor(db::Session* conn, db::Session* probe, log::ReplicationLog* log,
                 feed::EventSink* sink, Options options);

  Executed Execute(std::string_view sql, const sql::Classification& c, const std::string& database);

  // Called with the server's session id while a statement typed by the user
  // runs (it may be killed then), and with 0 when it is done; never around
  // the log's own statements.
  void set_on_user_statement(std::function<void(unsigned long session_id)> f) {
    on_user_statement_ = std::move(f);
  }

  // How many Ctrl-Cs the prompt has had so far (any thread). A wait for
  // room for a log row ends at the first one that comes once the wait has
  // begun; one typed before was for the statement, or for the wait for the
  // slaves that follows a write (it stays pending for that). May be null.
  void set_interrupts(std::function<uint64_t()> count) { interrupts_ = std::move(count); }

  // The sql_mode flags statements are read under now (asks the server when
  // a statement since the last write may have changed the session).
  sql::LexMode CurrentLexMode();
  // Called on the new session after a reconnect, before anything else runs
  // on it, to take again what the replication log holds on the session (its
  // single-writer lock; `previous_session` is the server's id of the
  // session that held it). An error leaves the master unable to write: each
  // statement tries again and says why.
  using ReconnectHook = std::function<Status(db::Session* session, unsigned long previous_session)>;
  void set_on_reconnect(ReconnectHook f) { on_reconnect_ = std::move(f); }

  bool in_transaction() const { return tx_.open(); }
  size_t pending_statements() const { return tx_.pending_count(); }

 private:
  // True when `c` changes nothing a slave keeps: run, never logged.
  bool RunsOnMasterOnly(const sql::Classification& c, const std::string& database);
  static std::string TableKey(const sql::TableRef& t, const std::string& database);
  // After CREATE or DROP TEMPORARY TABLE succeeded.
  void NoteTemporaryTables(const sql::Classification& c, const std::string& database);

  // Execute() without reconnection.
  Executed ExecuteChecked(std::string_view sql, const sql::Classification& c,
                          const std::string& database);
  // Execute() once the master's own checks passed; finds out whether the
  // server rolled the open transaction back (deadlock) when a statement fails.
  Executed ExecuteClassified(std::string_view sql, const sql::Classification& c,
                             const std::string& database);
  Executed ExecuteByKind(std::string_view sql, const sql::Classification& c,
                         const std::string& database);
  // The server's transaction state after a statement's answer: an OK
  // answer carries it; an error carries none, so then the server is asked.
  struct ServerState {
    bool open = false;
    bool autocommit = true;
  };
  Result<ServerState> StateAfter(const Result<db::QueryResult>& answer);
  Result<ServerState> AskTransactionState();
  // The server holds an open transaction on the session (false when it
  // cannot be asked).
  bool TransactionOpen();
  Executed Commit(std::string_view sql);
  Executed ExecuteTransactionControl(std::string_view sql, const sql::Classification& c);
  Executed ExecuteAutocommit(std::string_view sql, const sql::Classification& c,
                             const std::string& database);
  // An UPDATE or DELETE whose context is known before it runs (it reads no
  // variable, ...) is logged and committed in the round trip that runs it.
  bool LoggedInOneTrip(std::string_view sql, const sql::Classification& c) const;
  Executed ExecuteAutocommitInOneTrip(std::string_view sql, const sql::Classification& c,
                                      const std::string& database);
  // After the one trip, once the statement and its context went through.
  Executed FinishGuardedCommit(Executed out, replication::Event event, const std::string& encoded,
                               const Status& logged, bool began);
  // The guarded commit failed without losing the session: the log says
  // whether it committed first.
  Executed AfterFailedGuardedCommit(Executed out, const replication::Event& event,
                                    const std::string& encoded, const Status& logged);
  // A COMMIT sent with `event`'s log row failed, the session still up: it
  // may have taken effect all the same (out of space as the server wrote
  // its own logs). Rolls back, then asks the log: true, committed and
  // published; false, not committed; an error while the log cannot say
  // (the write stays in doubt, the reconnection asks again).
  Result<bool> CommittedDespiteError(const replication::Event& event, const std::string& encoded,
                                     const Status& error);
  // Logs and commits `event`, the write `out` answers; if the answer to the
  // COMMIT is lost, `out`'s answer is kept with the write in doubt.
  Executed LogAndCommitAnswered(Executed out, replication::Event event);
  Executed ExecuteInTransaction(std::string_view sql, const sql::Classification& c,
                                const std::string& database);
  Executed ExecuteThenLog(std::string_view sql, const sql::Classification& c,
                          const std::string& database);
  // Writes the open transaction's event to the log inside it (if it has
  // one), where the row commits or rolls back with the data.
  Status StagePending(std::optional<replication::Event>* staged, std::string* encoded);
  // In a transaction, a statement that may end it without the classifier
  // knowing (CALL, EXECUTE IMMEDIATE, ...).
  Executed ExecuteMayEndTransaction(std::string_view sql, const sql::Classification& c,
                                    const std::string& database, bool log);
  // Logs `st`, which committed by itself, as an event of its own.
  void LogCommittedStatement(replication::EventStatement st, const std::string& database,
                             Executed* out);

  // A read (or an empty statement), with the clock given back first.
  Result<db::QueryResult> RunUserStatement(std::string_view sql);
  // Sends `batch` in one round trip while the user may kill it (see
  // set_on_user_statement).
  std::vector<Result<db::QueryResult>> RunPipelined(const std::vector<std::string>& batch);
  // Fixes timestamp and RAND seeds, then runs `sql` after them in the same
  // round trip; fills `st` with the statement and its context, insert_id
  // and LAST_INSERT_ID included. With `began`, a transaction is started
  // first and *began says whether that worked (if not, a statement that
  // succeeded has committed by itself).
  Result<db::QueryResult> RunWithContext(std::string_view sql, const sql::Classification& c,
                                         replication::EventStatement* st,
                                         bool* began);
  std::vector<std::string> ContextBatch(const sql::Classification& c,
                                        const replication::StatementContext& ctx,
                                        size_t* context_at) const;
  Status ReadContext(const std::vector<Result<db::QueryResult>>& results,
                     const sql::Classification& c, size_t context_at,
                     replication::StatementContext* ctx);
  // `sql` (redacted) with a fresh timestamp and RAND seeds.
  replication::EventStatement NewStatement(std::string_view sql, sql::LexMode mode);
  // Event `seq` committed: the log moves past it and the slaves get it.
  void Publish(uint64_t seq, const std::string& encoded);
  // Writes `event`'s log row once; with `own_commit`, commits with it.
  Result<std::string> AppendOnce(replication::Event* event, std::string_view commit_sql,
                                 bool own_commit);
  // AppendOnce(), waiting out a server resource that ran out (log_wait.hpp).
  Result<std::string> AppendWaitingForRoom(replication::Event* event, std::string_view commit_sql,
                                           bool own_commit);
  // Appends the event, commits with `commit_sql`, publishes. Returns the seq.
  Result<uint64_t> LogAndCommit(replication::Event event, std::string_view commit_sql);
  // The answer to `event`'s COMMIT was lost: it stays in doubt until the
  // log says (Reconnect()).
  void MarkInDoubt(const replication::Event& event, std::string encoded, const Status& cause);
  // Commits the open transaction's event before an implicit commit.
  Status CommitPending(Executed* out, const std::string& why);

  // --- Reconnection, as the mysql client does it (kept apart from the write
  // path above). A statement that lost the session reconnects at once, and
  // DecideAfterLoss() (reconnect_rules.hpp) says what follows.
  Executed ExecuteReconnecting(std::string_view sql, const sql::Classification& c,
                               const std::string& database);
  // The rest of ExecuteReconnecting, once a lost session was replaced
  // (`before` holds what that said).
  Executed ExecuteReconnected(std::string_view sql, const sql::Classification& c,
                              const std::string& database, Executed before);
  // What a statement that lost the session leaves for Conclude().
  struct LostSession {
    Status reconnected;                 // how reconnecting went
    size_t transaction_statements = 0;  // of the open transaction, lost with it
    std::optional<InDoubtWrite> write;  // in doubt, as it was before the reconnection
    LostStatement statement = LostStatement::kRead;
  };
  // Carries out `decision` for the statement that lost the session.
  Executed Conclude(AfterLoss decision, Executed ran, const LostSession& lost, std::string_view sql,
                    const std::string& database);
  // The write in doubt is unknown: the log could not be asked (`why`).
  Note UnknownNote(const Status& why) const;
  // Runs the statement again on the new session, read under its sql_mode.
  Executed RunAgain(Executed ran, std::string_view sql, const std::string& database);
  // Opens a new session and restores what the log and the prompt rely on:
  // the log's lock, the current database, a fresh transaction state (the
  // caller says when a transaction was lost). Then asks the log about the
  // write in doubt: `outcome` (may be null) gets what it says, kUnknown when
  // it could not be asked (an error then, and the write stays in doubt).
  Status Reconnect(const std::string& database, Executed* out,
                   std::optional<WriteOutcome>* outcome);
  // Publishes what committed before the loss and was not published yet.
  Status PublishCommittedBeforeLoss(Executed* out, std::optional<WriteOutcome>* outcome);

  db::Session* conn_;
  db::Session* probe_;
  log::ReplicationLog* log_;
  feed::EventSink* sink_;
  Options options_;
  std::mt19937_64 rng_;
  std::function<void(unsigned long)> on_user_statement_;
  ReconnectHook on_reconnect_;
  std::function<uint64_t()> interrupts_;
  unsigned long lock_session_;  // the session that holds the log's lock (its server id)
  bool lost_ = false;  // the session is gone; the next statement reconnects first
  std::optional<InDoubtWrite> in_doubt_;  // a COMMIT whose answer was lost (then lost_ too)

  TransactionState tx_;  // the transaction open on `conn_`, as far as the log goes
  bool timestamp_frozen_ = false;
  // The carried session variables as they are now on `conn_`; read again
  // (in the same round trip as the next write) after anything that may
  // have changed them.
  std::vector<replication::SessionVariable> session_;
  bool session_known_ = false;  // session_ holds the session's values as they are now
  // "schema.table" of the temporary tables this session created: writes
  // that touch only them are not logged.
  std::set<std::string> temporary_tables_;
};

}  // namespace sqlrepl::master
