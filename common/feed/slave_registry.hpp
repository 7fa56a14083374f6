// What the master knows of its slaves: who is connected, how far each has
// applied, and the outcome of each event it acknowledged. The I/O thread
// reports; the prompt's thread waits for acknowledgements and lists slaves.
// Thread-safe.
//
// Semi-synchronous, as MySQL's semi-sync replication: a slave that misses an
// acknowledgement deadline in WaitFor becomes lagging, and writes stop
// waiting for it until it has acknowledged the newest published event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "log/log_purger.hpp"
#include "protocol/messages.hpp"

namespace sqlrepl::feed {

// kProvisioning: a connection that copies a snapshot (docs/provisioning.md);
// writes never wait for it, and it applies no event.
enum class SlaveState { kCatchingUp, kLive, kOffline, kProvisioning };
const char* SlaveStateName(SlaveState state);

struct SlaveInfo {
  std::string id;
  std::string address;
  SlaveState state = SlaveState::kOffline;
  // The newest event the slave acknowledged (applied, refused or failed:
  // each moves its position). Never what it merely reported as queued.
  uint64_t applied_seq = 0;
  uint64_t refused = 0;
  uint64_t failed = 0;
  // The last failed event, or why the last connection ended; once the
  // slave is live again, the latter is marked as past (kPastDisconnect).
  std::string last_error;
  bool lagging = false;  // writes do not wait for it until it catches up
  int provisioned_percent = 0;  // of the snapshot's estimated bytes, while kProvisioning
};

// How `\slaves` and the API name a slave's state: "provisioning 42%".
std::string DescribeState(const SlaveInfo& info);

// Put before why a connection ended once the slave is live again.
inline constexpr std::string_view kPastDisconnect = "before it reconnected: ";

// One slave's answer for one event.
struct SlaveOutcome {
  enum Kind { kApplied, kRefused, kError, kNoAck, kLagging /* not waited for */ };
  std::string slave_id;
  Kind kind = kNoAck;
  uint32_t sql_errno = 0;
  std::string message;  // reason, error text, or why there was no answer
};

// A slave started lagging (missed an acknowledgement deadline) or caught up.
struct LagChange {
  std::string slave_id;
  bool lagging = false;
};

class SlaveRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  // A connection of slave `id` passed the handshake. Returns its
  // generation: reports from an older connection of the same id, or from
  // this one once it has disconnected, are ignored. The position a slave
  // resumes from is not taken: it counts what the slave has queued, not
  // what it has applied; acknowledgements move the position.
  uint64_t Connected(const std::string& id, const std::string& address);
  void SetState(const std::string& id, uint64_t generation, SlaveState state);
  // A provisioning connection of slave `id` passed the handshake (state
  // kProvisioning); its generation, as Connected()'s.
  uint64_t ProvisioningStarted(const std::string& id, const std::string& address);
  // The snapshot being copied holds every event up to `position`: that is
  // the slave's position now, so that retention keeps what it will follow.
  void SnapshotTaken(const std::string& id, uint64_t generation, uint64_t position);
  void ProvisioningProgress(const std::string& id, uint64_t generation, int percent);
  void Acknowledged(const std::string& id, uint64_t generation, const protocol::Ack& ack);
  void Disconnected(const std::string& id, uint64_t generation, const std::string& reason);

  // The slaves connected now.
  std::vector<std::string> ConnectedSlaves() const;

  // The newest event handed to the slaves (any thread, before waiting for
  // it): a lagging slave has caught up once it acknowledges this one.
  void Published(uint64_t seq);

  // Waits until each of `slaves` has acknowledged `seq`, has gone away, or
  // `deadline` passes; one outcome per slave, in the order given. A lagging
  // slave is not waited for (kLagging); one that misses `deadline` becomes
  // lagging. `stop`, when given, is asked whenever the registry is woken
  // (WakeWaiters()): true ends the wait early, sets *stopped, and leaves the
  // slaves yet to answer as kNoAck without marking them lagging.
  std::vector<SlaveOutcome> WaitFor(uint64_t seq, const std::vector<std::string>& slaves,
                                    Clock::time_point deadline,
                                    const std::function<bool()>& stop = nullptr,
                                    bool* stopped = nullptr);
  // Wakes every waiter to ask its `stop` (any thread; Ctrl-C at the prompt).
  void WakeWaiters();
  // True when every one of `slaves` has answered `seq`, gone away or is lagging.
  bool Ready(uint64_t seq, const std::vector<std::string>& slaves) const;
  // The lag transitions since the last call, oldest first.
  std::vector<LagChange> TakeLagChanges();
  // Called when a lagging slave has caught up, on the thread that reported
  // its acknowledgement (the I/O thread) and without the registry's lock:
  // TakeLagChanges() then holds the change, so that a prompt waiting for
  // input can say so at once instead of with its next output. Set before
  // the server starts; null: none.
  void set_on_caught_up(std::function<void()> on_caught_up) {
    on_caught_up_ = std::move(on_caught_up);
  }

  // Called with each acknowledgement taken (on the I/O thread, without the
  // registry's lock): the HTTP API's latency figures. Set before the server
  // starts; null: none.
  using AckObserver = std::function<void(const std::string& id, const protocol::Ack& ack)>;
  void set_on_acknowledged(AckObserver observer) { on_acknowledged_ = std::move(observer); }

  void VerifyAnswered(const std::string& id, uint64_t generation, protocol::VerifyResult result);
  // Waits for each of `slaves` to answer verify request `request_id` (or go
  // away, or the deadline, or `stop` as in WaitFor); missing answers are
  // absent from the map.
  std::map<std::string, protocol::VerifyResult> WaitForVerify(
      uint64_t request_id, const std::vector<std::string>& slaves, Clock::time_point deadline,
      const std::function<bool()>& stop = nullptr, bool* stopped = nullptr);

  // Every slave seen since the master started, sorted by id.
  std::vector<SlaveInfo> Snapshot() const;
  // The same, as the log's purger records them; a slave first seen
  // provisioning counts from its snapshot's position on.
  std::vector<log::FollowerPosition> Positions() const;

 private:
  struct Entry {
    SlaveInfo info;
    uint64_t generation = 0;
    bool ended = false;                             // this generation has disconnected
    bool error_is_disconnect = false;               // info.last_error says why a connection ended
    std::map<uint64_t, protocol::Ack> not_applied;  // recent refusals and errors by seq
    // False for a slave first seen provisioning, until its snapshot's
    // position: Positions() leaves it out.
    bool position_known = true;
  };
  // Requires mu_. A new connection of `id` in `state`, its entry.
  Entry& ConnectedLocked(const std::string& id, const std::string& address, SlaveState state);
  // Requires mu_. The entry of the live connection `generation` of `id`,
  // or null when that connection is not (or no longer) the current one.
  Entry* Current(const std::string& id, uint64_t generation);
  // Requires mu_. False while the answer is still due.
  bool Decided(const std::string& id, uint64_t seq, SlaveOutcome* out) const;

  static constexpr size_t kRememberedOutcomes = 100000;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, Entry> slaves_;
  std::map<uint64_t, std::map<std::string, protocol::VerifyResult>> verify_results_;
  uint64_t next_generation_ = 1;
  uint64_t last_published_ = 0;
  std::vector<LagChange> lag_changes_;
  std::function<void()> on_caught_up_;
  AckObserver on_acknowledged_;
};

}  // namespace sqlrepl::feed
