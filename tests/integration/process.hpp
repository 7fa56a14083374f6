// A child process for integration tests: stdout and stderr go to files (so
// a test can poll them while the child runs), stdin is a pipe the test
// writes to. The destructor kills the child if it still runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wait_for.hpp"

namespace sqlrepl::testing {

using Clock = std::chrono::steady_clock;

std::string ReadWholeFile(const std::string& path);

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Process {
 public:
  struct Options {
    std::string stdout_path;                 // required
    std::string stderr_path;                 // empty: same file as stdout
    std::string working_dir;                 // empty: inherit
    std::map<std::string, std::string> env;  // added to the inherited environment
    bool stdin_pipe = true;
  };

  // Starts argv[0] (a path). Returns nullopt and sets `error` on failure.
  static std::optional<Process> Spawn(const std::vector<std::string>& argv, const Options& options,
                                      std::string* error);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  bool WriteStdin(const std::string& text);
  void CloseStdin();
  void Signal(int sig);
  // The exit status (128+signal when killed), or nullopt if the child still
  // runs at the deadline.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool Running();
  std::string Stdout() const { return ReadWholeFile(options_.stdout_path); }
  std::string Stderr() const {
    return ReadWholeFile(options_.stderr_path.empty() ? options_.stdout_path
                                                      : options_.stderr_path);
  }

 private:
  Process(pid_t pid, int stdin_fd, Options options)
      : pid_(pid), stdin_fd_(stdin_fd), options_(std::move(options)) {}

  void Release();  // closes stdin, kills and reaps a child still running

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> exit_status_;
  Options options_;
};

// How a program ended and what it printed.
struct Outcome {
  int exit_status = -1;  // -1: it did not exit in time
  std::string out;
  std::string err;
};

// Writes `input` to the program's stdin, closes it, and waits for the end.
Outcome FeedToEnd(Process& p, const std::string& input, std::chrono::milliseconds timeout);

}  // namespace sqlrepl::testing
