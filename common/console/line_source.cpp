#include "console/line_source.hpp"

#include <editline/readline.h>
#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "base/strings.hpp"

namespace sqlrepl::console {
namespace {

// libedit calls plain functions: they find the one source through this.
TerminalLineSource* active = nullptr;

bool IsUtf8(const char* locale) {
  if (locale == nullptr) return false;
  const std::string l(locale);
  return l.find("UTF-8") != std::string::npos || l.find("utf8") != std::string::npos ||
         l.find("UTF8") != std::string::npos || l.find("utf-8") != std::string::npos;
}

// What Tab offers besides the database's names.
constexpr const char* kKeywords[] = {
    "SELECT",  "FROM",     "WHERE",       "INSERT",    "INTO",     "VALUES",    "UPDATE",
    "SET",     "DELETE",   "REPLACE",     "CREATE",    "TABLE",    "ALTER",     "DROP",
    "INDEX",   "VIEW",     "PROCEDURE",   "FUNCTION",  "TRIGGER",  "DATABASE",  "SCHEMA",
    "SHOW",    "TABLES",   "DATABASES",   "COLUMNS",   "WARNINGS", "DESCRIBE",  "EXPLAIN",
    "BEGIN",   "START",    "TRANSACTION", "COMMIT",    "ROLLBACK", "SAVEPOINT", "ORDER",
    "GROUP",   "BY",       "HAVING",      "LIMIT",     "OFFSET",   "JOIN",      "LEFT",
    "RIGHT",   "INNER",    "OUTER",       "ON",        "USING",    "AND",       "OR",
    "NOT",     "NULL",     "IS",          "IN",        "LIKE",     "BETWEEN",   "DISTINCT",
    "AS",      "CALL",     "UNION",       "COUNT",     "PRIMARY",  "KEY",       "AUTO_INCREMENT",
    "DEFAULT", "TRUNCATE", "IGNORE",      "DUPLICATE", "USE",
};  // the prompt's own commands come with its words (CompletionWords)

// One byte, waiting up to `wait_ms` when none is there yet (-1: forever).
// The descriptor is non-blocking: a Ctrl-C flushes the terminal's input
// after poll() has said it is readable, and a blocking read would then
// sleep past the Ctrl-C.
enum : int { kNoByte = -2, kEnd = -1 };

int ReadByte(int fd, int wait_ms) {
  for (;;) {
    unsigned char b = 0;
    const ssize_t n = ::read(fd, &b, 1);
    if (n == 1) return b;
    if (n == 0) return kEnd;
    if (errno != EINTR && errno != EAGAIN) return kEnd;
    if (wait_ms == 0) return kNoByte;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) return kNoByte;
  }
}

// One character from the terminal as libedit wants it: a code point; kEnd
// at end of input, kNoByte when nothing is there after all.
int ReadCodePoint(int fd) {
  const int b = ReadByte(fd, 0);
  if (b < 0) return b;
  int more = 0;
  int cp = b;
  if (b >= 0xF0 && b < 0xF8) {
    more = 3;
    cp = b & 0x07;
  } else if (b >= 0xE0) {
    more = b < 0xF0 ? 2 : 0;
    cp = b & 0x0F;
  } else if (b >= 0xC0) {
    more = 1;
    cp = b & 0x1F;
  }
  for (int i = 0; i < more; ++i) {
    const int c = ReadByte(fd, 1000);  // the rest of a character comes with it
    if (c < 0 || (c & 0xC0) != 0x80) return b;  // not UTF-8: the byte as is
    cp = (cp << 6) | (c & 0x3F);
  }
  return cp;
}

// libedit's own signal handling (rl_catch_signals) is not safe with threads:
// it re-sends each signal to the process group after swapping handlers, so
// two quick window resizes can run a handler of SIG_ERR. We catch the few
// signals that concern the terminal ourselves; the handlers only record and
// wake the reading thread, which calls libedit.
std::atomic<bool> g_resized{false};
std::atomic<bool> g_continued{false};
// A command run from the prompt had the shell's modes: libedit must prepare
// the terminal again, which it skips while it believes it prepared.
bool g_shell_modes_lent = false;
int g_signal_wake_fd = -1;
termios g_shell_modes{};
bool g_have_shell_modes = false;

void OnTerminalSignal(int signo) {
  const int saved = errno;
  (signo == SIGWINCH ? g_resized : g_continued).store(true);
  const char byte = 's';
  if (g_signal_wake_fd >= 0) (void)!::write(g_signal_wake_fd, &byte, 1);
  errno = saved;
}

// Dying by a signal while a line is read: leave the terminal as we found it.
void OnFatalSignal(int signo) {
  if (g_have_shell_modes) (void)::tcsetattr(STDIN_FILENO, TCSANOW, &g_shell_modes);
  ::signal(signo, SIG_DFL);
  ::raise(signo);
}

void CatchTerminalSignals(int wake_fd) {
  g_signal_wake_fd = wake_fd;
  g_have_shell_modes = ::tcgetattr(STDIN_FILENO, &g_shell_modes) == 0;
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = OnTerminalSignal;
  ::sigaction(SIGWINCH, &sa, nullptr);
  ::sigaction(SIGCONT, &sa, nullptr);
  sa.sa_handler = OnFatalSignal;
  for (int signo : {SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(signo, &sa, nullptr);
}

// Our handlers go, and the shell gets the modes it had.
void ReleaseTerminal() {
  for (int signo : {SIGWINCH, SIGCONT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(signo, SIG_DFL);
  g_signal_wake_fd = -1;
  if (g_have_shell_modes) (void)::tcsetattr(STDIN_FILENO, TCSADRAIN, &g_shell_modes);
}

// Appends `line` to the history file in libedit's own format (the file
// created private, a symbolic link refused), through a one-entry history of
// its own: libedit's append_history(1, ...) writes the last two entries.
// Positioned at the end first, so that libedit writes its header line only
// into an empty file.
bool AppendHistoryLine(const std::string& file, const std::string& line) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  (void)::fchmod(fd, 0600);
  (void)::lseek(fd, 0, SEEK_END);
  FILE* fp = ::fdopen(fd, "a");
  if (fp == nullptr) {
    ::close(fd);
    return false;
  }
  HistEvent event;
  History* one = history_init();
  const bool ok = one != nullptr && history(one, &event, H_SETSIZE, 1) != -1 &&
                  history(one, &event, H_ENTER, line.c_str()) != -1 &&
                  history(one, &event, H_SAVE_FP, fp) != -1;
  if (one != nullptr) history_end(one);
  return std::fclose(fp) == 0 && ok;
}

}  // namespace

TerminalLineSource::TerminalLineSource(std::string history_file)
    : history_file_(std::move(history_file)) {
  if (!IsUtf8(std::setlocale(LC_CTYPE, ""))) std::setlocale(LC_CTYPE, "C.UTF-8");
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  active = this;
  // A descriptor of our own on the terminal, so that O_NONBLOCK does not
  // reach the shell that shares standard input.
  if (const char* tty = ::ttyname(STDIN_FILENO)) {
    input_fd_ = ::open(tty, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  }
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  CatchTerminalSignals(wake_[1]);
  rl_getc_function = &TerminalLineSource::GetChar;
  rl_attempted_completion_function = &TerminalLineSource::Complete;
  using_history();
  stifle_history(1000);
  if (!history_file_.empty()) (void)read_history(history_file_.c_str());
}

TerminalLineSource::~TerminalLineSource() {
  if (history_appended_) {
    // Back to the last 1000 statements (stifle_history), private as before.
    const int fd = ::open(history_file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      (void)::fchmod(fd, 0600);
      ::close(fd);
      (void)write_history(history_file_.c_str());
    }
  }
  ReleaseTerminal();
  active = nullptr;
  if (input_fd_ >= 0) ::close(input_fd_);
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

std::optional<std::string> TerminalLineSource::ReadLine(std::string_view prompt) {
  const std::string p(prompt);
  {
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = true;
  }
  // libedit draws the prompt before it puts the terminal in its own mode:
  // in between, the line discipline still edits, and a Ctrl-D typed as soon
  // as the prompt shows became a NUL byte once the mode changed (lost).
  // So the mode first, then the prompt. The terminal then stays raw between
  // lines (readline() restores the modes it found), so keys typed ahead,
  // Ctrl-D included, reach the next read as typed; the destructor gives the
  // shell its modes back.
  if (g_shell_modes_lent) {
    g_shell_modes_lent = false;
    rl_deprep_terminal();
  }
  rl_prep_terminal(1);
  std::unique_ptr<char, decltype(&std::free)> line(readline(p.c_str()), &std::free);
  {
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = false;
  }
  PrintNotices();  // any that came as the line ended
  if (!line) return std::nullopt;
  return std::string(line.get());
}

void RunWithShellModes(const std::function<void()>& command) {
  const bool lend = active != nullptr && g_have_shell_modes;
  if (lend) {
    (void)::tcsetattr(STDIN_FILENO, TCSADRAIN, &g_shell_modes);
    g_shell_modes_lent = true;
  }
  command();
}

bool TerminalLineSource::KeepOutOfHistory(std::string_view line) {
  const std::string upper = AsciiUpper(line);
  return upper.find("IDENTIFIED") != std::string::npos ||
         upper.find("PASSWORD") != std::string::npos;
}

void TerminalLineSource::Remember(std::string_view statement) {
  if (KeepOutOfHistory(statement)) return;
  const std::string line(statement);
  add_history(line.c_str());
  if (history_file_.empty()) return;
  // Appended, not rewritten: write_history() rewrote the whole file (up to
  // 1000 statements) on every statement, several milliseconds between Enter
  // and the statement reaching the server. The destructor trims the file.
  history_appended_ = AppendHistoryLine(history_file_, line) || history_appended_;
}

void TerminalLineSource::SetCompletionWords(std::vector<std::string> words) {
  // A word offered twice ("use" the command, USE the keyword) would keep
  // Tab from completing it.
  words.erase(std::remove_if(words.begin(), words.end(),
                             [](const std::string& w) {
                               return std::any_of(
                                   std::begin(kKeywords), std::end(kKeywords),
                                   [&w](const char* k) { return EqualsIgnoreCase(w, k); });
                             }),
              words.end());
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  words_ = std::move(words);
}

void TerminalLineSource::Notify(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!reading_ || wake_[1] < 0) {
    const std::string text = line + "\n";
    (void)!::write(STDERR_FILENO, text.data(), text.size());
    return;
  }
  notices_.push_back(line);
  const char byte = 1;
  (void)!::write(wake_[1], &byte, 1);
}

void TerminalLineSource::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  woken_ = true;
  const char byte = 'w';
  if (wake_[1] >= 0) (void)!::write(wake_[1], &byte, 1);
}

void TerminalLineSource::PrintNotices() {
  std::vector<std::string> lines;
  bool reading = false;
  bool woken = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lines.swap(notices_);
    reading = reading_;
    woken = std::exchange(woken_, false) && on_wake_;
    char sink[64];
    while (wake_[0] >= 0 && ::read(wake_[0], sink, sizeof sink) > 0) {
    }
  }
  if (lines.empty() && !woken) return;
  // Back to the start of the prompt's line and clear it; the notices take
  // its place and libedit draws the prompt again below them.
  std::string text = reading ? "\r\x1b[K" : "";
  for (const std::string& l : lines) text += l + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
  if (woken) on_wake_();
  if (reading) rl_forced_update_display();
}

void TerminalLineSource::WakeForInterrupt() {
  const char byte = 'i';
  if (wake_[1] >= 0) (void)!::write(wake_[1], &byte, 1);
}

int TerminalLineSource::GetChar(FILE* in) {
  TerminalLineSource* self = active;
  if (self == nullptr) return ReadByte(fileno(in), -1);
  const int fd = self->input_fd_ >= 0 ? self->input_fd_ : fileno(in);
  for (;;) {
    if (g_continued.exchange(false)) {
      // Back from Ctrl-Z: the shell set its own modes. libedit still
      // believes the terminal raw and would skip a bare prep.
      rl_deprep_terminal();
      rl_prep_terminal(1);
      rl_forced_update_display();
    }
    if (g_resized.exchange(false)) rl_resize_terminal();
    pollfd fds[2] = {{fd, POLLIN, 0}, {self->wake_[0], POLLIN, 0}};
    const int ready = ::poll(fds, self->wake_[0] >= 0 ? 2 : 1, -1);
    // Only end of input or Ctrl-C ends the read. Another signal (a window
    // resize) also interrupts poll; a Ctrl-C handled on another thread
    // wakes us through the pipe instead.
    if (ready < 0) {
      if (errno != EINTR) return -1;
      if (self->interrupt_pending_ && self->interrupt_pending_()) return -1;
      continue;
    }
    if (self->wake_[0] >= 0 && (fds[1].revents & POLLIN) != 0) {
      self->PrintNotices();
      if (self->interrupt_pending_ && self->interrupt_pending_()) return -1;
      continue;
    }
    if (fds[0].revents != 0) {
      const int c = ReadCodePoint(fd);
      if (c != kNoByte) return c;
    }
  }
}

char* TerminalLineSource::NextCompletion(const char* text, int state) {
  static size_t index;
  if (state == 0) index = 0;
  const std::string_view prefix(text);
  const bool lower = !prefix.empty() && prefix[0] >= 'a' && prefix[0] <= 'z';
  const size_t keywords = sizeof kKeywords / sizeof kKeywords[0];
  const size_t names = active == nullptr ? 0 : active->words_.size();
  while (index < keywords + names) {
    const size_t i = index++;
    std::string word = i < keywords ? kKeywords[i] : active->words_[i - keywords];
    if (word.size() < prefix.size() ||
        !EqualsIgnoreCase(std::string_view(word).substr(0, prefix.size()), prefix)) {
      continue;
    }
    if (i < keywords && lower) word = AsciiLower(word);  // answer in the case being typed
    return ::strdup(word.c_str());
  }
  return nullptr;
}

char** TerminalLineSource::Complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;  // no file names
  return rl_completion_matches(text, &TerminalLineSource::NextCompletion);
}

std::optional<std::string> StreamLineSource::ReadLine(std::string_view) {
  std::string line;
  if (!std::getline(in_, line)) return std::nullopt;
  return line;
}

bool StreamLineSource::InputPending() {
  if (in_.rdbuf()->in_avail() > 0) return true;
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace sqlrepl::console
