#include "terminal.hpp"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sqlrepl::testing {

std::optional<Terminal> Terminal::Spawn(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env,
                                        std::string* error) {
  winsize size{};
  size.ws_row = 40;
  size.ws_col = 200;  // wide enough that line editing never wraps a test's line
  int fd = -1;
  const pid_t pid = ::forkpty(&fd, nullptr, nullptr, &size);
  if (pid < 0) {
    *error = std::string("forkpty: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (pid == 0) {
    for (const auto& [key, value] : env) {
      if (value.empty()) {
        ::unsetenv(key.c_str());
      } else {
        ::setenv(key.c_str(), value.c_str(), 1);
      }
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return Terminal(pid, fd);
}

Terminal::Terminal(Terminal&& other) noexcept
    : pid_(other.pid_), fd_(other.fd_), output_(std::move(other.output_)), mark_(other.mark_),
      exit_status_(other.exit_status_) {
  other.pid_ = -1;
  other.fd_ = -1;
}

Terminal::~Terminal() {
  if (pid_ > 0 && Running()) {
    ::kill(pid_, SIGKILL);
    (void)Wait(std::chrono::seconds(5));
  }
  if (fd_ >= 0) ::close(fd_);
}

void Terminal::Type(const std::string& keys) {
  size_t done = 0;
  while (done < keys.size()) {
    const ssize_t n = ::write(fd_, keys.data() + done, keys.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void Terminal::Resize(unsigned short rows, unsigned short cols) {
  winsize size{};
  size.ws_row = rows;
  size.ws_col = cols;
  (void)::ioctl(fd_, TIOCSWINSZ, &size);  // the kernel signals the foreground group
}

void Terminal::Signal(int sig) {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
}

termios Terminal::Modes() {
  termios modes{};
  (void)::tcgetattr(fd_,
                    &modes);  // on Linux the pty's master side reads the line discipline's modes
  return modes;
}

void Terminal::SetModes(const termios& modes) { (void)::tcsetattr(fd_, TCSANOW, &modes); }

void Terminal::Pump(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  char buffer[4096];
  const ssize_t n = ::read(fd_, buffer, sizeof buffer);
  if (n > 0) output_.append(buffer, static_cast<size_t>(n));
}

bool Terminal::WaitFor(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (output_.find(text, mark_) != std::string::npos) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    Pump(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                  std::chrono::milliseconds(50)));
  }
}

void Terminal::Mark() {
  Pump(std::chrono::milliseconds(0));
  mark_ = output_.size();
}

std::string Terminal::Output() {
  Pump(std::chrono::milliseconds(0));
  return output_;
}

bool Terminal::Running() {
  if (exit_status_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

std::optional<int> Terminal::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    Pump(std::chrono::milliseconds(20));  // drains output so the child never blocks on it
  }
  return exit_status_;
}

}  // namespace sqlrepl::testing
