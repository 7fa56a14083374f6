#include "master/verifier.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sqlrepl::master {

namespace {

// Step 3 for one table: the master's checksum against each slave's answer.
TableComparison Compare(size_t i, const std::string& table, const std::string& master,
                        const std::vector<std::string>& slaves,
                        const std::map<std::string, protocol::VerifyResult>& answers) {
  TableComparison c;
  c.table = table;
  c.master = master;
  c.same = c.master != "missing";
  c.different = c.master == "missing";
  for (const std::string& s : slaves) {
    auto it = answers.find(s);
    std::string value = "no answer";
    if (it != answers.end() && i < it->second.tables.size()) {
      const protocol::TableChecksum& checksum = it->second.tables[i];
      value = checksum.error.empty() ? checksum.checksum : "missing";
      c.different = c.different || value != c.master;
    } else {
      c.unanswered = true;
    }
    c.same = c.same && value == c.master;
    c.slaves.push_back(std::move(value));
  }
  return c;
}

// Step 3 for what the slaves hold besides: the tables the master lacks.
std::vector<SlaveOnlyTable> SlaveOnly(
    const std::vector<std::string>& master_tables,
    const std::map<std::string, protocol::VerifyResult>& answers) {
  std::vector<SlaveOnlyTable> out;
  for (const auto& [slave, answer] : answers) {
    std::vector<std::string> tables = answer.other_tables;
    std::sort(tables.begin(), tables.end());
    for (const std::string& t : tables) {
      if (std::find(master_tables.begin(), master_tables.end(), t) == master_tables.end())
        out.push_back({slave, t});
    }
  }
  return out;
}

}  // namespace

Status Verifier::ListTables(const std::string& database, std::vector<std::string>* tables) {
  Result<db::QueryResult> list = conn_->Execute(
      fmt::format("SHOW FULL TABLES FROM `{}` WHERE Table_type = 'BASE TABLE'", database));
  if (!list.ok()) {
    return Status::FailedPrecondition(
        fmt::format("cannot list the tables of {}: {}", database, list.status().ToString()));
  }
  for (const db::Row& row : list->rows) tables->push_back(row[0].value_or(""));
  return Status::Ok();
}

std::string Verifier::MasterChecksum(const std::string& database, const std::string& table) {
  Result<db::QueryResult> r =
      conn_->Execute(fmt::format("CHECKSUM TABLE `{}`.`{}`", database, table));
  const bool found = r.ok() && !r->rows.empty() && r->rows[0].size() > 1 && r->rows[0][1];
  return found ? *r->rows[0][1] : "missing";
}

Result<VerifyReport> Verifier::Run(const std::string& database, std::vector<std::string> tables,
                                   const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  const bool every_table = tables.empty();
  if (every_table) {
    const Status listed = ListTables(database, &tables);
    if (!listed.ok()) return listed;
  }
  VerifyReport report;
  report.slaves = registry_->ConnectedSlaves();
  if (report.slaves.empty())
    return Status::FailedPrecondition("no slave connected, nothing to verify");
  if (tables.empty()) return Status::FailedPrecondition("no table to verify in " + database);

  // 1.
  const Status interrupted = Status::Unavailable("\\verify stopped (Ctrl-C); nothing was compared");
  const uint64_t seq = log_->last_seq();
  bool stopped = false;
  if (seq > 0) registry_->WaitFor(seq, report.slaves, Clock::now() + kWait, stop, &stopped);
  if (stopped) return interrupted;
  // 2.
  std::vector<std::string> master;
  for (const std::string& t : tables) master.push_back(MasterChecksum(database, t));
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
    report.tables.push_back(Compare(i, tables[i], master[i], report.slaves, answers));
    if (report.tables.back().different) ++report.differences;
  }
  if (every_table) report.slave_only = SlaveOnly(tables, answers);
  return report;
}

}  // namespace sqlrepl::master
