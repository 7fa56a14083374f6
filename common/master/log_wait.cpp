#include "master/log_wait.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "db/server_errors.hpp"

namespace sqlrepl::master {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPauseStep{100};  // how soon a Ctrl-C ends a pause

double Seconds(milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

const char* LogRowWaitReason(const Status& s) {
  if (s.code() != StatusCode::kSqlError) return nullptr;
  switch (s.sql_errno()) {
    case db::kErLockWaitTimeout:
    case db::kErDeadlock:
    case db::kErQueryInterrupted:
    case db::kErStatementTimeout:
      return nullptr;
    default:
      return db::WaitCurableError(s.sql_errno(), s.message());
  }
}

std::optional<milliseconds> NextLogWait(const LogWaitOptions& o, milliseconds waited,
                                        milliseconds last) {
  if (waited >= o.limit) return std::nullopt;
  const milliseconds next = last.count() == 0 ? o.first : std::min(last * 2, o.max);
  return std::min(next, o.limit - waited);
}

bool PauseUnlessStopped(milliseconds d, const std::function<bool()>& stopped) {
  const auto until = std::chrono::steady_clock::now() + d;
  for (auto now = std::chrono::steady_clock::now(); now < until;
       now = std::chrono::steady_clock::now()) {
    if (stopped && stopped()) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kPauseStep, until - now));
  }
  return !(stopped && stopped());
}

std::string LogWaitLine(uint64_t seq, const char* reason, const Status& error,
                        const std::string& statement, milliseconds limit) {
  return fmt::format(
      "waiting: {} on the replication log, write #{} is held until it can be logged; "
      "retrying for up to {:g} s ({}): {}",
      reason, seq, Seconds(limit), error.ToString(), statement);
}

Status LogWaitGaveUp(const Status& last, const char* reason, milliseconds waited, bool stopped) {
  const std::string why = stopped
                              ? fmt::format("waiting for it stopped after {:g} s", Seconds(waited))
                              : fmt::format("still so after waiting {:g} s", Seconds(waited));
  return Status::SqlError(last.sql_errno(), last.sqlstate(),
                          fmt::format("{} ({}; {})", last.message(), reason, why));
}

}  // namespace sqlrepl::master
