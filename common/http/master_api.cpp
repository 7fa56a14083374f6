#include "http/master_api.hpp"

#include <fmt/format.h>

#include "app/startup.hpp"
#include "base/strings.hpp"
#include "console/replication_report.hpp"
#include "console/write_text.hpp"
#include "http/http_rules.hpp"
#include "http/json_views.hpp"
#include "replication/event.hpp"
#include "sql/classifier.hpp"
#include "sql/redact.hpp"

namespace sqlrepl::http {
namespace {

const char* OutcomeName(feed::SlaveOutcome::Kind kind) {
  switch (kind) {
    case feed::SlaveOutcome::kApplied:
      return "applied";
    case feed::SlaveOutcome::kRefused:
      return "refused";
    case feed::SlaveOutcome::kError:
      return "failed";
    case feed::SlaveOutcome::kNoAck:
      return "no_ack";
    case feed::SlaveOutcome::kLagging:
      return "lagging";
  }
  return "no_ack";
}

}  // namespace

MasterApi::MasterApi(Options options, master::MasterExecutor* executor,
                     std::timed_mutex* write_path, feed::SlaveRegistry* registry,
                     const log::ReplicationLog* log, const ReplicationStats* stats)
    : options_(std::move(options)),
      executor_(executor),
      write_path_(write_path),
      registry_(registry),
      log_(log),
      stats_(stats) {}

Result<db::QueryResult> MasterApi::Read(const std::string& sql) {
  if (!reader_) {
    Result<db::Connection> opened = db::Connection::Open(options_.db);
    if (!opened.ok()) return opened.status();
    reader_.emplace(std::move(opened).value());
  }
  Result<db::QueryResult> r = reader_->Execute(sql);
  // A lost session is opened again with the next request.
  if (!r.ok() && r.status().code() != StatusCode::kSqlError) reader_.reset();
  return r;
}

nlohmann::json MasterApi::Status() {
  const uint64_t last_seq = log_->last_seq();
  nlohmann::json slaves = nlohmann::json::array();
  for (const feed::SlaveInfo& s : registry_->Snapshot()) {
    const uint64_t lag = last_seq > s.applied_seq ? last_seq - s.applied_seq : 0;
    std::optional<int64_t> lag_ms = lag == 0 ? std::optional<int64_t>(0)
                                             : stats_->AgeMs(s.applied_seq + 1);
    slaves.push_back({{"id", s.id},
                      {"address", s.address},
                      {"state", feed::SlaveStateName(s.state)},
                      {"provisioned_percent", s.provisioned_percent},
                      {"lagging", s.lagging},
                      {"applied_seq", s.applied_seq},
                      {"lag_events", lag},
                      {"lag_ms", lag_ms ? nlohmann::json(*lag_ms) : nlohmann::json(nullptr)},
                      {"refused", s.refused},
                      {"failed", s.failed},
                      {"last_error", s.last_error}});
  }
  std::string server_version;  // copied under the lock: another request may be setting it
  {
    std::lock_guard lock(reader_mu_);
    if (server_version_.empty()) {
      Result<db::QueryResult> v = Read("SELECT VERSION()");
      if (v.ok() && !v->rows.empty() && !v->rows[0].empty() && v->rows[0][0]) {
        server_version_ = *v->rows[0][0];
      }
    }
    server_version = server_version_;
  }
  return {{"role", "master"},
          {"node", options_.node},
          {"version", app::kVersion},
          {"server_version", server_version},
          {"replication_id", log_->replication_id()},
          {"last_seq", last_seq},
          {"uptime_seconds",
           std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count()},
          {"tls", options_.tls},
          {"listen", options_.replication},
          {"slaves", std::move(slaves)}};
}

bool MasterApi::IsReplica(uint64_t, std::string* why) {
  *why = "this node is the master";
  return false;
}

std::string MasterApi::Metrics() {
  MetricsText m;
  const uint64_t last_seq = log_->last_seq();
  m.Family("sqlrepl_up", "gauge", "1 while the node serves; role as a label.");
  m.Sample("sqlrepl_up", {{"role", "master"}}, 1);
  m.Family("sqlrepl_log_last_seq", "gauge", "The newest sequence number of the replication log.");
  m.Sample("sqlrepl_log_last_seq", {}, static_cast<double>(last_seq));
  stats_->WriteMetrics(&m);
  const std::vector<feed::SlaveInfo> slaves = registry_->Snapshot();
  size_t connected = 0;
  for (const feed::SlaveInfo& s : slaves) connected += s.state != feed::SlaveState::kOffline;
  m.Family("sqlrepl_connected_slaves", "gauge", "Slaves connected now.");
  m.Sample("sqlrepl_connected_slaves", {}, static_cast<double>(connected));
  m.Family("sqlrepl_slave_lag_events", "gauge", "Events each slave has yet to acknowledge.");
  for (const feed::SlaveInfo& s : slaves) {
    m.Sample("sqlrepl_slave_lag_events", {{"slave", s.id}},
             static_cast<double>(last_seq > s.applied_seq ? last_seq - s.applied_seq : 0));
  }
  m.Family("sqlrepl_slave_lag_seconds", "gauge",
           "Age of the oldest event each slave has yet to acknowledge (0 when none; absent "
           "when that event was published before this master started).");
  for (const feed::SlaveInfo& s : slaves) {
    if (s.applied_seq >= last_seq) {
      m.Sample("sqlrepl_slave_lag_seconds", {{"slave", s.id}}, 0);
    } else if (std::optional<int64_t> ms = stats_->AgeMs(s.applied_seq + 1)) {
      m.Sample("sqlrepl_slave_lag_seconds", {{"slave", s.id}}, static_cast<double>(*ms) / 1000);
    }
  }
  m.Family("sqlrepl_slave_connected", "gauge", "1 while the slave is connected, 0 otherwise.");
  for (const feed::SlaveInfo& s : slaves) {
    m.Sample("sqlrepl_slave_connected", {{"slave", s.id}},
             s.state != feed::SlaveState::kOffline ? 1 : 0);
  }
  std::lock_guard lock(reader_mu_);
  Result<db::QueryResult> size = Read(fmt::format(
      // The purger deletes from the oldest end and numbers have no gaps: the
      // range's width counts the events from the index, where COUNT(*)
      // would scan a log of millions at every scrape.
      "SELECT (SELECT COALESCE(MAX(seq) - MIN(seq) + 1, 0) FROM {0}.log), "
      "(SELECT DATA_LENGTH + INDEX_LENGTH FROM "
      "information_schema.TABLES WHERE TABLE_SCHEMA = '{1}' AND TABLE_NAME = 'log')",
      QuoteName(options_.meta_schema), options_.meta_schema));
  if (size.ok() && !size->rows.empty() && size->rows[0].size() == 2) {
    m.Family("sqlrepl_log_events", "gauge", "Events held in the replication log.");
    m.Sample("sqlrepl_log_events", {}, std::stod(size->rows[0][0].value_or("0")));
    m.Family("sqlrepl_log_bytes", "gauge",
             "Size of the replication log table, as InnoDB reports it.");
    m.Sample("sqlrepl_log_bytes", {}, std::stod(size->rows[0][1].value_or("0")));
  }
  return m.text();
}

Answer MasterApi::Events(uint64_t after, size_t limit) {
  std::lock_guard lock(reader_mu_);
  Result<db::QueryResult> rows = Read(fmt::format(
      "SELECT seq, DATE_FORMAT(committed_at, '%Y-%m-%dT%H:%i:%s.%f'), event FROM {}.log WHERE "
      "seq > {} ORDER BY seq LIMIT {}",
      QuoteName(options_.meta_schema), after, limit));
  if (!rows.ok())
    return ErrorAnswer(503, "cannot read the replication log: " + rows.status().ToString());
  nlohmann::json events = nlohmann::json::array();
  for (const db::Row& row : rows->rows) {
    if (row.size() != 3 || !row[2]) continue;
    Result<replication::Event> event = replication::DecodeEvent(*row[2]);
    if (!event.ok()) continue;
    nlohmann::json statements = nlohmann::json::array();
    // The log holds statements as logged: passwords already redacted.
    for (const replication::EventStatement& st : event->statements) statements.push_back(st.sql);
    // As /api/sql's "slaves": one object per slave that answered.
    nlohmann::json outcomes = nlohmann::json::array();
    for (const auto& [id, answer] : stats_->Outcomes(event->seq)) {
      outcomes.push_back({{"id", id}, {"outcome", answer.outcome}, {"message", answer.message}});
    }
    events.push_back({{"seq", event->seq},
                      {"committed_at", row[1].value_or("")},
                      {"database", event->database},
                      {"statements", std::move(statements)},
                      {"outcomes", std::move(outcomes)}});
  }
  return Answer{200, {{"last_seq", log_->last_seq()}, {"events", std::move(events)}}};
}

MasterApi::Ran MasterApi::RunOne(const std::string& text, std::string* database) {
  Ran ran;
  // Echoed as every echo of the master's: passwords redacted.
  ran.json = {{"statement", sql::RedactPasswords(text)}};
  // As the prompt: a NUL byte cannot be sent as text.
  if (text.find('\0') != std::string::npos) {
    AddError(Status::InvalidArgument("ASCII '\\0' appeared in the statement, which is not allowed"),
             &ran.json);
    return ran;
  }
  const sql::Classification c = sql::Classify(text, executor_->CurrentLexMode());
  master::Executed e = executor_->Execute(text, c, *database);
  ran.committed = std::move(e.committed);
  ran.committed_at = Clock::now();
  nlohmann::json notes = nlohmann::json::array();
  if (e.lost) notes.push_back("the session was lost: " + e.lost->ToString());
  for (const master::Note& n : e.reconnect_notes) notes.push_back(console::NoteText(n));
  for (const std::string& u : e.unsafe) {
    notes.push_back("Warning: " + u + "; slaves may end up with different data");
  }
  for (const master::Note& n : e.notes) notes.push_back(console::NoteText(n));
  if (e.result.ok()) {
    ran.ok = true;
    ran.json.update(ResultJson(*e.result));
    ran.json["ok"] = true;
    if (!c.use_database.empty()) *database = c.use_database;
  } else {
    AddError(console::ShownError(e), &ran.json);
  }
  ran.json["notes"] = std::move(notes);
  return ran;
}

MasterApi::Refusal MasterApi::CheckSession(const SqlRequest& request) const {
  for (const std::string& text : request.statements) {
    std::string why = SessionChangeRefusal(sql::Classify(text, executor_->CurrentLexMode()));
    if (!why.empty()) return {403, std::move(why)};
  }
  return {};
}

std::vector<MasterApi::Ran> MasterApi::RunHeld(const SqlRequest& request, Refusal* refusal) {
  std::vector<Ran> out;
  // What the request is decides first; then whether the prompt lets it run.
  *refusal = CheckSession(request);
  if (refusal->status != 0) return out;
  // The prompt's open transaction is the prompt's: a statement from here
  // would join it.
  if (executor_->in_transaction()) {
    *refusal = {409, "a transaction is open at the master's prompt; try again once it ends"};
    return out;
  }
  // The session's current database, which the prompt may have changed (USE).
  const std::string ask = "SELECT DATABASE()";
  std::string original;
  master::Executed db = executor_->Execute(ask, sql::Classify(ask), "");
  if (db.result.ok() && !db.result->rows.empty() && !db.result->rows[0].empty()) {
    original = db.result->rows[0][0].value_or("");
  }
  std::string database = original;
  // A reconnection that question caused is said with the first statement.
  nlohmann::json said = nlohmann::json::array();
  if (db.lost) said.push_back("the session was lost: " + db.lost->ToString());
  for (const master::Note& n : db.reconnect_notes) said.push_back(console::NoteText(n));
  for (const std::string& text : request.statements) {
    out.push_back(RunOne(text, &database));
    if (!said.empty()) {
      nlohmann::json& notes = out.back().json["notes"];
      said.insert(said.end(), notes.begin(), notes.end());
      notes = std::move(said);
      said = nlohmann::json::array();
    }
    if (!out.back().ok && !request.force) break;
  }
  // The prompt carries on where it was: no transaction of ours left open,
  // its database current again.
  if (executor_->in_transaction()) {
    Ran rollback = RunOne("ROLLBACK", &database);
    rollback.json["notes"].push_back("the request left a transaction open: rolled back");
    out.push_back(std::move(rollback));
  }
  if (database != original && !original.empty()) RunOne("USE " + QuoteName(original), &database);
  return out;
}

nlohmann::json MasterApi::AwaitReplication(const Ran& ran) {
  nlohmann::json slaves = nlohmann::json::array();
  std::string summary;
  const std::vector<std::string> connected = registry_->ConnectedSlaves();
  const auto deadline = ran.committed_at + std::chrono::milliseconds(options_.ack_timeout_ms);
  for (uint64_t seq : ran.committed) {
    const std::vector<feed::SlaveOutcome> outcomes = registry_->WaitFor(seq, connected, deadline);
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - ran.committed_at).count();
    summary += console::FormatOutcomes(seq, outcomes, ms, options_.ack_timeout_ms,
                                       registry_->Snapshot());
    for (const feed::SlaveOutcome& o : outcomes) {
      slaves.push_back({{"id", o.slave_id},
                        {"seq", seq},
                        {"outcome", OutcomeName(o.kind)},
                        {"message", o.message}});
    }
  }
  if (!summary.empty() && summary.back() == '\n') summary.pop_back();
  return {{"summary", summary}, {"events", ran.committed}, {"slaves", std::move(slaves)}};
}

Answer MasterApi::Sql(const SqlRequest& request) {
  std::vector<Ran> ran;
  Refusal refusal;
  {
    // A statement at the prompt or from another request may hold the
    // write path for minutes (a long query, \verify, a wait for disk
    // space): a request does not hold a worker that long, which /health
    // and /primary need.
    std::unique_lock lock(*write_path_, std::chrono::seconds(kWritePathWaitSeconds));
    if (!lock.owns_lock()) {
      return ErrorAnswer(409, fmt::format("another statement (at the prompt or from another "
                                          "request) has run for over {} s; try again when it ends",
                                          kWritePathWaitSeconds));
    }
    ran = RunHeld(request, &refusal);
  }
  if (refusal.status != 0) return ErrorAnswer(refusal.status, refusal.why);
  // Waited for outside the write path: the prompt and other requests go on.
  nlohmann::json results = nlohmann::json::array();
  bool ok = true;
  for (Ran& r : ran) {
    ok = ok && r.ok;
    if (!r.committed.empty()) r.json["replication"] = AwaitReplication(r);
    results.push_back(std::move(r.json));
  }
  return Answer{200, {{"ok", ok}, {"results", std::move(results)}}};
}

}  // namespace sqlrepl::http
