#include "http/slave_api.hpp"

#include <fmt/format.h>

#include "app/startup.hpp"
#include "console/slave_shell.hpp"
#include "db/server_errors.hpp"
#include "http/json_views.hpp"
#include "http/metrics_text.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::http {
namespace {

uint64_t Lag(const slave::MasterLink::State& link, const slave::Applier::Counters& c) {
  return link.master_last_seq > c.applied_seq ? link.master_last_seq - c.applied_seq : 0;
}

}  // namespace

nlohmann::json SlaveApi::Status() {
  const slave::MasterLink::State link = link_->state();
  const slave::Applier::Counters c = applier_->counters();
  const auto now = Clock::now();
  nlohmann::json heard = nullptr;
  if (link.last_heard != Clock::time_point{}) {
    heard = std::chrono::duration_cast<std::chrono::milliseconds>(now - link.last_heard).count();
  }
  return {{"role", "slave"},
          {"node", options_.slave_id},
          {"version", app::kVersion},
          {"replication_id", c.replication_id},
          {"last_seq", link.master_last_seq},
          {"uptime_seconds",
           std::chrono::duration_cast<std::chrono::seconds>(now - started_).count()},
          {"tls", options_.tls},
          {"master",
           {{"address", options_.master},
            {"link", link.connection},
            {"connected", link.connected},
            {"last_heard_ms_ago", heard}}},
          {"applied_seq", c.applied_seq},
          {"lag_events", Lag(link, c)},
          // The slave has no clock of the master's to compare with (slave_status.hpp).
          {"lag_ms", nullptr},
          {"queued", c.queued},
          {"refused", c.refused},
          {"failed", c.failed},
          {"last_error", c.last_error},
          {"waiting", c.waiting}};
}

bool SlaveApi::IsReplica(uint64_t max_lag, std::string* why) {
  const slave::MasterLink::State link = link_->state();
  if (!link.connected) {
    *why = "not connected to the master: " + link.connection;
    return false;
  }
  const uint64_t lag = Lag(link, applier_->counters());
  if (lag > max_lag) {
    *why = fmt::format("{} event{} behind the master (at most {} asked)", lag, lag == 1 ? "" : "s",
                       max_lag);
    return false;
  }
  return true;
}

std::string SlaveApi::Metrics() {
  const slave::MasterLink::State link = link_->state();
  const slave::Applier::Counters c = applier_->counters();
  const Labels slave{{"slave", options_.slave_id}};
  MetricsText m;
  m.Family("sqlrepl_up", "gauge", "1 while the node serves; role as a label.");
  m.Sample("sqlrepl_up", {{"role", "slave"}}, 1);
  m.Family("sqlrepl_master_link_up", "gauge", "1 while connected to the master.");
  m.Sample("sqlrepl_master_link_up", slave, link.connected ? 1 : 0);
  m.Family("sqlrepl_slave_applied_seq", "gauge", "The last event applied, refused or failed.");
  m.Sample("sqlrepl_slave_applied_seq", slave, static_cast<double>(c.applied_seq));
  m.Family("sqlrepl_slave_lag_events", "gauge",
           "Events behind the master's last event, as last heard from it.");
  m.Sample("sqlrepl_slave_lag_events", slave, static_cast<double>(Lag(link, c)));
  m.Family("sqlrepl_slave_queued_events", "gauge", "Events received, not applied yet.");
  m.Sample("sqlrepl_slave_queued_events", slave, static_cast<double>(c.queued));
  m.Family("sqlrepl_slave_events_refused_total", "counter", "Events refused since start.");
  m.Sample("sqlrepl_slave_events_refused_total", slave, static_cast<double>(c.refused));
  m.Family("sqlrepl_slave_events_failed_total", "counter", "Events that failed since start.");
  m.Sample("sqlrepl_slave_events_failed_total", slave, static_cast<double>(c.failed));
  return m.text();
}

Answer SlaveApi::Events(uint64_t, size_t) {
  return ErrorAnswer(404, fmt::format("this slave keeps no replication log; ask the master ({})",
                                      options_.master));
}

Result<db::QueryResult> SlaveApi::Read(const std::string& sql) {
  if (!session_) {
    Result<db::Connection> opened = db::Connection::Open(options_.db);
    if (!opened.ok()) return opened.status();
    // As the prompt's session: a read the classifier misjudged still cannot write.
    Result<db::QueryResult> ro = opened->Execute("SET SESSION TRANSACTION READ ONLY");
    if (!ro.ok()) return ro.status();
    session_.emplace(std::move(opened).value());
  }
  Result<db::QueryResult> r = session_->Execute(sql);
  if (!r.ok() && r.status().code() != StatusCode::kSqlError) session_.reset();
  return r;
}

Answer SlaveApi::Sql(const SqlRequest& request) {
  const std::string refusal = console::SlaveShell::RefusalLine(
      {options_.slave_id, options_.database, options_.master});
  std::vector<std::string> texts;
  for (const std::string& text : request.statements) {
    const sql::Classification c = sql::Classify(text);
    if (c.kind == sql::StatementKind::kEmpty) continue;
    // Nothing runs unless every statement is a read: a script is refused whole.
    if (c.kind != sql::StatementKind::kRead || c.multiple_statements) {
      return ErrorAnswer(403, refusal);
    }
    texts.push_back(text);
  }
  nlohmann::json results = nlohmann::json::array();
  bool ok = true;
  std::lock_guard lock(session_mu_);
  for (const std::string& text : texts) {
    nlohmann::json one = {{"statement", text}};
    Result<db::QueryResult> r = Read(text);
    if (r.ok()) {
      one.update(ResultJson(*r));
      one["ok"] = true;
    } else if (r.status().code() == StatusCode::kSqlError &&
               r.status().sql_errno() == db::kErReadOnlyTransaction) {
      return ErrorAnswer(403, refusal);  // a write the classifier did not see
    } else {
      ok = false;
      AddError(r.status(), &one);
    }
    results.push_back(std::move(one));
    if (!ok && !request.force) break;
  }
  return Answer{200, {{"ok", ok}, {"results", std::move(results)}}};
}

}  // namespace sqlrepl::http
