// The master's output held back behind acknowledgements. Each statement's
// output waits in order until every slave connected when it committed has
// answered its writes, ACK_TIMEOUT_MS has passed, or Ctrl-C stopped the
// wait; it is then released with the report of those answers. So output
// never overtakes an earlier statement's, while a script's statements keep
// running. The prompt's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "feed/slave_registry.hpp"

namespace sqlrepl::console {

class OutcomeQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // One statement's output.
  struct Entry {
    std::string out;
    std::string err;
    std::vector<uint64_t> seqs;       // the writes it committed
    std::vector<std::string> slaves;  // connected when it committed
    Clock::time_point committed_at;   // the acknowledgement deadline counts from here
  };
  // An entry let go, with how the slaves answered.
  struct Released {
    std::string out;
    std::string err;
    std::string report;  // outcome lines, then lag changes
  };

  // `registry` must outlive the queue.
  OutcomeQueue(feed::SlaveRegistry* registry, int ack_timeout_ms)
      : registry_(registry), ack_timeout_ms_(ack_timeout_ms) {}

  // Ctrl-C while waiting: `pending` says one came (and must not consume
  // it), `take` consumes it (InterruptHandler::pending and Take). Empty:
  // waits are not interrupted.
  void set_interrupt(std::function<bool()> pending, std::function<bool()> take) {
    interrupt_pending_ = std::move(pending);
    take_interrupt_ = std::move(take);
  }

  void Push(Entry entry) { entries_.push_back(std::move(entry)); }
  size_t size() const { return entries_.size(); }

  // Hands `emit` the entries, oldest first, whose acknowledgements are all
  // in or whose deadline has passed; stops at the first one still waiting.
  // With `wait`, hands out every entry, waiting for each in turn.
  void Release(bool wait, const std::function<void(const Released&)>& emit);
  // Lag transitions not reported with an entry yet (a slave that caught up
  // between writes), formatted; empty when none.
  std::string TakeLagChanges();

 private:
  // Waits for the outcomes of `seq` until `deadline`, or until Ctrl-C
  // (then *interrupted is set and the slaves yet to answer are kNoAck).
  std::vector<feed::SlaveOutcome> AwaitOutcomes(uint64_t seq,
                                                const std::vector<std::string>& slaves,
                                                Clock::time_point deadline, bool* interrupted);
  // How the slaves answered `entry`'s writes, waiting until `deadline`.
  std::string Report(const Entry& entry, Clock::time_point deadline);

  feed::SlaveRegistry* registry_;
  int ack_timeout_ms_;
  std::function<bool()> interrupt_pending_;
  std::function<bool()> take_interrupt_;
  std::deque<Entry> entries_;
};

}  // namespace sqlrepl::console
