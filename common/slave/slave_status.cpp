#include "slave/slave_status.hpp"

#include <fmt/format.h>

namespace sqlrepl::slave {
namespace {

std::string Ago(std::chrono::steady_clock::duration d) {
  const long long s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> DescribeStatus(
    const std::string& master, const MasterLink::State& link, const Applier::Counters& applier,
    std::chrono::steady_clock::time_point now) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("Master", master);
  out.emplace_back("Connection",
                   link.connected
                       ? fmt::format("connected for {}", Ago(now - link.since))
                       : fmt::format("{} (for {})", link.connection, Ago(now - link.since)));
  out.emplace_back("Replication id",
                   applier.replication_id.empty() ? "none yet" : applier.replication_id);
  std::string applied = fmt::format("#{}", applier.applied_seq);
  if (applier.queued > 0)
    applied += fmt::format(" ({} received, waiting to be applied)", applier.queued);
  if (!applier.waiting.empty()) applied += "; " + applier.waiting;
  out.emplace_back("Applied position", applied);
  std::string lag;
  if (!link.ever_connected) {
    lag = "unknown (the master was not reached yet)";
  } else {
    const uint64_t behind =
        link.master_last_seq > applier.applied_seq ? link.master_last_seq - applier.applied_seq : 0;
    lag = fmt::format("{} event{} (master at #{}, last heard {} ago)", behind,
                      behind == 1 ? "" : "s", link.master_last_seq, Ago(now - link.last_heard));
  }
  out.emplace_back("Lag", lag);
  out.emplace_back("Refused events", std::to_string(applier.refused));
  out.emplace_back("Failed events", std::to_string(applier.failed));
  out.emplace_back("Last error", applier.last_error.empty() ? "none" : applier.last_error);
  return out;
}

}  // namespace sqlrepl::slave
