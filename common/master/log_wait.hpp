// Issue 18, item 4, the master's side: when the master's own server runs
// out of a resource (disk space, memory, connections; db/server_errors.hpp)
// while it writes a statement's log row, the statement is neither lost nor
// skipped. Its changes wait in the open transaction while the master pauses
// with one line and writes the row again with backoff; once room is back
// the row and the COMMIT go through as usual. After `limit` (or a Ctrl-C
// typed during the wait, at a terminal) it gives up: the transaction is
// rolled back and the statement reported failed, naming the reason, so
// that nothing commits unlogged.
//
// Interactive and piped alike wait, bounded: a script has nobody who could
// free room or give up, and must end some day with a clear failure (exit
// status 1) rather than hang; a person at the prompt reads the line, frees
// room or presses Ctrl-C, and the bound keeps a forgotten prompt from
// holding its locks for ever.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.hpp"

namespace sqlrepl::master {

struct LogWaitOptions {
  std::chrono::milliseconds first{200};   // the first pause
  std::chrono::milliseconds max{5000};    // pauses double up to this
  std::chrono::milliseconds limit{300000};  // all the pauses of one log row together
  // Takes one pause; false when the wait was stopped (Ctrl-C). Null: sleeps.
  std::function<bool(std::chrono::milliseconds)> pause;
  // Where the one line that says the master waits goes; may be null.
  std::function<void(const std::string&)> notice;
};

// A short name ("table full", "disk full", ...) when `s`, the error that
// writing a log row met, is a server resource that ran out for a while;
// nullptr otherwise. Lock waits, deadlocks and interrupted statements are
// not waited out here: a deadlock took the transaction with it, and an
// interruption is someone's wish.
const char* LogRowWaitReason(const Status& s);

// The next pause once `waited` has passed in pauses, the last of which was
// `last` (zero before the first); nullopt once the limit is reached.
std::optional<std::chrono::milliseconds> NextLogWait(const LogWaitOptions& o,
                                                     std::chrono::milliseconds waited,
                                                     std::chrono::milliseconds last);

// Sleeps `d` in short steps; false as soon as `stopped` (may be null) says so.
bool PauseUnlessStopped(std::chrono::milliseconds d, const std::function<bool()>& stopped);

// The line said as the master starts waiting for write #seq.
std::string LogWaitLine(uint64_t seq, const char* reason, const Status& error,
                        const std::string& statement, std::chrono::milliseconds limit);
// The error that ends the wait: `last` with why the master stopped waiting.
Status LogWaitGaveUp(const Status& last, const char* reason, std::chrono::milliseconds waited,
                     bool stopped);

}  // namespace sqlrepl::master
