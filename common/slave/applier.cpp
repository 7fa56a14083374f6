#include "slave/applier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "base/strings.hpp"
#include "db/privileges.hpp"
#include "db/server_errors.hpp"
#include "replication/session_context.hpp"
#include "replication/slave_position.hpp"
#include "sql/policy.hpp"

namespace sqlrepl::slave {
namespace {

constexpr size_t kEchoLimit = 300;

std::string Shorten(std::string_view sql) {
  std::string s(sql.substr(0, kEchoLimit));
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (sql.size() > kEchoLimit) s += "...";
  return s;
}

std::string FirstStatement(const replication::Event& event) {
  return Shorten(event.statements.empty() ? "" : event.statements[0].sql);
}

// Errors that a later attempt can get past without anyone fixing anything
// (db/server_errors.hpp): a lock, a statement cut short, a server resource
// that ran out for a while. Waited out whatever ON_APPLY_ERROR says.
const char* TransientErrorName(const Status& s) {
  if (s.code() != StatusCode::kSqlError) return nullptr;
  return db::WaitCurableError(s.sql_errno(), s.message());
}

Result<SlavePosition> PositionFrom(const db::QueryResult& r, const std::string& meta) {
  if (r.rows.empty() || r.rows[0].size() < 2) {
    return Status::FailedPrecondition(
        fmt::format("{}.{} has no row with id = 1", meta, replication::kSlavePositionTable));
  }
  SlavePosition p;
  p.replication_id = r.rows[0][0].value_or("");
  p.applied_seq = std::strtoull(r.rows[0][1].value_or("0").c_str(), nullptr, 10);
  return p;
}

// Rows an UPDATE matched. The connection does not set CLIENT_FOUND_ROWS, so
// affected_rows counts only rows whose values changed; the info string
// ("Rows matched: 1  Changed: 0  Warnings: 0") counts the matches.

}  // namespace

Result<SlavePosition> OpenSlavePosition(db::Connection* conn, const std::string& meta) {
  // Created only when missing: the slave's own account may lack CREATE
  // once an administrator made the table (README "Privileges").
  Status s = db::CreateTableIfMissing(
      conn, meta, replication::kSlavePositionTable,
      {fmt::format("CREATE DATABASE IF NOT EXISTS `{}`", meta),
       replication::SlavePositionTableDdl(meta)});
  if (s.ok()) {
    s = conn->Run(replication::SlavePositionInitSql(meta));
  }
  if (!s.ok()) return s;
  Result<db::QueryResult> r = conn->Execute(replication::SlavePositionSelectSql(meta));
  if (!r.ok()) return r.status();
  return PositionFrom(*r, meta);
}

Applier::Applier(Options options, ApplySessionFactory open_session, ApplyReports& reports,
                 SlavePosition start)
    : options_(std::move(options)),
      open_session_(std::move(open_session)),
      reports_(reports),
      replication_id_(std::move(start.replication_id)),
      applied_seq_(start.applied_seq),
      last_queued_(start.applied_seq) {}

Applier::~Applier() { Stop(); }

void Applier::Start() {
  thread_ = std::thread([this] {
    Loop();
    std::lock_guard lock(mu_);
    loop_ended_ = true;
    wake_.notify_all();
  });
}

void Applier::Stop() {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    wake_.notify_all();
    // A statement blocked past the grace (a lock held on the slave's
    // database, a server that stopped answering) would hold the stop for
    // as long: end its session, and any the thread opens after.
    if (thread_.joinable() &&
        !wake_.wait_for(lock, options_.stop_grace, [&] { return loop_ended_; })) {
      aborting_ = true;
      if (session_) session_->Abort();
    }
  }
  if (thread_.joinable()) thread_.join();
}

void Applier::SetSession(std::unique_ptr<ApplySession> session) {
  {
    std::lock_guard lock(mu_);
    session.swap(session_);
    if (aborting_ && session_) session_->Abort();
  }
  // `session` now holds the old one: closed outside the lock.
}

void Applier::SetReplicationId(const std::string& replication_id) {
  std::lock_guard lock(mu_);
  replication_id_ = replication_id;
}

Status Applier::Enqueue(replication::Event event) {
  Item item;
  {
    std::lock_guard lock(mu_);
    if (event.seq <= last_queued_) return Status::Ok();  // a resend of what we already hold
    if (event.seq != last_queued_ + 1) {
      return Status::Corruption(
          fmt::format("event #{} arrived but #{} was due", event.seq, last_queued_ + 1));
    }
    last_queued_ = event.seq;
    item.event = std::move(event);
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
  return Status::Ok();
}

void Applier::EnqueueVerify(protocol::Verify request) {
  {
    std::lock_guard lock(mu_);
    Item item;
    item.verify = std::move(request);
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
}

size_t Applier::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

SlavePosition Applier::ResumePosition() const {
  std::lock_guard lock(mu_);
  return {replication_id_, last_queued_};
}

void Applier::Print(const std::string& line) const {
  if (options_.print) options_.print(line);
}

void Applier::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Applier::Counters Applier::counters() const {
  std::lock_guard lock(mu_);
  return {replication_id_, applied_seq_, queue_.size(), refused_, failed_, last_error_, waiting_};
}

void Applier::CountLocked(const protocol::Ack& ack) {
  if (ack.outcome == protocol::AckOutcome::kRefused) {
    ++refused_;
    last_error_ = fmt::format("#{} refused: {}", ack.seq, ack.message);
  } else if (ack.outcome == protocol::AckOutcome::kError) {
    ++failed_;
    last_error_ = fmt::format("#{} failed: {}", ack.seq, ack.message);
  } else {
    return;
  }
  Log(last_error_);
}

bool Applier::Pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, delay, [&] { return stopping_; });
}

void Applier::Loop() {
  db::ThreadEndGuard thread_guard;
  while (WaitForWork()) {
    const Step opened = EnsureSession();
    if (opened == Step::kFatal) return;
    if (opened == Step::kSessionLost) {
      if (!Pause(options_.reconnect_pause)) return;
      continue;
    }
    const std::vector<Item> batch = NextBatch();
    if (batch.empty()) continue;  // Resync found it all applied already
    const Step step = batch[0].verify ? AnswerVerify(*batch[0].verify) : ApplyBatch(batch);
    if (step == Step::kSessionLost) SetSession(nullptr);
    if (step == Step::kStopped || step == Step::kFatal) return;
  }
}

bool Applier::WaitForWork() {
  std::unique_lock lock(mu_);
  wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  return !stopping_;
}

Applier::Step Applier::EnsureSession() {
  if (session_) return Step::kDone;
  Result<std::unique_ptr<ApplySession>> s = open_session_();
  Status why = s.status();
  if (s.ok()) {
    SetSession(std::move(s).value());
    transactional_.clear();  // engines may have changed while we were away
    Status resynced = ReadSessionState(/*as_base=*/true);
    if (resynced.ok()) resynced = Resync();
    if (resynced.ok()) {
      if (reported_outage_) {
        Print("Local database is back; applying resumes.");
        Log("local database is back; applying resumes");
      }
      reported_outage_ = false;
      return Step::kDone;
    }
    SetSession(nullptr);
    why = resynced;
    if (resynced.code() == StatusCode::kFailedPrecondition) {
      return Fatal(resynced.message() + "; restore the row and start the slave again");
    }
  }
  if (!reported_outage_) {
    Print("Local database unavailable; applying is paused and will resume when it is back.");
    Log("local database unavailable: " + why.ToString() + "; applying is paused");
  }
  reported_outage_ = true;
  return Step::kSessionLost;
}

Status Applier::Resync() {
  Result<db::QueryResult> r =
      session_->Execute(replication::SlavePositionSelectSql(options_.meta_schema));
  if (!r.ok()) return r.status();
  Result<SlavePosition> stored = PositionFrom(*r, options_.meta_schema);
  if (!stored.ok()) return stored.status();
  std::vector<uint64_t> dropped;
  {
    std::lock_guard lock(mu_);
    while (!queue_.empty() && !queue_.front().verify &&
           queue_.front().event.seq <= stored->applied_seq) {
      dropped.push_back(queue_.front().event.seq);
      queue_.pop_front();
    }
    applied_seq_ = std::max(applied_seq_, stored->applied_seq);
  }
  if (dropped.empty()) return Status::Ok();
  Print(
      fmt::format("Events #{}..#{} were committed before the local database connection was lost; "
                  "not applying them again.",
                  dropped.front(), dropped.back()));
  for (uint64_t seq : dropped) reports_.SendAck({seq, protocol::AckOutcome::kApplied, 0, ""});
  return Status::Ok();
}

Status Applier::ReadSessionState(bool as_base) {
  Result<db::QueryResult> r = session_->Execute(replication::CarriedVariablesQuery());
  Result<std::vector<replication::SessionVariable>> values =
      r.ok() ? replication::ParseCarriedVariables(*r)
             : Result<std::vector<replication::SessionVariable>>(r.status());
  if (!values.ok()) return values.status();
  session_state_.clear();
  for (const replication::SessionVariable& v : *values) session_state_[v.name] = v.value;
  if (as_base) base_session_ = std::move(values).value();
  return Status::Ok();
}

void Applier::Read(Item* item) const {
  if (item->verify) return;
  const replication::Event& event = item->event;
  item->classes.clear();
  item->session_of.clear();
  item->writes.clear();
  // Events that hold only data changes can share a transaction: re-running
  // them after a group's rollback changes nothing outside it.
  item->data_only = true;
  int from = -1;
  for (size_t k = 0; k < event.statements.size(); ++k) {
    if (event.statements[k].context.has_session) from = static_cast<int>(k);
    item->session_of.push_back(from);
    item->classes.push_back(
        sql::Classify(event.statements[k].sql, replication::LexModeOf(SessionOf(*item, k))));
    const sql::Classification& c = item->classes.back();
    item->data_only = item->data_only && c.kind == sql::StatementKind::kDataChange;
    // The session never leaves DB_NAME (the policy refuses what would).
    for (const sql::TableRef& t : c.writes) {
      item->writes.push_back({t.schema.empty() ? options_.database : t.schema, t.table});
    }
  }
}

const std::vector<replication::SessionVariable>& Applier::SessionOf(const Item& item,
                                                                    size_t k) const {
  const int from = item.session_of[k];
  return from < 0 ? base_session_
                  : item.event.statements[static_cast<size_t>(from)].context.session;
}

std::vector<Applier::Item> Applier::NextBatch() {
  std::vector<Item> items;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return items;
    // The candidates of a group: consecutive events, while the slave is behind.
    for (size_t i = 0; i < queue_.size() && items.size() < kMaxGroup && !queue_[i].verify; ++i) {
      items.push_back(queue_[i]);
    }
    if (items.empty()) items.push_back(queue_.front());
  }
  // A group holds only data-only events.
  Read(&items[0]);
  size_t data_only = items[0].data_only ? 1 : 0;
  while (data_only > 0 && data_only < items.size()) {
    Read(&items[data_only]);
    if (!items[data_only].data_only) break;
    ++data_only;
  }
  items.resize(std::max<size_t>(data_only, 1));
  // A failed group is rolled back and its events applied again one by one:
  // only transactional tables forget the first attempt.
  if (items.size() > 1) {
    size_t keep = 0;
    while (keep < items.size() && WritesOnlyTransactional(items[keep])) ++keep;
    items.resize(std::max<size_t>(keep, 1));
  }
  return items;
}

bool Applier::WritesOnlyTransactional(const Item& item) {
  if (item.writes.empty()) return false;  // nothing named: cannot tell
  return !FirstNonTransactionalWrite(item, /*fresh=*/false).has_value();
}

std::optional<Applier::NonTransactionalWrite> Applier::FirstNonTransactionalWrite(const Item& item,
                                                                                bool fresh) {
  for (const sql::TableRef& t : item.writes) {
    const std::string key = t.schema + "." + t.table;
    if (fresh) transactional_.erase(key);
    auto it = transactional_.find(key);
    if (it == transactional_.end()) {
      Result<db::QueryResult> r = session_->Execute(fmt::format(
          "SELECT t.TABLE_TYPE, e.TRANSACTIONS FROM information_schema.TABLES t"
          " LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE"
          " WHERE t.TABLE_SCHEMA = {} AND t.TABLE_NAME = {}",
          session_->Quote(t.schema), session_->Quote(t.table)));
      // Unknown counts as non-transactional, and is asked again next time.
      if (!r.ok()) {
        return NonTransactionalWrite{key, "whose engine could not be looked up", r.status()};
      }
      if (r->rows.empty() || r->rows[0].size() != 2) {
        return NonTransactionalWrite{key, "which the catalog does not list", Status::Ok()};
      }
      if (r->rows[0][0] == "VIEW") {
        return NonTransactionalWrite{key, "a view, whose tables' engines are not looked up",
                                     Status::Ok()};
      }
      it = transactional_.emplace(key, r->rows[0][1] == "YES").first;
    }
    if (!it->second) {
      return NonTransactionalWrite{key, "whose engine has no transactions", Status::Ok()};
    }
  }
  return std::nullopt;
}

Applier::Step Applier::AnswerVerify(const protocol::Verify& request) {
  protocol::VerifyResult result;
  result.request_id = request.request_id;
  for (const std::string& table : request.tables) {
    protocol::TableChecksum t;
    t.table = table;
    Result<db::QueryResult> r =
        session_->Execute("CHECKSUM TABLE " + QuoteName(request.database) + "." + QuoteName(table));
    if (!r.ok()) {
      if (session_->IsConnectionLost(r.status())) return Step::kSessionLost;
      t.error = r.status().ToString();
    } else if (r->rows.empty() || r->rows[0].size() < 2 || !r->rows[0][1]) {
      t.error = "no such table";  // CHECKSUM TABLE answers NULL for a missing table
    } else {
      t.checksum = *r->rows[0][1];
    }
    result.tables.push_back(std::move(t));
  }
  // The tables the master did not name, so that it can report the ones it
  // lacks. Without a list the answer still holds every checksum.
  Result<db::QueryResult> list = session_->Execute("SHOW FULL TABLES FROM " +
                                                   QuoteName(request.database) +
                                                   " WHERE Table_type = 'BASE TABLE'");
  if (!list.ok() && session_->IsConnectionLost(list.status())) return Step::kSessionLost;
  const std::vector<std::string>& asked = request.tables;
  for (const db::Row& row : list.ok() ? list->rows : std::vector<db::Row>{}) {
    if (result.tables.size() + result.other_tables.size() >= protocol::kMaxVerifyTables) break;
    if (row.empty() || !row[0] || std::find(asked.begin(), asked.end(), *row[0]) != asked.end())
      continue;
    result.other_tables.push_back(*row[0]);
  }
  {
    std::lock_guard lock(mu_);
    queue_.pop_front();
  }
  reports_.SendVerifyResult(result);
  return Step::kDone;
}

Applier::Step Applier::ApplyBatch(const std::vector<Item>& items) {
  if (items.size() > 1) {
    std::vector<Outcome> outcomes(items.size());
    const Status failure = TryGroup(items, &outcomes);
    if (failure.ok()) {
      Finish(items.size(), items.back().event.seq, outcomes);
      return Step::kDone;
    }
    if (session_->IsConnectionLost(failure)) return Step::kSessionLost;
    if (failure.code() == StatusCode::kCorruption) return Fatal(failure.message());
  }
  // Alone, or isolating the event that made the group fail.
  return ApplySingle(items[0]);
}

Applier::Step Applier::ApplySingle(const Item& item) {
  const Step step = ApplyWaitingOut(item);
  SetWaiting("");
  return step;
}

void Applier::SetWaiting(std::string why) {
  std::lock_guard lock(mu_);
  waiting_ = std::move(why);
}

Applier::Step Applier::ApplyWaitingOut(const Item& item) {
  std::chrono::milliseconds delay = options_.retry_first;
  std::string_view waiting_for;  // the reason said last; a new one is said again
  for (;;) {
    std::vector<Outcome> outcomes(1);
    const Status failure = TryGroup({item}, &outcomes);
    if (failure.ok()) {
      Finish(1, item.event.seq, outcomes);
      return Step::kDone;
    }
    if (session_->IsConnectionLost(failure)) return Step::kSessionLost;
    if (failure.code() == StatusCode::kFailedPrecondition ||
        failure.code() == StatusCode::kCorruption) {
      return Fatal(failure.message());
    }
    const char* transient = TransientErrorName(failure);
    if (transient == nullptr) return GiveUp(item, failure);
    // As MySQL's replica: the rollback kept what the attempt wrote to a table
    // without transactions, so another attempt would write it twice.
    if (const auto kept = FirstNonTransactionalWrite(item, /*fresh=*/true)) {
      if (session_->IsConnectionLost(kept->lookup)) return Step::kSessionLost;
      return StopAt(item, failure,
                    fmt::format("event #{} failed with a {} ({}) and is not retried: it writes to "
                                "{}, {}, so its rollback may have kept writes that a retry would "
                                "apply twice. Its position is not advanced: check {} against the "
                                "master before starting the slave again, which applies event #{} "
                                "again",
                                item.event.seq, transient, failure.ToString(), kept->table,
                                kept->why, kept->table, item.event.seq));
    }
    if (waiting_for != transient) {
      waiting_for = transient;
      SetWaiting(fmt::format("event #{} waits: {} ({}); retrying", item.event.seq, transient,
                             failure.ToString()));
      Print(fmt::format("[#{}] waiting: {} on {}; retrying ({})", item.event.seq, transient,
                        FirstStatement(item.event), failure.ToString()));
    }
    if (!Pause(delay)) return Step::kStopped;
    delay = std::min(delay * 2, options_.retry_max);
  }
}

// The group's statements, each after its context, go to the session as one
// transaction that commits with the position (pipelined on a real
// session); the outcome lines and row counts are read from the answers.
Status Applier::TryGroup(const std::vector<Item>& items, std::vector<Outcome>* outcomes) {
  std::vector<std::string> statements;
  std::vector<std::vector<size_t>> answers_of(items.size());  // per item: its statements' answers
  for (size_t i = 0; i < items.size(); ++i) {
    const replication::Event& event = items[i].event;
    Outcome& o = (*outcomes)[i];
    o.ack.seq = event.seq;
    const std::string refusal = CheckPolicy(items[i]);
    if (!refusal.empty()) {
      o.ack.outcome = protocol::AckOutcome::kRefused;
      o.ack.message = refusal;
      o.lines = {fmt::format("[#{}] REFUSED ({}): {}", o.ack.seq, refusal, FirstStatement(event))};
      continue;
    }
    o.ack.outcome = protocol::AckOutcome::kApplied;
    for (size_t k = 0; k < event.statements.size(); ++k) {
      // The policy let through only a USE of DB_NAME, where the session
      // is: never sent, so no USE ever reaches the server.
      if (items[i].classes[k].verb == "USE") continue;
      const std::string context = ContextOf(items[i], k);
      if (!context.empty()) statements.push_back(context);
      answers_of[i].push_back(statements.size());
      statements.push_back(event.statements[k].sql);
    }
  }
  std::vector<Result<db::QueryResult>> answers;
  const Status failure =
      session_->RunTransaction(statements, PositionUpdateSql(items.back().event.seq), &answers);
  if (!failure.ok()) {
    // A failed batch may have set some session values: ask the server which.
    if (!session_->IsConnectionLost(failure)) {
      const Status read = ReadSessionState(/*as_base=*/false);
      if (!read.ok()) return read;
    }
    return failure.code() == StatusCode::kFailedPrecondition ? PositionRowMissing() : failure;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if ((*outcomes)[i].ack.outcome == protocol::AckOutcome::kApplied) {
      uint64_t rows = 0;
      for (size_t a : answers_of[i]) rows += answers[a]->affected_rows;
      DescribeApplied(items[i].event, rows, &(*outcomes)[i]);
    }
  }
  return Status::Ok();
}

// The SET that gives the session the values statement `k` runs under, as
// far as they differ from what it has; a statement that carries none runs
// under the values Read() took for it, set explicitly.
std::string Applier::ContextOf(const Item& item, size_t k) {
  const replication::StatementContext& own = item.event.statements[k].context;
  if (own.has_session) return replication::ContextSql(own, /*observed=*/true, &session_state_);
  replication::StatementContext inherited = own;
  inherited.has_session = true;
  inherited.session = SessionOf(item, k);
  return replication::ContextSql(inherited, /*observed=*/true, &session_state_);
}

void Applier::DescribeApplied(const replication::Event& event, uint64_t rows, Outcome* outcome) {
  const std::string what =
      event.statements.size() == 1
          ? Shorten(event.statements[0].sql)
          : fmt::format("transaction of {} statements", event.statements.size());
  outcome->lines.push_back(
      fmt::format("[#{}] applied: {} ({} row{})", event.seq, what, rows, rows == 1 ? "" : "s"));
  if (event.statements.size() > 1) {
    for (const replication::EventStatement& st : event.statements) {
      outcome->lines.push_back("    " + Shorten(st.sql));
    }
  }
}

Applier::Outcome Applier::FailedOutcome(const replication::Event& e, const Status& failure) {
  Outcome outcome;
  outcome.ack = {e.seq, protocol::AckOutcome::kError, failure.sql_errno(), failure.ToString()};
  outcome.lines = {fmt::format("[#{}] {}: {}", e.seq, failure.ToString(), FirstStatement(e))};
  return outcome;
}

Applier::Step Applier::StopAt(const Item& item, const Status& failure, const std::string& why) {
  const Outcome outcome = FailedOutcome(item.event, failure);
  {
    std::lock_guard lock(mu_);
    queue_.pop_front();
    CountLocked(outcome.ack);
  }
  for (const std::string& line : outcome.lines) Print(line);
  reports_.SendAck(outcome.ack);
  return Fatal(why);
}

Applier::Step Applier::GiveUp(const Item& item, const Status& failure) {
  const replication::Event& e = item.event;
  if (options_.on_error == config::ApplyErrorPolicy::kStop) {
    return StopAt(item, failure,
                  fmt::format("event #{} failed and ON_APPLY_ERROR=stop; its position is not "
                              "advanced, so it is retried when the slave starts again",
                              e.seq));
  }
  Outcome outcome = FailedOutcome(e, failure);
  std::vector<Result<db::QueryResult>> none;
  const Status s = session_->RunTransaction({}, PositionUpdateSql(e.seq), &none);
  if (!s.ok()) {
    if (s.code() == StatusCode::kFailedPrecondition) return Fatal(PositionRowMissing().message());
    return Step::kSessionLost;  // the position could not be saved: retry on a new session
  }
  Finish(1, e.seq, {outcome});
  return Step::kDone;
}

std::string Applier::PositionUpdateSql(uint64_t seq) {
  std::string replication_id;
  {
    std::lock_guard lock(mu_);
    replication_id = replication_id_;
  }
  return replication::SlavePositionUpdateSql(options_.meta_schema, session_->Quote(replication_id),
                                            seq);
}

Status Applier::PositionRowMissing() const {
  std::string replication_id;
  uint64_t applied = 0;
  {
    std::lock_guard lock(mu_);
    replication_id = replication_id_;
    applied = applied_seq_;
  }
  return Status::FailedPrecondition(fmt::format(
      "cannot save the applied position: {0}.{3} has no row with id = 1 (it was deleted?); "
      "restore it with INSERT INTO {0}.{3} (id, replication_id, applied_seq) VALUES (1, '{1}', "
      "{2}) and start the slave again",
      options_.meta_schema, replication_id, applied, replication::kSlavePositionTable));
}

void Applier::Finish(size_t count, uint64_t last_seq, const std::vector<Outcome>& outcomes) {
  {
    std::lock_guard lock(mu_);
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(count));
    applied_seq_ = last_seq;
    waiting_.clear();
    for (const Outcome& o : outcomes) CountLocked(o.ack);
  }
  for (const Outcome& o : outcomes) {
    for (const std::string& line : o.lines) Print(line);
    reports_.SendAck(o.ack);
  }
}

Applier::Step Applier::Fatal(const std::string& why) {
  Log("applying stopped: " + why);
  if (options_.on_fatal) options_.on_fatal(why);
  return Step::kFatal;
}

std::string Applier::CheckPolicy(const Item& item) const {
  const replication::Event& event = item.event;
  if (!event.database.empty() && event.database != options_.database) {
    return fmt::format("the event ran in database {} on the master; this slave applies into {} "
                       "(DB_NAME) only",
                       event.database, options_.database);
  }
  for (const replication::EventStatement& st : event.statements) {
    const std::string unsafe = replication::CheckSessionValues(st.context);
    if (!unsafe.empty()) return unsafe;
  }
  for (size_t k = 0; k < item.classes.size(); ++k) {
    const sql::Classification& c = item.classes[k];
    // The master carries the value of every user variable a statement
    // names: one it did not carry was misread there (or never sent).
    const std::vector<replication::UserVariable>& carried =
        event.statements[k].context.user_variables;
    for (const std::string& name : c.user_variables) {
      const bool found = std::any_of(
          carried.begin(), carried.end(),
          [&](const replication::UserVariable& v) { return AsciiLower(v.name) == name; });
      if (!found) return "names @" + name + ", whose value the event does not carry";
    }
    if (c.kind == sql::StatementKind::kTransaction) {
      return "transaction control inside an event is refused (the event is the transaction)";
    }
    const sql::PolicyDecision d = sql::CheckSlavePolicy(c, options_.database, options_.meta_schema);
    if (!d.allowed) return d.reason;
  }
  return "";
}

}  // namespace sqlrepl::slave
