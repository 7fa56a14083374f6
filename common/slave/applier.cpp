#include "slave/applier.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

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

std::string QuoteName(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

}  // namespace

Result<SlavePosition> OpenSlavePosition(db::Connection* conn, const std::string& meta) {
  for (const std::string& sql : {
           fmt::format("CREATE DATABASE IF NOT EXISTS `{}`", meta),
           fmt::format("CREATE TABLE IF NOT EXISTS `{}`.slave_position ("
                       " id TINYINT UNSIGNED PRIMARY KEY,"
                       " replication_id VARCHAR(64) NOT NULL,"
                       " applied_seq BIGINT UNSIGNED NOT NULL,"
                       " updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                       "   ON UPDATE CURRENT_TIMESTAMP(6)"
                       ") ENGINE=InnoDB",
                       meta),
           fmt::format("INSERT IGNORE INTO `{}`.slave_position (id, replication_id, applied_seq) "
                       "VALUES (1, '', 0)",
                       meta),
       }) {
    Status s = conn->Run(sql);
    if (!s.ok()) return s;
  }
  Result<db::QueryResult> r = conn->Execute(
      fmt::format("SELECT replication_id, applied_seq FROM `{}`.slave_position WHERE id = 1", meta));
  if (!r.ok()) return r.status();
  SlavePosition p;
  p.replication_id = r->rows[0][0].value_or("");
  p.applied_seq = std::strtoull(r->rows[0][1].value_or("0").c_str(), nullptr, 10);
  return p;
}

Applier::Applier(Options options, SlavePosition start)
    : options_(std::move(options)), applied_(std::move(start)), last_queued_(applied_.applied_seq) {}

Applier::~Applier() { Stop(); }

void Applier::Start() { thread_ = std::thread([this] { Loop(); }); }

void Applier::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Applier::Enqueue(replication::Event event, const std::string& replication_id) {
  Item item;
  item.classes.reserve(event.statements.size());
  // Events that hold only data changes can share a transaction: re-running
  // them after a group's rollback changes nothing outside it.
  item.data_only = true;
  for (const replication::EventStatement& s : event.statements) {
    item.classes.push_back(sql::Classify(s.sql));
    item.data_only = item.data_only && item.classes.back().kind == sql::StatementKind::kDataChange;
  }
  {
    std::lock_guard lock(mu_);
    if (event.seq <= last_queued_) return Status::Ok();  // a resend of what we already hold
    if (event.seq != last_queued_ + 1) {
      return Status::Corruption(
          fmt::format("event #{} arrived but #{} was due", event.seq, last_queued_ + 1));
    }
    last_queued_ = event.seq;
    item.event = std::move(event);
    item.replication_id = replication_id;
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

bool Applier::RunVerify(const protocol::Verify& request) {
  protocol::VerifyResult result;
  result.request_id = request.request_id;
  for (const std::string& table : request.tables) {
    protocol::TableChecksum t;
    t.table = table;
    Result<db::QueryResult> r =
        conn_->Execute("CHECKSUM TABLE " + QuoteName(request.database) + "." + QuoteName(table));
    if (!r.ok()) {
      if (db::IsConnectionLost(r.status())) return false;
      t.error = r.status().ToString();
    } else if (r->rows.empty() || r->rows[0].size() < 2 || !r->rows[0][1]) {
      t.error = "no such table";  // CHECKSUM TABLE answers NULL for a missing table
    } else {
      t.checksum = *r->rows[0][1];
    }
    result.tables.push_back(std::move(t));
  }
  if (options_.on_verify) options_.on_verify(result);
  return true;
}

size_t Applier::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

SlavePosition Applier::ResumePosition() const {
  std::lock_guard lock(mu_);
  SlavePosition p = applied_;
  p.applied_seq = last_queued_;
  for (const Item& item : queue_) {
    if (!item.verify) p.replication_id = item.replication_id;
  }
  return p;
}

bool Applier::EnsureConnected() {
  if (conn_) return true;
  Result<db::Connection> c = db::Connection::Open(options_.db);
  if (!c.ok()) return false;
  conn_.emplace(std::move(c).value());
  current_database_ = options_.db.database;
  return true;
}

std::string Applier::CheckPolicy(const Item& item) const {
  std::string database = item.event.database;
  for (const sql::Classification& c : item.classes) {
    if (c.kind == sql::StatementKind::kTransaction) {
      return "transaction control inside an event is refused (the event is the transaction)";
    }
    const sql::PolicyDecision d = sql::CheckSlavePolicy(c, database, options_.meta_schema);
    if (!d.allowed) return d.reason;
    if (!c.use_database.empty()) database = c.use_database;
  }
  return "";
}

Status Applier::SavePosition(const std::string& replication_id, uint64_t seq) {
  return conn_->Run(fmt::format(
      "UPDATE `{}`.slave_position SET replication_id = {}, applied_seq = {} WHERE id = 1",
      options_.meta_schema, conn_->Quote(replication_id), seq));
}

Status Applier::RunEventStatements(const Item& item, Outcome* outcome) {
  const replication::Event& event = item.event;
  if (event.database != current_database_ && !event.database.empty()) {
    Status s = conn_->Run("USE " + QuoteName(event.database));
    if (!s.ok()) return s;
    current_database_ = event.database;
  }
  uint64_t rows = 0;
  for (size_t i = 0; i < event.statements.size(); ++i) {
    const replication::EventStatement& st = event.statements[i];
    const std::string context = replication::ContextSql(st.context, /*observed=*/true);
    if (!context.empty()) {
      Status s = conn_->Run(context);
      if (!s.ok()) return s;
    }
    Result<db::QueryResult> r = conn_->Execute(st.sql);
    if (!r.ok()) return r.status();
    rows += r->affected_rows;
    if (!item.classes[i].use_database.empty()) current_database_ = item.classes[i].use_database;
  }
  const std::string what = event.statements.size() == 1
                               ? Shorten(event.statements[0].sql)
                               : fmt::format("transaction of {} statements", event.statements.size());
  outcome->lines.push_back(
      fmt::format("[#{}] applied: {} ({} row{})", event.seq, what, rows, rows == 1 ? "" : "s"));
  if (event.statements.size() > 1) {
    for (const replication::EventStatement& st : event.statements) outcome->lines.push_back("    " + Shorten(st.sql));
  }
  return Status::Ok();
}

bool Applier::TryGroup(const std::vector<Item>& items, std::vector<Outcome>* outcomes, Status* failure) {
  *failure = conn_->Run("BEGIN");
  for (size_t i = 0; failure->ok() && i < items.size(); ++i) {
    Outcome& o = (*outcomes)[i];
    o.ack.seq = items[i].event.seq;
    const std::string refusal = CheckPolicy(items[i]);
    if (!refusal.empty()) {
      o.ack.outcome = protocol::AckOutcome::kRefused;
      o.ack.message = refusal;
      o.lines = {fmt::format("[#{}] REFUSED ({}): {}", o.ack.seq, refusal,
                             Shorten(items[i].event.statements.empty() ? "" : items[i].event.statements[0].sql))};
      continue;
    }
    o.ack.outcome = protocol::AckOutcome::kApplied;
    *failure = RunEventStatements(items[i], &o);
  }
  if (failure->ok()) *failure = SavePosition(items.back().replication_id, items.back().event.seq);
  if (failure->ok()) *failure = conn_->Run("COMMIT");
  if (!failure->ok()) {
    (void)conn_->Run("ROLLBACK");
    return false;
  }
  return true;
}

bool Applier::ApplyOne(const Item& item, Outcome* outcome) {
  std::vector<Outcome> outcomes(1);
  Status failure;
  if (TryGroup({item}, &outcomes, &failure)) {
    *outcome = std::move(outcomes[0]);
    return true;
  }
  if (db::IsConnectionLost(failure)) return false;
  // The event cannot be applied here: report it, and skip it or stop.
  const replication::Event& e = item.event;
  outcome->ack = {e.seq, protocol::AckOutcome::kError, failure.sql_errno(), failure.ToString()};
  outcome->lines = {fmt::format("[#{}] {}: {}", e.seq, failure.ToString(),
                                Shorten(e.statements.empty() ? "" : e.statements[0].sql))};
  if (options_.on_error == config::ApplyErrorPolicy::kStop) return true;
  Status s = conn_->Run("BEGIN");
  if (s.ok()) s = SavePosition(item.replication_id, e.seq);
  if (s.ok()) s = conn_->Run("COMMIT");
  if (!s.ok()) {
    (void)conn_->Run("ROLLBACK");
    return false;  // the position could not be saved: retry the event
  }
  return true;
}

void Applier::Loop() {
  db::ThreadEndGuard thread_guard;
  bool reported_outage = false;
  for (;;) {
    std::vector<Item> items;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // A group: consecutive data-only events, while the slave is behind.
      items.push_back(queue_.front());
      const bool groupable = !items[0].verify && items[0].data_only;
      for (size_t i = 1; groupable && i < queue_.size() && items.size() < kMaxGroup; ++i) {
        if (queue_[i].verify || !queue_[i].data_only) break;
        items.push_back(queue_[i]);
      }
    }
    if (!EnsureConnected()) {
      if (!reported_outage && options_.print) {
        options_.print("Local database unavailable; applying is paused and will resume when it is back.");
      }
      reported_outage = true;
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    if (reported_outage && options_.print) options_.print("Local database is back; applying resumes.");
    reported_outage = false;
    if (items[0].verify) {
      if (!RunVerify(*items[0].verify)) {
        conn_.reset();
        continue;
      }
      std::lock_guard lock(mu_);
      queue_.pop_front();
      continue;
    }

    std::vector<Outcome> outcomes(items.size());
    Status failure;
    bool done = items.size() > 1 && TryGroup(items, &outcomes, &failure);
    if (!done && items.size() > 1 && db::IsConnectionLost(failure)) {
      conn_.reset();
      continue;
    }
    if (!done) {  // isolate: apply the first event alone
      items.resize(1);
      outcomes.resize(1);
      if (!ApplyOne(items[0], &outcomes[0])) {
        conn_.reset();
        continue;
      }
    }
    const bool fatal = outcomes.back().ack.outcome == protocol::AckOutcome::kError &&
                       options_.on_error == config::ApplyErrorPolicy::kStop;
    {
      std::lock_guard lock(mu_);
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(items.size()));
      if (!fatal) {
        applied_.replication_id = items.back().replication_id;
        applied_.applied_seq = items.back().event.seq;
      }
    }
    for (const Outcome& o : outcomes) {
      if (options_.print) {
        for (const std::string& line : o.lines) options_.print(line);
      }
      if (options_.on_ack) options_.on_ack(o.ack);
    }
    if (fatal) {
      if (options_.on_fatal) {
        options_.on_fatal(fmt::format("event #{} failed and ON_APPLY_ERROR=stop; its position is not "
                                      "advanced, so it is retried when the slave starts again",
                                      items.back().event.seq));
      }
      return;
    }
  }
}

}  // namespace sqlrepl::slave
