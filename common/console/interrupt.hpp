// Ctrl-C at the master's prompt, handled as the mysql client does: it never
// ends the program. While a statement runs on the server, the statement is
// killed with KILL QUERY from a second connection; at the prompt, the line
// being typed is dropped; while the prompt waits for acknowledgements, it
// stops waiting (the write is committed either way).
//
// One per process, constructed on the thread that reads the prompt: the
// constructor installs the SIGINT handler (without
// SA_RESTART, so a blocking read returns) and a thread that sends the kill,
// since a signal handler can do neither I/O nor locking.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "db/connection.hpp"

namespace sqlrepl::console {

// Blocks SIGINT on this thread while it lives, so that threads started
// meanwhile inherit the block. The prompt's thread keeps SIGINT: the kernel
// then always delivers Ctrl-C there, where it interrupts the blocking read
// of the terminal, which a delivery to any other thread would not.
class SigintBlocked {
 public:
  SigintBlocked();
  ~SigintBlocked();
  SigintBlocked(const SigintBlocked&) = delete;
  SigintBlocked& operator=(const SigintBlocked&) = delete;

 private:
  sigset_t saved_;
};

class InterruptHandler {
 public:
  // `db` is how to reach the server to send KILL QUERY; `print` says what
  // came of it; `wake` is called after each Ctrl-C to wake whoever waits
  // (the slave registry). Both run on the handler's thread.
  InterruptHandler(db::ConnectOptions db, std::function<void(const std::string&)> print,
                   std::function<void()> wake);
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  // The server session whose statement a Ctrl-C kills now; 0: none (the
  // master's own bookkeeping, such as COMMIT of the log, is never killed).
  // Waits for a kill being sent, so that it cannot reach what runs next.
  void SetKillable(unsigned long thread_id);
  // True once for each Ctrl-C since the last call (any thread).
  bool Take() { return pending_.exchange(false); }
  bool pending() const { return pending_.load(); }

 private:
  void Watch();

  db::ConnectOptions db_;
  std::function<void(const std::string&)> print_;
  std::function<void()> wake_waiters_;
  std::mutex mu_;  // held while a kill is sent
  unsigned long killable_ = 0;
  std::atomic<bool> pending_{false};
  int wake_[2] = {-1, -1};  // the handler writes a byte; the thread reads it
  std::thread thread_;
};

// At a prompt, after a read that returned no line: true when a Ctrl-C ended
// it (taken, and "^C" printed, as the mysql client does: the typed text is
// dropped, the prompt stays), false at the end of input. `interrupt` may be null.
bool TakeCtrlCAtPrompt(InterruptHandler* interrupt, std::ostream& out);

}  // namespace sqlrepl::console
