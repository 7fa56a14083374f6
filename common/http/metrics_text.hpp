// Prometheus text exposition format 0.0.4 (checked by `promtool check
// metrics` in tests/integration/http_api_test.cpp): families written one
// after another, each with its HELP and TYPE lines, and a histogram type
// that collects observations from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sqlrepl::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Seconds, from a millisecond to a minute: replication on one network.
inline constexpr std::array<double, 12> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 60};

// Observations in kLatencyBuckets, kept per label set. Thread-safe.
class Histogram {
 public:
  void Observe(const Labels& labels, double seconds);
  // One histogram family's sample lines (no HELP/TYPE).
  std::string Samples(const std::string& name) const;

 private:
  struct Counts {
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<Labels, Counts> series_;
};

class MetricsText {
 public:
  // Starts a family: "counter", "gauge" or "histogram".
  void Family(const std::string& name, const std::string& type, const std::string& help);
  // One sample of the current family.
  void Sample(const std::string& name, const Labels& labels, double value);
  void Raw(const std::string& lines) { out_ += lines; }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// `name{a="x",b="y"}`, label values escaped as the format requires.
std::string SeriesName(const std::string& name, const Labels& labels);

}  // namespace sqlrepl::http
