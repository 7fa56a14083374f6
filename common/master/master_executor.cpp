#include "master/master_executor.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <chrono>
#include <cstdlib>

#include "base/strings.hpp"
#include "db/connection.hpp"  // IsConnectionLost, kParseError, WarningsFrom, SERVER_STATUS_*
#include "replication/session_context.hpp"
#include "sql/determinism.hpp"
#include "sql/lexer.hpp"
#include "sql/redact.hpp"

namespace sqlrepl::master {
namespace {

using sql::StatementKind;
using sql::TransactionOp;

// The savepoint a SAVEPOINT / ROLLBACK TO / RELEASE statement names.
std::string SavepointName(std::string_view sql, sql::LexMode mode) {
  const std::vector<sql::Token> t = sql::CodeTokens(sql, mode);
  return t.empty() ? "" : AsciiLower(sql::Unquote(t.back()));
}

// Triggers and stored functions may not commit, so these statements can
// neither end nor start a transaction; anything else might (CALL, EXECUTE
// IMMEDIATE, a SET the classifier reads differently from the server).
bool CannotEndTransaction(const sql::Classification& c) {
  return c.kind == StatementKind::kDataChange || c.kind == StatementKind::kRead ||
         c.kind == StatementKind::kEmpty || c.kind == StatementKind::kFileAccess;
}

constexpr size_t kOneTripMaxStatement = 16 * 1024;

// Whether a statement that lost its session may simply run again: a read,
// or a write the master ran in its own transaction (its log row shows
// whether it committed).
LostStatement LostStatementOf(const sql::Classification& c) {
  if (c.kind == StatementKind::kRead || c.kind == StatementKind::kEmpty)
    return LostStatement::kRead;
  const bool own_transaction =
      (c.kind == StatementKind::kDataChange || c.kind == StatementKind::kSessionState) &&
      !c.implicit_commit && c.use_database.empty();
  return own_transaction ? LostStatement::kOwnTransaction : LostStatement::kOther;
}

// `ran` follows `before` (a reconnection, or the attempt that lost the
// session): what that said and recovered comes first.
void Follow(Executed before, Executed* ran) {
  ran->reconnect_notes.insert(ran->reconnect_notes.begin(), before.reconnect_notes.begin(),
                              before.reconnect_notes.end());
  ran->committed.insert(ran->committed.begin(), before.committed.begin(), before.committed.end());
  if (!ran->lost) ran->lost = std::move(before.lost);
}

// What a lost session meant for a statement when no new one could be had.
NoteCode NotReconnectedCode(LostStatement statement) {
  switch (statement) {
    case LostStatement::kRead:
      return NoteCode::kNotReconnectedRead;
    case LostStatement::kOwnTransaction:
      return NoteCode::kNotReconnectedNotCommitted;
    case LostStatement::kOther:
      break;
  }
  return NoteCode::kNotReconnectedMayHaveRun;
}

// Why a statement was left to the user after a lost session (the four
// decisions of DecideAfterLoss() that do).
NoteCode NotRunAgainCode(AfterLoss decision) {
  switch (decision) {
    case AfterLoss::kTransactionLost:
      return NoteCode::kTransactionLost;
    case AfterLoss::kTransactionCommitted:
      return NoteCode::kTransactionCommitted;
    case AfterLoss::kAutocommitLost:
      return NoteCode::kAutocommitNotRunAgain;
    default:
      return NoteCode::kMayHaveTakenEffect;
  }
}

// The error of a statement that lost the session and has no result; the
// user reads `why` (Executed::error_note).
void NoResult(Status error, Note why, Executed* out) {
  out->result = std::move(error);
  out->error_note = std::move(why);
}

Executed Failed(Status s) {
  Executed e;
  e.result = std::move(s);
  return e;
}

}  // namespace

MasterExecutor::MasterExecutor(db::Session* conn, db::Session* probe, log::ReplicationLog* log,
                               feed::EventSink* sink, Options options)
    : conn_(conn),
      probe_(probe),
      log_(log),
      sink_(sink),
      options_(std::move(options)),
      rng_(std::random_device{}()),
      lock_session_(conn->thread_id()) {}

sql::LexMode MasterExecutor::CurrentLexMode() {
  if (!session_known_) {
    Result<db::QueryResult> r = conn_->Execute(replication::CarriedVariablesQuery());
    Result<std::vector<replication::SessionVariable>> session =
        r.ok() ? replication::ParseCarriedVariables(*r)
               : Result<std::vector<replication::SessionVariable>>(r.status());
    if (!session.ok()) return {};  // the statement will meet the same trouble and report it
    session_ = std::move(session).value();
    session_known_ = true;
  }
  replication::StatementContext context;
  context.session = session_;
  return replication::LexModeOf(context);
}

Result<db::QueryResult> MasterExecutor::RunUserStatement(std::string_view sql) {
  std::vector<std::string> batch;
  if (timestamp_frozen_) batch.push_back("SET timestamp = DEFAULT");  // reads see the clock again
  batch.emplace_back(sql);
  std::vector<Result<db::QueryResult>> results = RunPipelined(batch);
  if (timestamp_frozen_ && results[0].ok()) timestamp_frozen_ = false;
  return std::move(results.back());
}

std::vector<Result<db::QueryResult>> MasterExecutor::RunPipelined(
    const std::vector<std::string>& batch) {
  if (on_user_statement_) on_user_statement_(conn_->thread_id());
  std::vector<Result<db::QueryResult>> results = conn_->ExecutePipelined(batch);
  if (on_user_statement_) on_user_statement_(0);
  return results;
}

replication::EventStatement MasterExecutor::NewStatement(std::string_view sql, sql::LexMode mode) {
  replication::EventStatement st;
  replication::StatementContext& ctx = st.context;
  ctx.has_timestamp = true;
  ctx.timestamp_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  ctx.has_rand_seeds = true;
  ctx.rand_seed1 = rng_() % 0x3FFFFFFF;  // the server keeps seeds below 2^30 - 1
  ctx.rand_seed2 = rng_() % 0x3FFFFFFF;
  // The server runs `sql` as typed; the log, the slaves and every echo get
  // the text with passwords redacted (sql/redact.hpp).
  st.sql = sql::RedactPasswords(sql, mode);
  return st;
}

// The answers asked for before the statement: [session variables,] [user
// variables,] [LAST_INSERT_ID(),] then the context; *context_at is where
// the context's SET is.
std::vector<std::string> MasterExecutor::ContextBatch(const sql::Classification& c,
                                                      const replication::StatementContext& ctx,
                                                      size_t* context_at) const {
  std::vector<std::string> batch;
  if (!session_known_) batch.push_back(replication::CarriedVariablesQuery());
  if (!c.user_variables.empty()) batch.push_back(replication::UserVariablesQuery(c.user_variables));
  if (c.reads_last_insert_id) batch.push_back("SELECT LAST_INSERT_ID()");
  *context_at = batch.size();
  batch.push_back(replication::ContextSql(ctx, /*observed=*/false));
  return batch;
}

// Reads what ContextBatch asked for into `ctx` (and the session's values).
Status MasterExecutor::ReadContext(const std::vector<Result<db::QueryResult>>& results,
                                   const sql::Classification& c, size_t context_at,
                                   replication::StatementContext* ctx) {
  for (size_t i = 0; i <= context_at; ++i) {
    if (!results[i].ok()) return results[i].status();
  }
  size_t at = 0;
  if (!session_known_) {
    Result<std::vector<replication::SessionVariable>> session =
        replication::ParseCarriedVariables(*results[at++]);
    if (!session.ok()) return session.status();
    session_ = std::move(session).value();
    session_known_ = true;
  }
  if (!c.user_variables.empty()) {
    Result<std::vector<replication::UserVariable>> values =
        replication::ParseUserVariables(c.user_variables, *results[at++]);
    if (!values.ok()) return values.status();
    ctx->user_variables = std::move(values).value();
  }
  ctx->has_session = true;
  ctx->session = session_;
  if (c.reads_last_insert_id) {
    const db::QueryResult& r = *results[at];
    ctx->has_last_insert_id = true;
    ctx->last_insert_id =
        r.rows.empty() ? 0 : std::strtoull(r.rows[0][0].value_or("0").c_str(), nullptr, 10);
  }
  return Status::Ok();
}

// One round trip: what ContextBatch asks, [START TRANSACTION,] statement.
// The context (timestamp, RAND seeds) is fixed here, not asked of the server.
Result<db::QueryResult> MasterExecutor::RunWithContext(std::string_view sql,
                                                       const sql::Classification& c,
                                                       replication::EventStatement* st,
                                                       bool* began) {
  *st = NewStatement(sql, c.mode);
  size_t context_at = 0;
  std::vector<std::string> batch = ContextBatch(c, st->context, &context_at);
  if (began != nullptr)
    batch.push_back("START TRANSACTION");  // BEGIN starts a block under sql_mode=ORACLE
  batch.emplace_back(sql);
  std::vector<Result<db::QueryResult>> results = RunPipelined(batch);

  if (results[context_at].ok()) timestamp_frozen_ = true;
  if (began != nullptr) *began = results[context_at + 1].ok();
  const Status context = ReadContext(results, c, context_at, &st->context);
  // A lost session is the reconnection's to explain: what happened to the
  // statement depends on what it was (reconnect_rules.hpp).
  if (db::IsConnectionLost(context)) return context;
  if (!context.ok()) {
    // The statement ran without its context being known: it must not stay.
    if (results.back().ok()) (void)conn_->Run("ROLLBACK");
    return Status::SqlError(
        context.sql_errno(), context.sqlstate(),
        "rolled back, the statement's context could not be read: " + context.message());
  }
  Result<db::QueryResult>& r = results.back();
  if (r.ok()) {
    tx_.SetAutocommit(r->autocommit());
    if (r->insert_id != 0) {
      st->context.has_insert_id = true;
      st->context.insert_id = r->insert_id;
    }
  }
  return std::move(r);
}

Result<uint64_t> MasterExecutor::LogAndCommit(replication::Event event,
                                              std::string_view commit_sql) {
  // The master's own COMMIT and a plain one typed by the user go with the
  // log row in one round trip; others (COMMIT WORK, COMMIT AND CHAIN, ...)
  // run as typed.
  const bool own_commit = commit_sql == log::kOwnCommit || commit_sql == "COMMIT";
  Result<std::string> encoded = AppendWaitingForRoom(&event, commit_sql, own_commit);
  if (!encoded.ok() && own_commit && db::IsConnectionLost(encoded.status())) {
    // The COMMIT went with the row and may have run: the log will say.
    MarkInDoubt(event, replication::EncodeEvent(event), encoded.status());
    return encoded.status();
  }
  if (!encoded.ok()) {
    const Status& error = encoded.status();
    if (own_commit && error.code() == StatusCode::kSqlError) {
      // The COMMIT went with the row and may have taken effect.
      Result<bool> committed = CommittedDespiteError(event, replication::EncodeEvent(event), error);
      if (!committed.ok()) return committed.status();
      if (*committed) return event.seq;
    } else {
      (void)conn_->Run("ROLLBACK");
    }
    return Status::SqlError(
        error.sql_errno(), error.sqlstate(),
        "rolled back, the replication log could not be written: " + error.message());
  }
  Status s = own_commit ? Status::Ok() : conn_->Run(commit_sql);
  if (db::IsConnectionLost(s)) {
    MarkInDoubt(event, *encoded, s);
    return s;
  }
  if (!s.ok()) {
    // As above: the COMMIT may have taken effect.
    Result<bool> committed = CommittedDespiteError(event, *encoded, s);
    if (!committed.ok()) return committed.status();
    if (*committed) return event.seq;
    return s;
  }
  Publish(event.seq, *encoded);
  return event.seq;
}

Result<std::string> MasterExecutor::AppendOnce(replication::Event* event,
                                               std::string_view commit_sql, bool own_commit) {
  return own_commit ? log_->AppendAndCommit(conn_, event, tx_.staged(), commit_sql)
                    : log_->Append(conn_, event, tx_.staged());
}

// 1. Writes the row (and commits, with the master's own COMMIT).
// 2. A server resource ran out and the transaction still holds the
//    statement's changes: says so once, pauses, and writes the row again,
//    pausing longer each time (log_wait.hpp).
// 3. At the limit, or when the user stops the wait, returns the last error
//    with the reason; the caller rolls back.
Result<std::string> MasterExecutor::AppendWaitingForRoom(replication::Event* event,
                                                         std::string_view commit_sql,
                                                         bool own_commit) {
  Result<std::string> encoded = AppendOnce(event, commit_sql, own_commit);
  const LogWaitOptions& o = options_.log_wait;
  std::chrono::milliseconds waited{0};
  std::chrono::milliseconds last{0};
  // Only a Ctrl-C that comes during the wait ends it (set_interrupts).
  const uint64_t ctrl_c_before = interrupts_ ? interrupts_() : 0;
  const std::function<bool()> stopped = [this, ctrl_c_before] {
    return interrupts_ && interrupts_() != ctrl_c_before;
  };
  while (!encoded.ok()) {
    const char* reason = LogRowWaitReason(encoded.status());
    if (reason == nullptr || !TransactionOpen()) return encoded;
    const std::optional<std::chrono::milliseconds> pause = NextLogWait(o, waited, last);
    if (!pause) return LogWaitGaveUp(encoded.status(), reason, waited, /*stopped=*/false);
    if (waited.count() == 0 && o.notice) {
      o.notice(LogWaitLine(event->seq, reason, encoded.status(), Summary(*event), o.limit));
    }
    const bool paused = o.pause ? o.pause(*pause) : PauseUnlessStopped(*pause, stopped);
    if (!paused) return LogWaitGaveUp(encoded.status(), reason, waited, /*stopped=*/true);
    waited += *pause;
    last = *pause;
    encoded = AppendOnce(event, commit_sql, own_commit);
  }
  return encoded;
}

void MasterExecutor::MarkInDoubt(const replication::Event& event, std::string encoded,
                                 const Status& cause) {
  InDoubtWrite write;
  write.seq = event.seq;
  write.encoded = std::move(encoded);
  write.statement = Summary(event);
  write.cause = cause;
  in_doubt_ = std::move(write);
}

void MasterExecutor::Publish(uint64_t seq, const std::string& encoded) {
  log_->MarkCommitted(seq);
  if (sink_ != nullptr) sink_->Publish(seq, encoded);
}

Status MasterExecutor::CommitPending(Executed* out, const std::string& why) {
  if (!tx_.open() || !tx_.has_pending()) return Status::Ok();
  Result<uint64_t> seq = LogAndCommit(tx_.PendingEvent(), log::kOwnCommit);
  tx_.Committed();  // or rolled back: ended either way
  if (!seq.ok()) return seq.status();
  out->committed.push_back(*seq);
  out->notes.push_back({.code = NoteCode::kCommittedFirst, .detail = why});
  return Status::Ok();
}

Executed MasterExecutor::Execute(std::string_view sql, const sql::Classification& c,
                                 const std::string& database) {
  return ExecuteReconnecting(sql, c, database);
}

Executed MasterExecutor::ExecuteChecked(std::string_view sql, const sql::Classification& c,
                                        const std::string& database) {
  if (c.transaction == TransactionOp::kXa) {
    return Failed(
        Status::FailedPrecondition("XA transactions are not supported by the sqlrepl master"));
  }
  if (!c.reserved_variable.empty()) {
    return Failed(Status::FailedPrecondition(c.reserved_variable +
                                             " is reserved for sqlrepl's own use; not executed"));
  }
  if (c.kind == StatementKind::kDataChange && !RunsOnMasterOnly(c, database)) {
    for (const sql::TableRef& t : c.writes) {
      if (temporary_tables_.count(TableKey(t, database))) {
        return Failed(Status::FailedPrecondition(fmt::format(
            "writes the temporary table {} together with other tables; not executed (slaves do not "
            "have it, and would write their real table of that name)",
            TableKey(t, database))));
      }
    }
  }
  for (const sql::TableRef& t : c.writes) {
    const std::string& schema = t.schema.empty() ? database : t.schema;
    if (EqualsIgnoreCase(schema, options_.meta_schema)) {
      return Failed(Status::FailedPrecondition(fmt::format(
          "{} holds the replication log; writing to it by hand is refused", options_.meta_schema)));
    }
  }
  // This session holds the replication log's lock (log/replication_log.cpp):
  // releasing it would let another master write the same log. Dynamic SQL
  // is judged by its text (EXECUTE IMMEDIATE 'DO RELEASE_ALL_LOCKS()').
  const bool dynamic = c.kind == StatementKind::kDynamicSql;
  for (const char* release : {"RELEASE_LOCK", "RELEASE_ALL_LOCKS"}) {
    if (std::find(c.functions.begin(), c.functions.end(), release) != c.functions.end() ||
        (dynamic && AsciiUpper(sql).find(release) != std::string::npos)) {
      return Failed(Status::FailedPrecondition(fmt::format(
          "{}() runs in the master's session, which holds the replication log's lock; not "
          "executed (use named locks on another connection)",
          release)));
    }
  }
  std::vector<std::string> unsafe = sql::FindNondeterminism(sql, c, database, options_.catalog);
  if (!unsafe.empty() && options_.unsafe == config::UnsafePolicy::kRefuse) {
    return Failed(
        Status::FailedPrecondition("not executed, UNSAFE_STATEMENTS=refuse: " + unsafe.front()));
  }
  Executed ran = ExecuteClassified(sql, c, database);
  ran.unsafe = std::move(unsafe);
  if (sql::MayChangeCatalog(c.kind) && options_.catalog != nullptr) {
    options_.catalog->Invalidate();
  }
  return ran;
}

Executed MasterExecutor::ExecuteClassified(std::string_view sql, const sql::Classification& c,
                                           const std::string& database) {
  // Known before the statement runs: its answer may be an error, which
  // carries no transaction state.
  const bool open_before = tx_.open() && tx_.has_pending() &&
                           (conn_->server_status() & SERVER_STATUS_IN_TRANS) != 0;
  Executed ran = ExecuteByKind(sql, c, database);
  if (open_before && !ran.result.ok() && tx_.open() && tx_.has_pending() &&
      !db::IsConnectionLost(ran.result.status())) {
    Result<ServerState> state = StateAfter(ran.result);
    if (state.ok() && !state->open) {
      // A deadlock victim, or a lock wait timeout under
      // innodb_rollback_on_timeout: the server rolled it all back.
      ran.notes.push_back({.code = NoteCode::kServerRolledBack, .statements = tx_.pending_count()});
      tx_.RolledBackByServer(state->autocommit);
    }
  }
  return ran;
}

Executed MasterExecutor::ExecuteByKind(std::string_view sql, const sql::Classification& c,
                                       const std::string& database) {
  if (c.kind == StatementKind::kRead || c.kind == StatementKind::kEmpty) {
    Executed out;
    out.result = RunUserStatement(sql);
    return out;
  }
  if (c.kind == StatementKind::kTransaction) return ExecuteTransactionControl(sql, c);
  if (!c.use_database.empty()) {  // USE: each event names its database
    Executed out;
    out.result = conn_->Execute(sql);
    if (out.result.ok() && tx_.open() && tx_.has_pending()) {
      // Read on the slaves under the session it ran in, like every statement.
      replication::EventStatement st{{}, std::string(sql)};
      (void)CurrentLexMode();  // makes the session known, unless the server is away
      st.context.has_session = session_known_;
      if (session_known_) st.context.session = session_;
      tx_.Add(std::move(st), database);
    }
    return out;
  }
  Executed out;
  if (c.implicit_commit) {
    Status s = CommitPending(&out, c.verb);
    if (!s.ok()) return Failed(s);
  }
  Executed ran;
  const bool transactional =
      c.kind == StatementKind::kDataChange || c.kind == StatementKind::kFileAccess;
  const bool master_only = RunsOnMasterOnly(c, database);
  if (tx_.open() && !c.implicit_commit && !(master_only && CannotEndTransaction(c))) {
    ran = CannotEndTransaction(c)
              ? ExecuteInTransaction(sql, c, database)
              : ExecuteMayEndTransaction(sql, c, database, /*log=*/!master_only);
  } else if (master_only) {
    ran.result = RunUserStatement(sql);
  } else if (transactional) {
    ran = LoggedInOneTrip(sql, c) ? ExecuteAutocommitInOneTrip(sql, c, database)
                                  : ExecuteAutocommit(sql, c, database);
  } else {
    ran = ExecuteThenLog(sql, c, database);
  }
  if (!CannotEndTransaction(c)) session_known_ = false;  // it may have changed a carried variable
  if (c.temporary && ran.result.ok()) NoteTemporaryTables(c, database);
  ran.committed.insert(ran.committed.begin(), out.committed.begin(), out.committed.end());
  ran.notes.insert(ran.notes.begin(), out.notes.begin(), out.notes.end());
  return ran;
}

// Statements that change nothing a slave keeps run on the master only, and
// are not logged: session settings (the statements that follow carry the
// values they set, replication/session_context.hpp), temporary tables (the
// session's own: DDL of them, and writes that touch only them) and a DO
// that calls no sequence and no stored function (it evaluates and
// discards). Slaves would refuse them, and with them the whole transaction
// they sit in; a write to a temporary table would change the real table of
// that name on a slave.
bool MasterExecutor::RunsOnMasterOnly(const sql::Classification& c, const std::string& database) {
  if (c.kind == StatementKind::kSessionState || c.temporary) return true;
  if (c.verb == "DO") {
    if (options_.catalog == nullptr || !c.schemas_used.empty()) return false;
    for (const std::string& f : c.functions) {
      if (f == "NEXTVAL" || f == "SETVAL" || f == "LASTVAL") return false;
      if (options_.catalog->IsStoredFunction(database, f)) return false;
    }
    return true;
  }
  if (c.kind != StatementKind::kDataChange || c.writes.empty() || temporary_tables_.empty())
    return false;
  for (const sql::TableRef& t : c.writes) {
    if (!temporary_tables_.count(TableKey(t, database))) return false;
  }
  return true;
}

std::string MasterExecutor::TableKey(const sql::TableRef& t, const std::string& database) {
  return (t.schema.empty() ? database : t.schema) + "." + t.table;
}

void MasterExecutor::NoteTemporaryTables(const sql::Classification& c,
                                         const std::string& database) {
  for (const sql::TableRef& t : c.writes) {
    if (c.verb == "DROP TABLE") {
      temporary_tables_.erase(TableKey(t, database));
    } else {
      temporary_tables_.insert(TableKey(t, database));
    }
  }
}

// Two round trips: context, BEGIN and the statement together; then the
// log row and COMMIT together (ReplicationLog::AppendAndCommit).
Executed MasterExecutor::ExecuteAutocommit(std::string_view sql, const sql::Classification& c,
                                           const std::string& database) {
  Executed out;
  replication::EventStatement st;
  bool began = false;
  out.result = RunWithContext(sql, c, &st, &began);
  if (!out.result.ok()) {
    (void)conn_->Run("ROLLBACK");
    return out;
  }
  if (!began) {  // then it committed by itself: log it so
    LogCommittedStatement(std::move(st), database, &out);
    return out;
  }
  return LogAndCommitAnswered(std::move(out), replication::Event{0, database, {st}});
}

Executed MasterExecutor::LogAndCommitAnswered(Executed out, replication::Event event) {
  Result<uint64_t> seq = LogAndCommit(std::move(event), log::kOwnCommit);
  if (!seq.ok()) {
    if (in_doubt_ && out.result.ok()) in_doubt_->answer = *out.result;
    return Failed(seq.status());
  }
  out.committed.push_back(*seq);
  return out;
}

bool MasterExecutor::LoggedInOneTrip(std::string_view sql, const sql::Classification& c) const {
  // UPDATE and DELETE report no insert id, so their event is complete before
  // they run. (An INSERT's insert id is known only after it; finding it on
  // the server would mean changing the LAST_INSERT_ID() that its triggers
  // and functions read.)
  if (c.kind != StatementKind::kDataChange || (c.verb != "UPDATE" && c.verb != "DELETE"))
    return false;
  // Everything is written before any answer is read: a large statement
  // (its event follows it) or one that answers with rows (RETURNING) could
  // fill both directions of the socket and hang.
  if (sql.size() > kOneTripMaxStatement) return false;
  for (const sql::Token& t : sql::CodeTokens(sql, c.mode)) {
    if (t.Is("RETURNING")) return false;
  }
  // Its context must be known before it runs: the session's values, and no
  // user variable or LAST_INSERT_ID() to read first (LAST_INSERT_ID(x) also
  // sets the insert id a statement reports).
  if (!session_known_ || c.reads_last_insert_id || !c.user_variables.empty()) {
    return false;
  }
  for (const replication::SessionVariable& v : session_) {
    // Its block syntax differs: the compound statement would not parse.
    if (v.name == "sql_mode" && AsciiUpper(v.value).find("ORACLE") != std::string::npos)
      return false;
  }
  return true;
}

// One round trip (ReplicationLog::PrepareGuardedCommit): context, START
// TRANSACTION, the statement, SHOW WARNINGS, then the log row and COMMIT
// only if the statement and its context went through.
Executed MasterExecutor::ExecuteAutocommitInOneTrip(std::string_view sql,
                                                    const sql::Classification& c,
                                                    const std::string& database) {
  replication::Event event{0, database, {NewStatement(sql, c.mode)}};
  replication::StatementContext& ctx = event.statements[0].context;
  ctx.has_session = true;
  ctx.session = session_;
  const uint64_t nonce = rng_() % (uint64_t{1} << 62) + 1;
  Result<log::ReplicationLog::GuardedCommit> commit =
      log_->PrepareGuardedCommit(conn_, &event, nonce);
  if (!commit.ok())
    return ExecuteAutocommit(sql, c, database);  // too large to log: it says so, as always
  std::vector<Result<db::QueryResult>> results = RunPipelined(
      {replication::ContextSql(ctx, /*observed=*/false) + ", " + commit->arm, "START TRANSACTION",
       std::string(sql), "SHOW WARNINGS", commit->check, commit->commit});
  const Status& context = results[0].status();
  const bool began = results[1].ok();
  if (context.ok()) timestamp_frozen_ = true;
  Executed out;
  out.result = std::move(results[2]);
  if (out.result.ok()) {
    tx_.SetAutocommit(out.result->autocommit());
    if (results[3].ok()) out.result->warnings = db::WarningsFrom(*results[3]);
  }
  const Status& logged = results[5].status();
  if (db::IsConnectionLost(logged)) {
    MarkInDoubt(event, commit->encoded, logged);  // the reconnection asks the log
    if (out.result.ok()) in_doubt_->answer = *out.result;
    out.result = logged;
    return out;
  }
  if (!out.result.ok() || !context.ok()) {
    // The block logged nothing: nothing is committed.
    (void)conn_->Run("ROLLBACK");
    if (out.result.ok()) {
      return Failed(Status::SqlError(context.sql_errno(), context.sqlstate(),
                                     "rolled back, the statement's context could not be set: " +
                                         context.message()));
    }
    return out;
  }
  return FinishGuardedCommit(std::move(out), std::move(event), commit->encoded, logged, began);
}

// The statement and its context went through; `logged` is the answer to
// the block that logs and commits it.
Executed MasterExecutor::FinishGuardedCommit(Executed out, replication::Event event,
                                             const std::string& encoded, const Status& logged,
                                             bool began) {
  if (logged.ok()) {
    Publish(event.seq, encoded);
    out.committed.push_back(event.seq);
    return out;
  }
  if (!began) {  // the statement committed by itself: its log row follows
    LogCommittedStatement(std::move(event.statements[0]), event.database, &out);
    return out;
  }
  // The statement's changes wait in the open transaction for room for their
  // log row; or the block did not run (a character set it cannot be read
  // in): the usual second round trip, in the transaction still open.
  if ((LogRowWaitReason(logged) != nullptr && TransactionOpen()) ||
      logged.sql_errno() == db::kParseError) {
    return LogAndCommitAnswered(std::move(out),
                                replication::Event{0, event.database, std::move(event.statements)});
  }
  return AfterFailedGuardedCommit(std::move(out), event, encoded, logged);
}

// The block failed. Killed after its COMMIT, it still reports an error:
// once rolled back, the log holds this event only if it committed.
Executed MasterExecutor::AfterFailedGuardedCommit(Executed out, const replication::Event& event,
                                                  const std::string& encoded,
                                                  const Status& logged) {
  Result<bool> committed = CommittedDespiteError(event, encoded, logged);
  if (!committed.ok()) {
    if (out.result.ok()) in_doubt_->answer = *out.result;
    return Failed(committed.status());
  }
  if (*committed) {
    out.committed.push_back(event.seq);
    return out;
  }
  return Failed(Status::SqlError(
      logged.sql_errno(), logged.sqlstate(),
      "rolled back, the replication log could not be written: " + logged.message()));
}

Result<bool> MasterExecutor::CommittedDespiteError(const replication::Event& event,
                                                   const std::string& encoded,
                                                   const Status& error) {
  (void)conn_->Run("ROLLBACK");
  MarkInDoubt(event, encoded, error);
  Result<std::vector<std::string>> row =
      log::ReplicationLog::ReadFrom(conn_, options_.meta_schema, event.seq, 1, size_t{1} << 26);
  const WriteOutcome outcome = OutcomeFromLog(*in_doubt_, event.seq, row);
  if (outcome == WriteOutcome::kUnknown) return row.status();
  in_doubt_.reset();
  if (outcome != WriteOutcome::kCommitted) return false;
  Publish(event.seq, encoded);
  return true;
}

Executed MasterExecutor::ExecuteInTransaction(std::string_view sql, const sql::Classification& c,
                                              const std::string& database) {
  Executed out;
  replication::EventStatement st;
  out.result = RunWithContext(sql, c, &st, /*began=*/nullptr);
  if (out.result.ok()) {
    tx_.Add(std::move(st), database);
  }
  return out;  // a rollback by the server is found in ExecuteClassified
}

Executed MasterExecutor::ExecuteThenLog(std::string_view sql, const sql::Classification& c,
                                        const std::string& database) {
  Executed out;
  replication::EventStatement st;
  out.result = RunWithContext(sql, c, &st, /*began=*/nullptr);
  if (out.result.ok()) LogCommittedStatement(std::move(st), database, &out);
  return out;
}

void MasterExecutor::LogCommittedStatement(replication::EventStatement st,
                                           const std::string& database, Executed* out) {
  // The statement committed by itself: its log row follows in a transaction
  // of its own (a crash in between loses only the slaves' refusal notice).
  Status s = conn_->Run("START TRANSACTION");
  Result<uint64_t> seq =
      s.ok() ? LogAndCommit(replication::Event{0, database, {std::move(st)}}, log::kOwnCommit)
             : Result<uint64_t>(s);
  if (in_doubt_) {
    in_doubt_->statement_committed = true;  // the reconnection finds out about its log row
    return;
  }
  if (!seq.ok()) {
    out->notes.push_back({.code = NoteCode::kNotLogged, .detail = seq.status().ToString()});
    return;
  }
  out->committed.push_back(*seq);
}

Status MasterExecutor::StagePending(std::optional<replication::Event>* staged,
                                    std::string* encoded) {
  if (!tx_.has_pending()) return Status::Ok();
  replication::Event event = tx_.PendingEvent();
  // Waits for room as the log row at COMMIT does; the statement has not run.
  Result<std::string> e = AppendWaitingForRoom(&event, "", /*own_commit=*/false);
  if (!e.ok()) {
    const Status& error = e.status();
    return Status::SqlError(
        error.sql_errno(), error.sqlstate(),
        "not executed, the open transaction's log row could not be written first: " +
            error.message());
  }
  tx_.Staged();
  *encoded = std::move(e).value();
  *staged = std::move(event);
  return Status::Ok();
}

// 1. The open transaction's event is written to the log inside the
//    transaction, so that the row commits or rolls back with the data.
// 2. The statement runs.
// 3. The server says whether a transaction is still open, and the log row
//    whether the earlier statements committed (seen from `probe_` while a
//    transaction is open, since this session sees its own uncommitted row).
// 4. Committed: the staged event is published; rolled back: nothing is. The
//    statement itself (unless `log` is false: session statements) joins the
//    transaction that is open now, or, when none is, is logged as an event
//    of its own.
Executed MasterExecutor::ExecuteMayEndTransaction(std::string_view sql,
                                                  const sql::Classification& c,
                                                  const std::string& database, bool log) {
  Executed out;
  std::optional<replication::Event> staged;
  std::string encoded;
  if (Status s = StagePending(&staged, &encoded); !s.ok()) return Failed(s);
  replication::EventStatement st;
  out.result = RunWithContext(sql, c, &st, /*began=*/nullptr);
  Result<ServerState> state = StateAfter(out.result);
  // Only an error answer leaves the question, and a failed question means
  // the session is gone: the reconnection decides (the log row says).
  if (!state.ok()) {
    if (staged)
      MarkInDoubt(*staged, encoded, out.result.status());  // the statement may have committed it
    return out;
  }
  const bool open = state->open;
  tx_.SetAutocommit(state->autocommit);

  bool ended = !open;
  if (staged) {
    Result<bool> committed = log_->IsCommitted(open ? probe_ : conn_, staged->seq);
    if (!committed.ok()) {
      // Unknown: say so rather than guess; the row decides what slaves get.
      out.notes.push_back(
          {.code = NoteCode::kCommitUnknown, .detail = committed.status().ToString()});
    } else if (*committed) {
      Publish(staged->seq, encoded);
      out.committed.push_back(staged->seq);
      out.notes.push_back({.code = NoteCode::kStatementCommittedIt});
      ended = true;
    } else if (!open) {
      out.notes.push_back(
          {.code = NoteCode::kStatementRolledItBack, .statements = tx_.pending_count()});
    }
  }
  if (ended) {
    tx_.EndedByStatement(open);
  }
  if (!out.result.ok() || !log) return out;
  if (open) {
    tx_.Add(std::move(st), database);
  } else {
    LogCommittedStatement(std::move(st), database, &out);
  }
  return out;
}

Result<MasterExecutor::ServerState> MasterExecutor::StateAfter(
    const Result<db::QueryResult>& answer) {
  if (answer.ok()) return ServerState{answer->in_transaction(), answer->autocommit()};
  return AskTransactionState();
}

bool MasterExecutor::TransactionOpen() {
  Result<ServerState> state = AskTransactionState();
  return state.ok() && state->open;
}

Result<MasterExecutor::ServerState> MasterExecutor::AskTransactionState() {
  Result<db::QueryResult> r = conn_->Execute("SELECT @@in_transaction, @@autocommit");
  if (!r.ok()) return r.status();
  if (r->rows.size() != 1 || r->rows[0].size() != 2) {
    return Status::Corruption("unexpected answer to SELECT @@in_transaction, @@autocommit");
  }
  return ServerState{r->rows[0][0].value_or("0") == "1", r->rows[0][1].value_or("1") == "1"};
}

Executed MasterExecutor::ExecuteTransactionControl(std::string_view sql,
                                                   const sql::Classification& c) {
  Executed out;
  switch (c.transaction) {
    case TransactionOp::kBegin: {
      Status s = CommitPending(&out, c.verb);
      if (!s.ok()) return Failed(s);
      out.result = conn_->Execute(sql);
      if (out.result.ok()) {
        tx_.Begin();
      }
      return out;
    }
    case TransactionOp::kCommit:
      return Commit(sql);
    case TransactionOp::kRollback: {
      out.result = conn_->Execute(sql);
      tx_.RolledBack();
      return out;
    }
    case TransactionOp::kSavepoint:
      out.result = conn_->Execute(sql);
      if (out.result.ok()) tx_.Savepoint(SavepointName(sql, c.mode));
      return out;
    case TransactionOp::kRollbackToSavepoint:
      out.result = conn_->Execute(sql);
      if (out.result.ok()) tx_.RollbackToSavepoint(SavepointName(sql, c.mode));
      return out;
    case TransactionOp::kReleaseSavepoint:
      out.result = conn_->Execute(sql);
      if (out.result.ok()) tx_.ReleaseSavepoint(SavepointName(sql, c.mode));
      return out;
    case TransactionOp::kAutocommitOn: {
      Status s = CommitPending(&out, "SET autocommit = 1");
      if (!s.ok()) return Failed(s);
      out.result = conn_->Execute(sql);
      if (out.result.ok()) tx_.AutocommitOn();
      return out;
    }
    case TransactionOp::kAutocommitOff:
      out.result = conn_->Execute(sql);
      if (out.result.ok()) tx_.AutocommitOff();
      return out;
    case TransactionOp::kSetTransaction:
    case TransactionOp::kXa:
    case TransactionOp::kNone:
      out.result = conn_->Execute(sql);
      return out;
  }
  return out;
}

// The user's COMMIT (as typed: COMMIT WORK, AND CHAIN, ...) commits the
// open event with its log row.
Executed MasterExecutor::Commit(std::string_view sql) {
  Executed out;
  if (!tx_.has_pending()) {
    out.result = conn_->Execute(sql);
  } else {
    Result<uint64_t> seq = LogAndCommit(tx_.PendingEvent(), sql);
    if (seq.ok()) {
      out.committed.push_back(*seq);
      out.result = db::QueryResult{};
    } else {
      out.result = seq.status();
    }
  }
  tx_.SetAutocommit((conn_->server_status() & SERVER_STATUS_AUTOCOMMIT) != 0);
  tx_.Committed();  // or rolled back: ended either way
  return out;
}

// ---------------------------------------------------------------------------
// Reconnection

Executed MasterExecutor::ExecuteReconnecting(std::string_view sql, const sql::Classification& c,
                                             const std::string& database) {
  Executed before;
  std::optional<sql::Classification> reread;
  if (lost_ || in_doubt_) {
    Status s = Reconnect(database, &before, nullptr);
    if (!s.ok()) {
      before.result = s;
      return before;
    }
    // `c` was read under the lost session's sql_mode; the new one starts
    // from the server's default.
    reread = sql::Classify(sql, CurrentLexMode());
  }
  return ExecuteReconnected(sql, reread ? *reread : c, database, std::move(before));
}

Executed MasterExecutor::ExecuteReconnected(std::string_view sql, const sql::Classification& c,
                                            const std::string& database, Executed before) {
  Loss loss;
  loss.statement = LostStatementOf(c);
  loss.is_commit = c.transaction == TransactionOp::kCommit;
  loss.in_transaction = tx_.LostWithSession();
  loss.autocommit_was_off = !tx_.autocommit();
  LostSession lost{Status::Ok(), tx_.pending_count(), std::nullopt, loss.statement};
  Executed ran = ExecuteChecked(sql, c, database);
  loss.committed_before = !ran.committed.empty();
  Follow(std::move(before), &ran);
  if (!in_doubt_ && (ran.result.ok() || !db::IsConnectionLost(ran.result.status()))) return ran;
  lost_ = true;
  lost.write = in_doubt_;
  loss.statement_committed = in_doubt_ && in_doubt_->statement_committed;
  ran.lost = in_doubt_ ? in_doubt_->cause : ran.result.status();
  // What the failed attempt concluded was about a session that is gone,
  // unless the statement itself had committed.
  if (!loss.statement_committed) ran.notes.clear();
  if (in_doubt_ && in_doubt_->answer) ran.result = *in_doubt_->answer;  // reported if it committed
  lost.reconnected = Reconnect(database, &ran, &loss.write);
  loss.reconnected = lost.reconnected.ok();
  if (loss.reconnected && loss.autocommit_was_off)
    ran.reconnect_notes.push_back({.code = NoteCode::kAutocommitLost});
  return Conclude(DecideAfterLoss(loss), std::move(ran), lost, sql, database);
}

Executed MasterExecutor::Conclude(AfterLoss decision, Executed ran, const LostSession& lost,
                                  std::string_view sql, const std::string& database) {
  switch (decision) {
    case AfterLoss::kRunAgain:
      return RunAgain(std::move(ran), sql, database);
    case AfterLoss::kDone:
      if (!ran.result.ok()) ran.result = db::QueryResult{};
      return ran;
    case AfterLoss::kUnknown:
      in_doubt_->said_unknown = true;
      NoResult(Status::Unavailable("the write is in doubt"), UnknownNote(lost.reconnected), &ran);
      return ran;
    case AfterLoss::kNotLogged:
      ran.notes.push_back({.code = NoteCode::kNotLoggedBeforeLoss, .seq = lost.write->seq});
      return ran;
    case AfterLoss::kLogUnknown:
      in_doubt_->said_unknown = true;
      ran.notes.push_back({.code = NoteCode::kLogUnknown,
                           .seq = in_doubt_->seq,
                           .detail = lost.reconnected.message()});
      return ran;
    case AfterLoss::kNotReconnected:
      // One error line for the statement says both facts; the loss is
      // logged here, since no line of its own says it.
      if (options_.oplog && ran.lost) {
        options_.oplog("lost the connection to the local database: " + ran.lost->ToString());
      }
      NoResult(Status::SqlError(lost.reconnected.sql_errno(), lost.reconnected.sqlstate(),
                                lost.reconnected.message()),
               {.code = NotReconnectedCode(lost.statement),
                .statements = lost.transaction_statements,
                .detail = ran.lost.value_or(lost.reconnected).message()},
               &ran);
      ran.lost.reset();
      return ran;
    case AfterLoss::kTransactionLost:
    case AfterLoss::kTransactionCommitted:
    case AfterLoss::kAutocommitLost:
    case AfterLoss::kMayHaveTakenEffect:
      NoResult(Status::Unavailable("not run again after the session was lost"),
               {.code = NotRunAgainCode(decision),
                .seq = ran.committed.empty() ? 0 : ran.committed.back(),
                .statements = lost.transaction_statements},
               &ran);
      return ran;
  }
  return ran;
}

Note MasterExecutor::UnknownNote(const Status& why) const {
  return {.code = NoteCode::kWriteUnknown,
          .seq = in_doubt_->seq,
          .statement = in_doubt_->statement,
          .detail = why.message()};
}

Executed MasterExecutor::RunAgain(Executed ran, std::string_view sql, const std::string& database) {
  // Read again under the new session's sql_mode, which is the server's
  // default, not the lost session's.
  Executed again = ExecuteChecked(sql, sql::Classify(sql, CurrentLexMode()), database);
  Follow(std::move(ran), &again);
  if (in_doubt_ || (!again.result.ok() && db::IsConnectionLost(again.result.status()))) {
    lost_ = true;  // lost again: the next statement reconnects
    if (in_doubt_) {
      in_doubt_->said_unknown = true;
      NoResult(Status::Unavailable("the write is in doubt"), UnknownNote(in_doubt_->cause),
               &again);
    }
  }
  return again;
}

Status MasterExecutor::Reconnect(const std::string& database, Executed* out,
                                 std::optional<WriteOutcome>* outcome) {
  if (in_doubt_ && outcome != nullptr) *outcome = WriteOutcome::kUnknown;  // until the log says
  out->reconnect_notes.push_back({.code = NoteCode::kReconnecting});
  Status s = conn_->Reconnect();
  if (!s.ok()) return s;
  if (on_reconnect_) {
    s = on_reconnect_(conn_, lock_session_);
    if (!s.ok())
      return s;  // lost_ stays set: no write without the lock, the next statement retries
    lock_session_ = conn_->thread_id();
  }
  (void)probe_->Reconnect();  // likely gone too; Verifier and IsCommitted use it
  if (!database.empty()) {
    (void)conn_->Run("USE " + QuoteName(database));
  }
  tx_.SessionLost();
  timestamp_frozen_ = false;
  session_known_ = false;  // a new session starts from the server's defaults
  temporary_tables_.clear();  // they went with the session
  s = PublishCommittedBeforeLoss(out, outcome);
  if (!s.ok()) return s;  // still in doubt: nothing is written before the log says
  lost_ = false;
  out->reconnect_notes.push_back({.code = NoteCode::kConnectionId, .session = conn_->thread_id()});
  out->reconnect_notes.push_back({.code = NoteCode::kCurrentDatabase, .detail = database});
  return Status::Ok();
}

// A COMMIT that reached the server before the loss left its log row: the
// write happened, so the slaves get it now. The write in doubt learns its
// outcome here, by its row's bytes.
Status MasterExecutor::PublishCommittedBeforeLoss(Executed* out,
                                                  std::optional<WriteOutcome>* outcome) {
  const uint64_t from = log_->last_seq() + 1;
  Result<std::vector<std::string>> rows =
      log::ReplicationLog::ReadFrom(conn_, options_.meta_schema, from, 1000, size_t{1} << 26);
  if (in_doubt_) {
    const WriteOutcome o = OutcomeFromLog(*in_doubt_, from, rows);
    if (o == WriteOutcome::kUnknown) {
      return rows.ok()
                 ? Status::Corruption(fmt::format("write #{} is in doubt, but the log is at #{}",
                                                  in_doubt_->seq, from - 1))
                 : rows.status();
    }
    if (o == WriteOutcome::kNotCommitted && in_doubt_->said_unknown) {
      out->reconnect_notes.push_back({.code = NoteCode::kNotCommittedBeforeLoss,
                                      .seq = in_doubt_->seq,
                                      .statement = in_doubt_->statement});
    }
    if (outcome != nullptr) *outcome = o;
    in_doubt_.reset();
  }
  if (!rows.ok()) return Status::Ok();  // nothing in doubt: the next write meets the trouble
  for (const std::string& encoded : *rows) {
    const uint64_t seq = log_->last_seq() + 1;
    Publish(seq, encoded);
    out->committed.push_back(seq);
    Result<replication::Event> event = replication::DecodeEvent(encoded);
    out->reconnect_notes.push_back(
        {.code = NoteCode::kCommittedBeforeLoss,
         .seq = seq,
         .statement = event.ok() ? Summary(*event) : "(unreadable event)"});
  }
  return Status::Ok();
}

}  // namespace sqlrepl::master
