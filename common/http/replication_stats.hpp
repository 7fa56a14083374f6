// What the master's HTTP API reports about replication beyond the slave
// registry: when each recent event was published, how long slaves took to
// acknowledge it, and how each answered. It sits between the write path and
// the replication server (an EventSink that passes every event on) and
// hears acknowledgements from the registry (set_on_acknowledged).
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "http/metrics_text.hpp"
#include "master/event_sink.hpp"
#include "master/slave_registry.hpp"
#include "protocol/messages.hpp"

namespace sqlrepl::http {

class ReplicationStats : public master::EventSink {
 public:
  using Clock = std::chrono::steady_clock;

  // `next` gets every event; both must outlive this object.
  ReplicationStats(master::EventSink* next, const master::SlaveRegistry* registry)
      : next_(next), registry_(registry) {}

  // The write path's thread.
  void Publish(uint64_t seq, const std::string& encoded_event) override;
  // The I/O thread (SlaveRegistry::set_on_acknowledged).
  void Acknowledged(const std::string& slave_id, const protocol::Ack& ack);

  // Milliseconds since `seq` was published; nullopt when this process did
  // not publish it or has forgotten it.
  std::optional<int64_t> AgeMs(uint64_t seq) const;
  // How each slave answered `seq` ("applied", "refused: why", "failed:
  // error"), as far as this process heard.
  std::map<std::string, std::string> Outcomes(uint64_t seq) const;
  // The counters and histograms, as Prometheus families.
  void WriteMetrics(MetricsText* out) const;

 private:
  struct Sent {
    Clock::time_point at;
    std::set<std::string> waiting;  // connected at publication, not answered yet
    std::map<std::string, std::string> outcomes;
  };
  struct SlaveTotals {
    uint64_t applied = 0;
    uint64_t refused = 0;
    uint64_t failed = 0;
  };
  static constexpr size_t kRemembered = 10000;

  master::EventSink* next_;
  const master::SlaveRegistry* registry_;
  mutable std::mutex mu_;
  std::map<uint64_t, Sent> recent_;
  std::map<std::string, SlaveTotals> totals_;
  uint64_t events_ = 0;
  uint64_t bytes_sent_ = 0;
  Histogram apply_latency_;
  Histogram ack_wait_;
};

}  // namespace sqlrepl::http
