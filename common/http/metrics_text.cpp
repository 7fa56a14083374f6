#include "http/metrics_text.hpp"

#include <fmt/format.h>

namespace sqlrepl::http {
namespace {

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) { return fmt::format("{}", value); }

}  // namespace

std::string SeriesName(const std::string& name, const Labels& labels) {
  if (labels.empty()) return name;
  std::string out = name + "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    out += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", labels[i].first,
                       EscapeLabel(labels[i].second));
  }
  return out + "}";
}

void Histogram::Observe(const Labels& labels, double seconds) {
  std::lock_guard lock(mu_);
  Counts& c = series_[labels];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++c.buckets[i];
      break;
    }
  }
  ++c.count;
  c.sum += seconds;
}

std::string Histogram::Samples(const std::string& name) const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [labels, c] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += c.buckets[i];
      Labels with_le = labels;
      with_le.emplace_back("le", Number(kLatencyBuckets[i]));
      out += fmt::format("{} {}\n", SeriesName(name + "_bucket", with_le), cumulative);
    }
    Labels inf = labels;
    inf.emplace_back("le", "+Inf");
    out += fmt::format("{} {}\n", SeriesName(name + "_bucket", inf), c.count);
    out += fmt::format("{} {}\n", SeriesName(name + "_sum", labels), Number(c.sum));
    out += fmt::format("{} {}\n", SeriesName(name + "_count", labels), c.count);
  }
  return out;
}

void MetricsText::Family(const std::string& name, const std::string& type,
                         const std::string& help) {
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricsText::Sample(const std::string& name, const Labels& labels, double value) {
  out_ += fmt::format("{} {}\n", SeriesName(name, labels), Number(value));
}

}  // namespace sqlrepl::http
