#include "http/replication_stats.hpp"

#include <fmt/format.h>

namespace sqlrepl::http {
namespace {

double Seconds(ReplicationStats::Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void ReplicationStats::Publish(uint64_t seq, const std::string& encoded_event) {
  const std::vector<std::string> connected = registry_->ConnectedSlaves();
  {
    std::lock_guard lock(mu_);
    ++events_;
    bytes_sent_ += encoded_event.size() * connected.size();
    recent_[seq] = Sent{Clock::now(), {connected.begin(), connected.end()}, {}};
    if (recent_.size() > kRemembered) recent_.erase(recent_.begin());
  }
  // Recorded first: an acknowledgement can come back before this returns.
  if (next_ != nullptr) next_->Publish(seq, encoded_event);
}

void ReplicationStats::Acknowledged(const std::string& slave_id, const protocol::Ack& ack) {
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(mu_);
  SlaveTotals& t = totals_[slave_id];
  Answer answer{"applied", ""};
  switch (ack.outcome) {
    case protocol::AckOutcome::kApplied:
      ++t.applied;
      break;
    case protocol::AckOutcome::kRefused:
      ++t.refused;
      answer = {"refused", ack.message};
      break;
    case protocol::AckOutcome::kError:
      ++t.failed;
      answer = {"failed", ack.message};
      break;
  }
  auto it = recent_.find(ack.seq);
  if (it == recent_.end()) return;  // published by an earlier master, or forgotten
  Sent& sent = it->second;
  sent.outcomes[slave_id] = std::move(answer);
  apply_latency_.Observe({{"slave", slave_id}}, Seconds(now - sent.at));
  if (sent.waiting.erase(slave_id) == 1 && sent.waiting.empty()) {
    ack_wait_.Observe({}, Seconds(now - sent.at));
  }
}

std::optional<int64_t> ReplicationStats::AgeMs(uint64_t seq) const {
  std::lock_guard lock(mu_);
  auto it = recent_.find(seq);
  if (it == recent_.end()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - it->second.at)
      .count();
}

std::map<std::string, ReplicationStats::Answer> ReplicationStats::Outcomes(uint64_t seq) const {
  std::lock_guard lock(mu_);
  auto it = recent_.find(seq);
  return it == recent_.end() ? std::map<std::string, Answer>{} : it->second.outcomes;
}

void ReplicationStats::WriteMetrics(MetricsText* out) const {
  std::lock_guard lock(mu_);
  out->Family("sqlrepl_events_committed_total", "counter",
              "Events this master committed and published since it started.");
  out->Sample("sqlrepl_events_committed_total", {}, static_cast<double>(events_));
  out->Family("sqlrepl_sent_bytes_total", "counter",
              "Bytes of events handed to the slaves connected when each was published "
              "(catch-up and framing not counted).");
  out->Sample("sqlrepl_sent_bytes_total", {}, static_cast<double>(bytes_sent_));
  const std::pair<const char*, uint64_t SlaveTotals::*> kinds[] = {
      {"applied", &SlaveTotals::applied},
      {"refused", &SlaveTotals::refused},
      {"failed", &SlaveTotals::failed}};
  for (const auto& [kind, member] : kinds) {
    const std::string name = fmt::format("sqlrepl_slave_events_{}_total", kind);
    out->Family(name, "counter",
                fmt::format("Events each slave acknowledged as {} since this master started.",
                            kind));
    for (const auto& [id, t] : totals_) out->Sample(name, {{"slave", id}}, t.*member);
  }
  out->Family("sqlrepl_apply_latency_seconds", "histogram",
              "Time from publishing an event to each slave's acknowledgement.");
  out->Raw(apply_latency_.Samples("sqlrepl_apply_latency_seconds"));
  out->Family("sqlrepl_ack_wait_seconds", "histogram",
              "Time from publishing an event until every slave connected then acknowledged it.");
  out->Raw(ack_wait_.Samples("sqlrepl_ack_wait_seconds"));
}

}  // namespace sqlrepl::http
