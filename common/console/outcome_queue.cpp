#include "console/outcome_queue.hpp"

#include <fmt/format.h>

#include "console/replication_report.hpp"

namespace sqlrepl::console {

void OutcomeQueue::Release(bool wait, const std::function<void(const Released&)>& emit) {
  while (!entries_.empty()) {
    Entry& entry = entries_.front();
    const auto deadline = entry.committed_at + std::chrono::milliseconds(ack_timeout_ms_);
    if (!wait && Clock::now() < deadline) {
      for (uint64_t seq : entry.seqs) {
        if (!registry_->Ready(seq, entry.slaves)) return;
      }
    }
    std::string report = Report(entry, deadline);
    emit(Released{std::move(entry.out), std::move(entry.err), std::move(report)});
    entries_.pop_front();
  }
}

std::string OutcomeQueue::Report(const Entry& entry, Clock::time_point deadline) {
  std::string report;
  bool interrupted = false;
  // For the known slaves that are offline; read once the waits are over.
  std::vector<feed::SlaveInfo> known;
  for (uint64_t seq : entry.seqs) {
    const std::vector<feed::SlaveOutcome> outcomes =
        interrupted ? registry_->WaitFor(seq, entry.slaves, Clock::now())
                    : AwaitOutcomes(seq, entry.slaves, deadline, &interrupted);
    if (interrupted) {
      std::string waiting;
      for (const feed::SlaveOutcome& o : outcomes) {
        if (o.kind == feed::SlaveOutcome::kNoAck)
          waiting += (waiting.empty() ? "" : ", ") + o.slave_id;
      }
      report += fmt::format("Ctrl-C -- stopped waiting. Write #{} is committed on the master{}\n",
                            seq, waiting.empty() ? "." : "; not acknowledged yet by: " + waiting);
      continue;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - entry.committed_at).count();
    if (known.empty()) known = registry_->Snapshot();
    report += FormatOutcomes(seq, outcomes, ms, ack_timeout_ms_, known);
  }
  return report + TakeLagChanges();
}

std::string OutcomeQueue::TakeLagChanges() {
  return FormatLagChanges(registry_->TakeLagChanges(), ack_timeout_ms_);
}

std::vector<feed::SlaveOutcome> OutcomeQueue::AwaitOutcomes(uint64_t seq,
                                                            const std::vector<std::string>& slaves,
                                                            Clock::time_point deadline,
                                                            bool* interrupted) {
  if (!interrupt_pending_) return registry_->WaitFor(seq, slaves, deadline);
  // The interrupt handler wakes the registry on Ctrl-C.
  std::vector<feed::SlaveOutcome> outcomes =
      registry_->WaitFor(seq, slaves, deadline, interrupt_pending_, interrupted);
  if (*interrupted) take_interrupt_();
  return outcomes;
}

}  // namespace sqlrepl::console
