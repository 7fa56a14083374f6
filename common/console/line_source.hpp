// Where the prompt's input comes from: a terminal with line editing, history
// and completion (libedit), or a plain stream (a pipe or a file).
#pragma once

#include <functional>
#include <istream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sqlrepl::console {

class LineSource {
 public:
  virtual ~LineSource() = default;
  // The next line without its newline; nullopt at end of input.
  virtual std::optional<std::string> ReadLine(std::string_view prompt) = 0;
  // Adds a finished statement to the history, where there is one.
  virtual void Remember(std::string_view /*statement*/) {}
  virtual bool interactive() const = 0;
  // True when more input can be read without waiting.
  virtual bool InputPending() { return false; }
  // Words the terminal offers on Tab besides keywords and commands (the
  // current database's tables and columns).
  virtual void SetCompletionWords(std::vector<std::string> /*words*/) {}
};

// Runs `command` (\!, a pager) with the terminal as the shell had it before
// the prompt: echo and line editing by the terminal. The prompt's own mode
// comes back at its next read. Without a terminal prompt it just runs it.
void RunWithShellModes(const std::function<void()>& command);

// libedit's readline interface; one per process (libedit's state is global).
// ReadLine() returns nullopt on Ctrl-D, and also when a Ctrl-C interrupts
// the read: the caller tells the two apart. No other signal ends a read: the
// source handles SIGWINCH (resize) and SIGCONT (after Ctrl-Z) itself, in
// place of libedit's handlers, which are not safe with threads, and puts the
// terminal back as it was on SIGTERM, SIGHUP and SIGQUIT.
//
// History is kept in `history_file` (mode 0600) when one is given, without
// lines that hold IDENTIFIED or PASSWORD, as the mysql client's default
// history filter does, since those may carry passwords. Each statement is
// appended to the file as it is remembered (cheap, whatever the file's size);
// the file is rewritten, cut to the last 1000 statements, once, when the
// source is destroyed.
//
// Notices (Notify) come from other threads. libedit may only be called on the
// reading thread, so a notice is queued and a byte written to a pipe that the
// reading loop watches with the terminal; that thread prints the queued
// notices above the prompt and redraws the prompt with what was typed.
class TerminalLineSource : public LineSource {
 public:
  // Takes the character set from the user's locale, falling back to UTF-8
  // (what the database connection speaks): libedit drops every byte it
  // cannot decode, so under the "C" locale "Zoë" would become "Zo".
  explicit TerminalLineSource(std::string history_file = "");
  ~TerminalLineSource() override;
  TerminalLineSource(const TerminalLineSource&) = delete;
  TerminalLineSource& operator=(const TerminalLineSource&) = delete;

  std::optional<std::string> ReadLine(std::string_view prompt) override;
  void Remember(std::string_view statement) override;
  bool interactive() const override { return true; }
  void SetCompletionWords(std::vector<std::string> words) override;

  // Any thread. Prints `line` (and a newline) on stderr: above the prompt
  // while a line is being read, at once otherwise.
  void Notify(const std::string& line);

  // Any thread: the reading thread runs `on_wake` (set_on_wake) soon: above
  // the prompt, which is drawn again after it, while a line is being read;
  // when the next read starts or this one ends otherwise. So output made on
  // another thread's news goes through the reader's own output path.
  void Wake();
  void set_on_wake(std::function<void()> on_wake) { on_wake_ = std::move(on_wake); }

  // Any thread: a Ctrl-C came. If `pending` (set once, before reading)
  // still says so, the line being read ends at once: ReadLine returns
  // nullopt and the caller asks its interrupt handler why. This covers a
  // signal delivered to another thread, which does not interrupt the read.
  void WakeForInterrupt();
  void set_interrupt_pending(std::function<bool()> pending) {
    interrupt_pending_ = std::move(pending);
  }

  // True for text the history must not keep (IDENTIFIED, PASSWORD).
  static bool KeepOutOfHistory(std::string_view line);

 private:
  static int GetChar(FILE* in);  // libedit's input, watching the notice pipe too
  static char** Complete(const char* text, int start, int end);
  static char* NextCompletion(const char* text, int state);
  void PrintNotices();  // reading thread only; runs on_wake_ when due

  std::string history_file_;
  bool history_appended_ = false;  // the file grew since it was read: trim it at the end
  std::mutex mu_;                  // guards notices_, reading_ and woken_
  std::vector<std::string> notices_;
  bool reading_ = false;
  bool woken_ = false;  // Wake() came: on_wake_ is due
  std::function<void()> on_wake_;
  std::function<bool()> interrupt_pending_;
  int wake_[2] = {-1, -1};
  int input_fd_ = -1;  // the terminal, opened again non-blocking
  std::vector<std::string> words_;  // reading thread only
};

class StreamLineSource : public LineSource {
 public:
  explicit StreamLineSource(std::istream& in) : in_(in) {}
  std::optional<std::string> ReadLine(std::string_view prompt) override;
  bool interactive() const override { return false; }
  // Buffered input, or data waiting on `fd` (the stream's descriptor, -1: none).
  bool InputPending() override;
  void set_fd(int fd) { fd_ = fd; }

 private:
  std::istream& in_;
  int fd_ = -1;
};

}  // namespace sqlrepl::console
