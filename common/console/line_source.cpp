#include "console/line_source.hpp"

#include <editline/readline.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

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
    "DEFAULT", "TRUNCATE", "IGNORE",      "DUPLICATE", "USE",      "status",    "source",
    "tee",     "notee",    "pager",       "nopager",   "warnings", "nowarning", "system",
    "prompt",  "ego",      "clear",       "help",      "quit",     "exit",
};

// One character from the terminal as libedit wants it: a code point.
// kInterrupted: a signal came before the first byte; the caller decides.
constexpr int kInterrupted = -2;

int ReadCodePoint(int fd) {
  unsigned char b = 0;
  const ssize_t n = ::read(fd, &b, 1);
  if (n < 0 && errno == EINTR) return kInterrupted;
  if (n != 1) return -1;  // end of input
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
  if (more == 0) return b;
  for (int i = 0; i < more; ++i) {
    unsigned char c = 0;
    if (::read(fd, &c, 1) != 1 || (c & 0xC0) != 0x80) return b;  // not UTF-8: the byte as is
    cp = (cp << 6) | (c & 0x3F);
  }
  return cp;
}

}  // namespace

TerminalLineSource::TerminalLineSource(std::string history_file)
    : history_file_(std::move(history_file)) {
  if (!IsUtf8(std::setlocale(LC_CTYPE, ""))) std::setlocale(LC_CTYPE, "C.UTF-8");
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  active = this;
  rl_getc_function = &TerminalLineSource::GetChar;
  rl_attempted_completion_function = &TerminalLineSource::Complete;
  using_history();
  stifle_history(1000);
  if (!history_file_.empty()) (void)read_history(history_file_.c_str());
}

TerminalLineSource::~TerminalLineSource() {
  active = nullptr;
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
  std::unique_ptr<char, decltype(&std::free)> line(readline(p.c_str()), &std::free);
  {
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = false;
  }
  PrintNotices();  // any that came as the line ended
  if (!line) return std::nullopt;
  return std::string(line.get());
}

bool TerminalLineSource::KeepOutOfHistory(std::string_view line) {
  const std::string upper = AsciiUpper(line);
  return upper.find("IDENTIFIED") != std::string::npos ||
         upper.find("PASSWORD") != std::string::npos;
}

void TerminalLineSource::Remember(std::string_view statement) {
  if (KeepOutOfHistory(statement)) return;
  add_history(std::string(statement).c_str());
  if (history_file_.empty()) return;
  // Created private before anything is written to it; an older file that
  // others could read is made private too.
  const int fd = ::open(history_file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  (void)::fchmod(fd, 0600);
  ::close(fd);
  (void)write_history(history_file_.c_str());
}

void TerminalLineSource::SetCompletionWords(std::vector<std::string> words) {
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

void TerminalLineSource::PrintNotices() {
  std::vector<std::string> lines;
  bool reading = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lines.swap(notices_);
    reading = reading_;
    char sink[64];
    while (wake_[0] >= 0 && ::read(wake_[0], sink, sizeof sink) > 0) {
    }
  }
  if (lines.empty()) return;
  // Back to the start of the prompt's line and clear it; the notices take
  // its place and libedit draws the prompt again below them.
  std::string text = reading ? "\r\x1b[K" : "";
  for (const std::string& l : lines) text += l + "\n";
  (void)!::write(STDERR_FILENO, text.data(), text.size());
  if (reading) rl_forced_update_display();
}

void TerminalLineSource::WakeForInterrupt() {
  const char byte = 'i';
  if (wake_[1] >= 0) (void)!::write(wake_[1], &byte, 1);
}

int TerminalLineSource::GetChar(FILE* in) {
  const int fd = fileno(in);
  TerminalLineSource* self = active;
  if (self == nullptr) {
    int c;
    while ((c = ReadCodePoint(fd)) == kInterrupted) {
    }
    return c;
  }
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {self->wake_[0], POLLIN, 0}};
    const int ready = ::poll(fds, self->wake_[0] >= 0 ? 2 : 1, -1);
    // Only end of input or Ctrl-C ends the read. Another signal (a window
    // resize) also interrupts poll, and libedit re-sends the Ctrl-C it
    // catches, which may then land on another thread after this returns:
    // that thread's handler wakes us through the pipe.
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
      if (c != kInterrupted) return c;
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
