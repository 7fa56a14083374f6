// A program on a pseudo-terminal, driven as a person would: typed text,
// Enter, Ctrl-C. Output is collected as the program writes it, so a test
// waits for what a person would wait to see.
#pragma once

#include <sys/types.h>
#include <termios.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sqlrepl::testing {

class Terminal {
 public:
  // Starts argv[0] on a new pseudo-terminal with `env` added to (or, with
  // an empty value, removed from) the inherited environment.
  static std::optional<Terminal> Spawn(const std::vector<std::string>& argv,
                                       const std::map<std::string, std::string>& env,
                                       std::string* error);
  Terminal(Terminal&& other) noexcept;
  Terminal& operator=(Terminal&&) = delete;
  ~Terminal();

  void Type(const std::string& keys);          // as typed, byte for byte
  void Enter(const std::string& line) { Type(line + "\r"); }
  void CtrlC() { Type("\x03"); }
  void Resize(unsigned short rows, unsigned short cols);  // as a window resize: SIGWINCH
  void Signal(int sig);                         // to the program alone (kill(1), a service manager)
  // The terminal's modes (raw or cooked, echo) as the line discipline has
  // them now; a shell sets them the same way when it takes the terminal back.
  termios Modes();
  void SetModes(const termios& modes);

  // Waits until `text` appears in the output written after the last
  // Mark(); true when it did before `timeout`.
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout);
  void Mark();                                  // later waits see only newer output
  std::string Output();                         // everything so far
  bool Running();
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  Terminal(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  void Pump(std::chrono::milliseconds timeout);  // reads what the program wrote

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  size_t mark_ = 0;
  std::optional<int> exit_status_;
};

}  // namespace sqlrepl::testing
