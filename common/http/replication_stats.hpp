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
#include "feed/event_sink.hpp"
#include "feed/slave_registry.hpp"
#include "protocol/messages.hpp"

namespace sqlrepl::http {

class ReplicationStats : public feed::EventSink {
 public:
  using Clock = std::chrono::steady_clock;

  // `next` gets every event; both must outlive this object.
  ReplicationStats(feed::EventSink* next, const feed::SlaveRegistry* registry)
      : next_(next), registry_(registry) {}

  // The write path's thread.
  void Publish(uint64_t seq, const std::string& encoded_event) override;
  // The I/O thread (SlaveRegistry::set_on_acknowledged).
  void Acknowledged(const std::string& slave_id, const protocol::Ack& ack);

  // Milliseconds since `seq` was published; nullopt when this process did
  // not publish it or has forgotten it.
  std::optional<int64_t> AgeMs(uint64_t seq) const;
  // How a slave answered an event: "applied", "refused" or "failed", and
  // why (the refusal or the error; empty when applied).
  struct Answer {
    std::string outcome;
    std::string message;
  };
  // Each slave's answer to `seq`, by slave id, as far as this process heard.
  std::map<std::string, Answer> Outcomes(uint64_t seq) const;
  // The counters and histograms, as Prometheus families.
  void WriteMetrics(MetricsText* out) const;

 private:
  struct Sent {
    Clock::time_point at;
    std::set<std::string> waiting;  // connected at publication, not answered yet
    std::map<std::string, Answer> outcomes;
  };
  struct SlaveTotals {
    uint64_t applied = 0;
    uint64_t refused = 0;
    uint64_t failed = 0;
  };
  static constexpr size_t kRemembered = 10000;

  feed::EventSink* next_;
  const feed::SlaveRegistry* registry_;
  mutable std::mutex mu_;
  std::map<uint64_t, Sent> recent_;
  std::map<std::string, SlaveTotals> totals_;
  uint64_t events_ = 0;
  uint64_t bytes_sent_ = 0;
  Histogram apply_latency_;
  Histogram ack_wait_;
};

}  // namespace sqlrepl::http
