#include "console/replication_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "console/table_formatter.hpp"

namespace sqlrepl::console {

using feed::SlaveOutcome;

namespace {

// The known slaves that are offline and had no say in `outcomes`.
std::string OfflineLines(uint64_t seq, const std::vector<SlaveOutcome>& outcomes,
                         const std::vector<feed::SlaveInfo>& known) {
  std::string out;
  for (const feed::SlaveInfo& s : known) {
    const bool asked = std::any_of(outcomes.begin(), outcomes.end(),
                                   [&s](const SlaveOutcome& o) { return o.slave_id == s.id; });
    if (s.state != feed::SlaveState::kOffline || asked) continue;
    out += fmt::format("{}: offline (applied #{} of #{}), it will catch up from the log\n", s.id,
                       s.applied_seq, seq);
  }
  return out;
}

}  // namespace

std::string FormatOutcomes(uint64_t seq, const std::vector<SlaveOutcome>& outcomes,
                           double elapsed_ms, int ack_timeout_ms,
                           const std::vector<feed::SlaveInfo>& known) {
  const size_t n = outcomes.size();
  if (n == 0)
    return fmt::format("No slave connected: logged as #{} for slaves that connect later\n", seq);
  size_t applied = 0;
  std::map<std::string, size_t> refusals;  // reason -> count, in a stable order
  std::string details;
  for (const SlaveOutcome& o : outcomes) {
    switch (o.kind) {
      case SlaveOutcome::kApplied:
        ++applied;
        break;
      case SlaveOutcome::kRefused:
        ++refusals[o.message];
        break;
      case SlaveOutcome::kError:
        details += fmt::format("{}: {}\n", o.slave_id, o.message);
        break;
      case SlaveOutcome::kNoAck:
        details += o.message.empty()
                       ? fmt::format("{}: no acknowledgement within {} ms, it will catch up\n",
                                     o.slave_id, ack_timeout_ms)
                       : fmt::format("{}: {}, it will catch up\n", o.slave_id, o.message);
        break;
      case SlaveOutcome::kLagging:
        details += fmt::format("{}: lagging, not waited for\n", o.slave_id);
        break;
    }
  }
  std::string out;
  if (applied > 0 || (refusals.empty() && details.empty())) {
    out += fmt::format("Replicated to {}/{} slave{} ({:.1f} ms)\n", applied, n, n == 1 ? "" : "s",
                       elapsed_ms);
  }
  for (const auto& [reason, count] : refusals) {
    out += fmt::format("Refused by {}/{} slave{}: {}\n", count, n, n == 1 ? "" : "s", reason);
  }
  return out + details + OfflineLines(seq, outcomes, known);
}

std::string FormatLagChanges(const std::vector<feed::LagChange>& changes, int ack_timeout_ms) {
  std::string out;
  for (const feed::LagChange& c : changes) {
    out += c.lagging ? fmt::format(
                           "{} is lagging: no acknowledgement within {} ms; writes no longer "
                           "wait for it\n",
                           c.slave_id, ack_timeout_ms)
                     : fmt::format("{} has caught up; writes wait for it again\n", c.slave_id);
  }
  return out;
}

std::string FormatSlaves(const std::vector<feed::SlaveInfo>& slaves, uint64_t last_seq) {
  if (slaves.empty()) return "No slave has connected since the master started.\n";
  db::QueryResult table;
  table.has_result_set = true;
  table.columns = {{"slave", false}, {"address", false}, {"state", false}, {"applied", true},
                   {"lag", true},    {"refused", true},  {"failed", true}, {"last error", false}};
  for (const feed::SlaveInfo& s : slaves) {
    const std::string state = feed::DescribeState(s);
    table.rows.push_back({s.id, s.address, state,
                          std::to_string(s.applied_seq),
                          std::to_string(last_seq > s.applied_seq ? last_seq - s.applied_seq : 0),
                          std::to_string(s.refused), std::to_string(s.failed), s.last_error});
  }
  return FormatTable(table);
}

std::string FormatBehindAtExit(const std::vector<feed::SlaveInfo>& slaves, uint64_t last_seq) {
  std::string lines;
  size_t behind = 0;
  for (const feed::SlaveInfo& s : slaves) {
    if (s.applied_seq >= last_seq) continue;
    ++behind;
    lines += fmt::format("  {}: applied #{} of #{} ({} event{} behind), {}\n", s.id, s.applied_seq,
                         last_seq, last_seq - s.applied_seq,
                         last_seq - s.applied_seq == 1 ? "" : "s", feed::SlaveStateName(s.state));
  }
  if (behind == 0) return "";
  return fmt::format(
             "master: exiting while {} slave{} behind; {} the rest only while a master runs "
             "(start the master again, interactively or with another script):\n",
             behind, behind == 1 ? " is" : "s are", behind == 1 ? "it gets" : "they get") +
         lines;
}

std::string FormatVerifyReport(const master::VerifyReport& report, long wait_seconds) {
  db::QueryResult table;
  table.has_result_set = true;
  table.columns = {{"table", false}, {"master", true}};
  for (const std::string& s : report.slaves) table.columns.push_back({s, true});
  table.columns.push_back({"result", false});
  for (const master::TableComparison& c : report.tables) {
    db::Row row = {c.table, c.master};
    for (const std::string& value : c.slaves) row.push_back(value);
    row.push_back(std::string(c.same ? "match" : c.different ? "DIFFERENT" : "no answer"));
    table.rows.push_back(std::move(row));
  }
  std::string only;
  for (const master::SlaveOnlyTable& t : report.slave_only)
    only += fmt::format("{}: table {} exists only on this slave\n", t.slave, t.table);
  std::vector<std::string> verdict;
  if (report.differences > 0) verdict.push_back(fmt::format("{} DIFFERENT", report.differences));
  const size_t k = report.slave_only.size();
  if (k > 0) verdict.push_back(fmt::format("{} table{} only on a slave", k, k == 1 ? "" : "s"));
  if (!report.unanswered.empty()) {
    verdict.push_back(fmt::format("no answer from {} within {} s (still applying earlier writes?)",
                                  fmt::join(report.unanswered, ", "), wait_seconds));
  }
  if (verdict.empty()) verdict.push_back("all match");
  const size_t n = report.tables.size();
  const size_t m = report.slaves.size();
  return FormatTable(table) + only +
         fmt::format("Verified {} table{} on {} slave{}: {}.\n\n", n, n == 1 ? "" : "s", m,
                     m == 1 ? "" : "s", fmt::join(verdict, "; "));
}

}  // namespace sqlrepl::console
