// Where the prompt's input comes from: a terminal with line editing and
// history (libedit), or a plain stream (a pipe or a file).
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>

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
};

// libedit's readline interface. History stays in memory: statements can hold
// passwords (CREATE USER ... IDENTIFIED BY), so nothing is written to disk.
// ReadLine() returns nullopt on Ctrl-D, and also when a signal (Ctrl-C)
// interrupts the read: the caller tells the two apart.
class TerminalLineSource : public LineSource {
 public:
  // Takes the character set from the user's locale, falling back to UTF-8
  // (what the database connection speaks): libedit drops every byte it
  // cannot decode, so under the "C" locale "Zoë" would become "Zo".
  TerminalLineSource();
  std::optional<std::string> ReadLine(std::string_view prompt) override;
  void Remember(std::string_view statement) override;
  bool interactive() const override { return true; }
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
