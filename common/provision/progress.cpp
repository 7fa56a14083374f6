#include "provision/progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace sqlrepl::provision {

namespace {

// "1,204,000"
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

int Percent(const Progress& p) {
  if (p.finished) return 100;
  if (p.bytes_estimate == 0) return 0;
  const uint64_t percent = p.bytes * 100 / p.bytes_estimate;
  return static_cast<int>(percent > 99 ? 99 : percent);
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string FormatDuration(double seconds) {
  const auto s = static_cast<uint64_t>(std::ceil(seconds < 0 ? 0 : seconds));
  if (s < 60) return fmt::format("~{} s", s);
  if (s < 3600) return fmt::format("~{} min", (s + 59) / 60);
  return fmt::format("~{} h {} min", s / 3600, (s % 3600 + 59) / 60);
}

std::string DescribeProgress(const Progress& p) {
  std::string line = fmt::format("provisioning {}: {} rows, {}", p.database, Grouped(p.rows),
                                 FormatBytes(p.bytes));
  if (p.bytes_estimate > 0 && !p.finished) {
    line += fmt::format(" of ~{}", FormatBytes(p.bytes_estimate));
  }
  line += fmt::format(" ({}%)", Percent(p));
  if (p.elapsed_seconds <= 0) return line;
  const double rate = static_cast<double>(p.bytes) / p.elapsed_seconds;
  line += fmt::format(", {}/s", FormatBytes(static_cast<uint64_t>(rate)));
  if (p.finished) return line + fmt::format(", done in {}", FormatDuration(p.elapsed_seconds));
  // No time left once the estimate is passed (it was low), or before any
  // byte gave a rate.
  if (rate > 0 && p.bytes < p.bytes_estimate) {
    line += fmt::format(", {} left",
                        FormatDuration(static_cast<double>(p.bytes_estimate - p.bytes) / rate));
  }
  return line;
}

}  // namespace sqlrepl::provision
