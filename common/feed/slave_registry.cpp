#include "feed/slave_registry.hpp"

#include <fmt/format.h>

#include <utility>

namespace sqlrepl::feed {

const char* SlaveStateName(SlaveState state) {
  switch (state) {
    case SlaveState::kCatchingUp:
      return "catching up";
    case SlaveState::kLive:
      return "live";
    case SlaveState::kOffline:
      return "offline";
    case SlaveState::kProvisioning:
      return "provisioning";
  }
  return "?";
}

std::string DescribeState(const SlaveInfo& info) {
  const std::string percent = info.state == SlaveState::kProvisioning
                                  ? fmt::format(" {}%", info.provisioned_percent)
                                  : std::string();
  return fmt::format("{}{}{}", SlaveStateName(info.state), percent,
                     info.lagging ? ", lagging" : "");
}

uint64_t SlaveRegistry::Connected(const std::string& id, const std::string& address) {
  std::lock_guard lock(mu_);
  return ConnectedLocked(id, address, SlaveState::kCatchingUp).generation;
}

SlaveRegistry::Entry& SlaveRegistry::ConnectedLocked(const std::string& id,
                                                     const std::string& address,
                                                     SlaveState state) {
  Entry& e = slaves_[id];
  e.info.id = id;
  e.info.address = address;
  e.info.state = state;
  e.generation = next_generation_++;
  e.ended = false;
  changed_.notify_all();
  return e;
}

uint64_t SlaveRegistry::ProvisioningStarted(const std::string& id, const std::string& address) {
  std::lock_guard lock(mu_);
  const bool known = slaves_.count(id) > 0;
  Entry& e = ConnectedLocked(id, address, SlaveState::kProvisioning);
  e.info.provisioned_percent = 0;
  e.info.lagging = false;
  // A new slave has no position until its snapshot names one: until then
  // retention must not record it at 0 (which would stop every purge).
  if (!known) e.position_known = false;
  return e.generation;
}

void SlaveRegistry::SnapshotTaken(const std::string& id, uint64_t generation, uint64_t position) {
  std::lock_guard lock(mu_);
  Entry* e = Current(id, generation);
  if (e == nullptr) return;
  // Set, not raised: the copy replaces whatever the slave held before.
  e->info.applied_seq = position;
  e->position_known = true;
  e->not_applied.clear();
  changed_.notify_all();
}

void SlaveRegistry::ProvisioningProgress(const std::string& id, uint64_t generation, int percent) {
  std::lock_guard lock(mu_);
  Entry* e = Current(id, generation);
  if (e != nullptr) e->info.provisioned_percent = percent;
}

SlaveRegistry::Entry* SlaveRegistry::Current(const std::string& id, uint64_t generation) {
  auto it = slaves_.find(id);
  if (it == slaves_.end() || it->second.generation != generation || it->second.ended)
    return nullptr;
  return &it->second;
}

void SlaveRegistry::SetState(const std::string& id, uint64_t generation, SlaveState state) {
  std::lock_guard lock(mu_);
  Entry* e = Current(id, generation);
  if (e == nullptr) return;
  e->info.state = state;
  if (state == SlaveState::kLive && e->error_is_disconnect) {
    e->info.last_error = std::string(kPastDisconnect) + e->info.last_error;
    e->error_is_disconnect = false;
  }
  changed_.notify_all();
}

void SlaveRegistry::Acknowledged(const std::string& id, uint64_t generation,
                                 const protocol::Ack& ack) {
  std::unique_lock lock(mu_);
  Entry* e = Current(id, generation);
  if (e == nullptr) return;
  if (ack.seq > e->info.applied_seq) e->info.applied_seq = ack.seq;
  if (ack.outcome != protocol::AckOutcome::kApplied) {
    if (ack.outcome == protocol::AckOutcome::kRefused) {
      ++e->info.refused;
    } else {
      ++e->info.failed;
      e->info.last_error = ack.message;
      e->error_is_disconnect = false;
    }
    e->not_applied[ack.seq] = ack;
    if (e->not_applied.size() > kRememberedOutcomes) e->not_applied.erase(e->not_applied.begin());
  }
  const bool caught_up = e->info.lagging && e->info.applied_seq >= last_published_;
  if (caught_up) {
    e->info.lagging = false;
    lag_changes_.push_back(LagChange{id, false});
  }
  changed_.notify_all();
  lock.unlock();
  if (on_acknowledged_) on_acknowledged_(id, ack);
  if (caught_up && on_caught_up_) on_caught_up_();
}

void SlaveRegistry::Disconnected(const std::string& id, uint64_t generation,
                                 const std::string& reason) {
  std::lock_guard lock(mu_);
  Entry* e = Current(id, generation);
  if (e == nullptr) return;
  e->ended = true;
  e->info.state = SlaveState::kOffline;
  if (!reason.empty()) {
    e->info.last_error = reason;
    e->error_is_disconnect = true;
  }
  changed_.notify_all();
}

void SlaveRegistry::Published(uint64_t seq) {
  std::lock_guard lock(mu_);
  if (seq > last_published_) last_published_ = seq;
}

std::vector<LagChange> SlaveRegistry::TakeLagChanges() {
  std::lock_guard lock(mu_);
  return std::exchange(lag_changes_, {});
}

std::vector<std::string> SlaveRegistry::ConnectedSlaves() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, e] : slaves_) {
    if (e.info.state != SlaveState::kOffline && e.info.state != SlaveState::kProvisioning) {
      out.push_back(id);
    }
  }
  return out;
}

bool SlaveRegistry::Decided(const std::string& id, uint64_t seq, SlaveOutcome* out) const {
  out->slave_id = id;
  auto it = slaves_.find(id);
  if (it == slaves_.end()) {
    out->kind = SlaveOutcome::kNoAck;
    out->message = "unknown slave";
    return true;
  }
  const Entry& e = it->second;
  if (e.info.applied_seq >= seq) {
    auto na = e.not_applied.find(seq);
    if (na == e.not_applied.end()) {
      out->kind = SlaveOutcome::kApplied;
    } else {
      out->kind = na->second.outcome == protocol::AckOutcome::kRefused ? SlaveOutcome::kRefused
                                                                       : SlaveOutcome::kError;
      out->sql_errno = na->second.sql_errno;
      out->message = na->second.message;
    }
    return true;
  }
  if (e.info.state == SlaveState::kOffline || e.info.state == SlaveState::kProvisioning) {
    out->kind = SlaveOutcome::kNoAck;
    out->message = "disconnected before acknowledging";
    return true;
  }
  if (e.info.lagging) {
    out->kind = SlaveOutcome::kLagging;
    out->message = "";
    return true;
  }
  return false;
}

bool SlaveRegistry::Ready(uint64_t seq, const std::vector<std::string>& slaves) const {
  std::lock_guard lock(mu_);
  SlaveOutcome ignored;
  for (const std::string& id : slaves) {
    if (!Decided(id, seq, &ignored)) return false;
  }
  return true;
}

std::vector<SlaveOutcome> SlaveRegistry::WaitFor(uint64_t seq,
                                                 const std::vector<std::string>& slaves,
                                                 Clock::time_point deadline,
                                                 const std::function<bool()>& stop, bool* stopped) {
  std::unique_lock lock(mu_);
  std::vector<SlaveOutcome> out(slaves.size());
  bool early = false;
  changed_.wait_until(lock, deadline, [&] {
    bool all = true;
    for (size_t i = 0; i < slaves.size(); ++i) all = Decided(slaves[i], seq, &out[i]) && all;
    early = !all && stop && stop();
    return all || early;
  });
  if (stopped != nullptr) *stopped = early;
  for (size_t i = 0; i < slaves.size(); ++i) {
    if (!Decided(slaves[i], seq, &out[i])) {
      out[i].kind = SlaveOutcome::kNoAck;
      out[i].message = "";  // timed out: the caller names the timeout
      if (early) continue;  // not late: the caller stopped waiting
      // Stop waiting for it, so one stuck slave costs one timeout, not one per write.
      slaves_[slaves[i]].info.lagging = true;
      lag_changes_.push_back(LagChange{slaves[i], true});
    }
  }
  return out;
}

void SlaveRegistry::WakeWaiters() {
  std::lock_guard lock(mu_);  // a waiter between its check and its wait sees the wake
  changed_.notify_all();
}

void SlaveRegistry::VerifyAnswered(const std::string& id, uint64_t generation,
                                   protocol::VerifyResult result) {
  std::lock_guard lock(mu_);
  if (Current(id, generation) == nullptr) return;
  verify_results_[result.request_id][id] = std::move(result);
  changed_.notify_all();
}

std::map<std::string, protocol::VerifyResult> SlaveRegistry::WaitForVerify(
    uint64_t request_id, const std::vector<std::string>& slaves, Clock::time_point deadline,
    const std::function<bool()>& stop, bool* stopped) {
  std::unique_lock lock(mu_);
  auto answered = [&] {
    const auto& got = verify_results_[request_id];
    for (const std::string& id : slaves) {
      auto it = slaves_.find(id);
      const bool gone = it == slaves_.end() || it->second.info.state == SlaveState::kOffline ||
                        it->second.info.state == SlaveState::kProvisioning;
      if (!gone && got.count(id) == 0) return false;
    }
    return true;
  };
  bool early = false;
  changed_.wait_until(lock, deadline, [&] {
    if (answered()) return true;
    early = stop && stop();
    return early;
  });
  if (stopped != nullptr) *stopped = early;
  std::map<std::string, protocol::VerifyResult> out = std::move(verify_results_[request_id]);
  verify_results_.erase(request_id);
  return out;
}

std::vector<SlaveInfo> SlaveRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<SlaveInfo> out;
  for (const auto& [id, e] : slaves_) out.push_back(e.info);
  return out;
}

std::vector<log::FollowerPosition> SlaveRegistry::Positions() const {
  std::lock_guard lock(mu_);
  std::vector<log::FollowerPosition> out;
  for (const auto& [id, e] : slaves_) {
    if (e.position_known) out.push_back({id, e.info.applied_seq});
  }
  return out;
}

}  // namespace sqlrepl::feed
