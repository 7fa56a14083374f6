#include "app/oplog.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace sqlrepl::app {

Result<OpLog> OpLog::Open(const std::string& path, std::string program) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status::IoError(
        fmt::format("cannot open the log file {}: {}", path, std::strerror(errno)));
  (void)::fchmod(fd, 0600);  // the mode given to open() applies only to a new file
  return OpLog(fd, std::move(program));
}

Result<OpLog> OpLog::OpenUnlessEmpty(const std::string& path, std::string program) {
  if (path.empty()) return OpLog();
  return Open(path, std::move(program));
}

OpLog::OpLog(OpLog&& other) noexcept : fd_(other.fd_), program_(std::move(other.program_)) {
  other.fd_ = -1;
}

OpLog::~OpLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string OpLog::Timestamp(int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

void OpLog::Write(std::string_view line) {
  if (fd_ < 0) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string text = fmt::format("{} {}: {}", Timestamp(now), program_, line);
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';  // one event, one line
  }
  text += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not stop the master
    done += static_cast<size_t>(n);
  }
}

}  // namespace sqlrepl::app
