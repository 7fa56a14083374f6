#include "master/verifier.hpp"

#include <fmt/format.h>

namespace sqlrepl::master {

Result<VerifyReport> Verifier::Run(const std::string& database, std::vector<std::string> tables,
                                   const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  if (tables.empty()) {
    Result<db::QueryResult> list = conn_->Execute(
        fmt::format("SHOW FULL TABLES FROM `{}` WHERE Table_type = 'BASE TABLE'", database));
    if (!list.ok()) {
      return Status::FailedPrecondition(
          fmt::format("cannot list the tables of {}: {}", database, list.status().ToString()));
    }
    for (const db::Row& row : list->rows) tables.push_back(row[0].value_or(""));
  }
  VerifyReport report;
  report.slaves = registry_->ConnectedSlaves();
  if (report.slaves.empty()) return Status::FailedPrecondition("no slave connected, nothing to verify");
  if (tables.empty()) return Status::FailedPrecondition("no table to verify in " + database);

  // 1.
  const Status interrupted = Status::Unavailable("\\verify stopped (Ctrl-C); nothing was compared");
  const uint64_t seq = log_->last_seq();
  bool stopped = false;
  if (seq > 0) registry_->WaitFor(seq, report.slaves, Clock::now() + kWait, stop, &stopped);
  if (stopped) return interrupted;
  // 2.
  std::map<std::string, std::string> master;
  for (const std::string& t : tables) {
    Result<db::QueryResult> r = conn_->Execute(fmt::format("CHECKSUM TABLE `{}`.`{}`", database, t));
    master[t] = r.ok() && !r->rows.empty() && r->rows[0].size() > 1 && r->rows[0][1] ? *r->rows[0][1]
                                                                                      : "missing";
  }
  const uint64_t id = next_request_id_++;
  server_->SendVerify(protocol::Verify{id, database, tables});
  const std::map<std::string, protocol::VerifyResult> answers =
      registry_->WaitForVerify(id, report.slaves, Clock::now() + kWait, stop, &stopped);
  if (stopped) return interrupted;
  for (const std::string& s : report.slaves) {
    if (answers.count(s) == 0) report.unanswered.push_back(s);
  }
  // 3.
  for (size_t i = 0; i < tables.size(); ++i) {
    TableComparison c;
    c.table = tables[i];
    c.master = master[tables[i]];
    c.same = c.master != "missing";
    bool differs = c.master == "missing";
    for (const std::string& s : report.slaves) {
      auto it = answers.find(s);
      std::string value = "no answer";
      if (it != answers.end() && i < it->second.tables.size()) {
        const protocol::TableChecksum& checksum = it->second.tables[i];
        value = checksum.error.empty() ? checksum.checksum : "missing";
        differs = differs || value != c.master;
      } else {
        c.unanswered = true;
      }
      c.same = c.same && value == c.master;
      c.slaves.push_back(std::move(value));
    }
    c.different = differs;
    if (differs) ++report.differences;
    report.tables.push_back(std::move(c));
  }
  return report;
}

}  // namespace sqlrepl::master
