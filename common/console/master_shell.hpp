// The master's prompt: reads statements from a terminal or a script,
// executes each as soon as it is complete (through the MasterExecutor, which
// logs and publishes writes), and prints the result as the mysql client does,
// followed by how the slaves handled it.
//
// Interactive: a write's outcome is printed once every connected slave has
// acknowledged it, or ACK_TIMEOUT_MS has passed. Script mode (input not a
// terminal), as `mysql < file.sql`: statements keep running while earlier
// ones wait for their acknowledgements, but each statement's output is
// printed in order and only after its acknowledgements. The first statement
// that fails stops the script unless `force` is set; Run() returns 0 only
// when every statement succeeded on the master.
#pragma once

#include <chrono>
#include <deque>
#include <ostream>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "console/interrupt.hpp"
#include "console/line_source.hpp"
#include "master/master_executor.hpp"
#include "master/verifier.hpp"
#include "master/slave_registry.hpp"
#include "sql/classifier.hpp"
#include "sql/splitter.hpp"

namespace sqlrepl::console {

class MasterShell {
 public:
  struct Options {
    bool force = false;     // scripts go on after a failed statement
    std::string database;   // shown in the prompt
    int ack_timeout_ms = 5000;
  };

  // Every pointer must outlive the shell.
  MasterShell(master::MasterExecutor* executor, master::SlaveRegistry* registry,
              master::Verifier* verifier, const master::MasterLog* log, Options options,
              std::ostream& out, std::ostream& err);

  int Run(LineSource* input);

  // Ctrl-C at the prompt (interactive use); may be null. Must outlive the shell.
  void set_interrupt(InterruptHandler* interrupt) { interrupt_ = interrupt; }

 private:
  enum class Meta { kNotMeta, kHandled, kQuit };
  using Clock = std::chrono::steady_clock;

  // One statement's output, waiting for its acknowledgements.
  struct Pending {
    std::string out;
    std::string err;
    std::vector<uint64_t> seqs;
    std::vector<std::string> slaves;  // connected when it committed
    Clock::time_point committed_at;
  };

  Meta HandleMetaCommand(std::string_view line);
  // Runs one statement and queues its output; false when it failed on the master.
  bool RunStatement(const sql::SplitStatement& statement, bool interactive);
  // \verify [table ...] (see master::Verifier); false on any difference.
  bool Verify(std::string_view args);
  // Prints queued output whose acknowledgements are in (all of it, waiting
  // as needed, when `wait`).
  void Flush(bool wait);
  // Waits for the outcomes of `seq` until `deadline`, or until Ctrl-C
  // (then *interrupted is set and the slaves yet to answer are kNoAck).
  std::vector<master::SlaveOutcome> AwaitOutcomes(uint64_t seq, const std::vector<std::string>& slaves,
                                                  Clock::time_point deadline, bool* interrupted);
  // An error as the mysql client prints it; scripts name the input line.
  std::string ErrorText(const Status& error, int line, bool interactive) const;
  std::string Prompt(bool continuation) const;

  master::MasterExecutor* executor_;
  master::SlaveRegistry* registry_;
  master::Verifier* verifier_;
  const master::MasterLog* log_;
  InterruptHandler* interrupt_ = nullptr;
  Options options_;
  std::ostream& out_;
  std::ostream& err_;
  sql::StatementSplitter splitter_;
  std::deque<Pending> pending_;
  bool meta_failed_ = false;  // a meta-command failed (\verify found differences)

  static constexpr size_t kMaxInFlight = 5000;
};

}  // namespace sqlrepl::console
