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
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/defaults.hpp"
#include "console/command_table.hpp"
#include "console/interrupt.hpp"
#include "console/line_source.hpp"
#include "console/outcome_queue.hpp"
#include "feed/slave_registry.hpp"
#include "master/master_executor.hpp"
#include "master/verifier.hpp"
#include "sql/classifier.hpp"
#include "sql/splitter.hpp"

namespace sqlrepl::console {

class MasterShell {
 public:
  struct Options {
    bool force = false;     // scripts go on after a failed statement
    std::string database;   // shown in the prompt
    int ack_timeout_ms = config::kDefaultAckTimeoutMs;
    // Output, as the mysql client's options of the same names. `silent` > 0
    // (-s, -B): rows tab-separated and escaped, no "Query OK" lines, and the
    // replication outcome lines go to `err` so that stdout holds only data;
    // 2 or more: no column names either.
    int silent = 0;
    bool table = false;          // -t: bordered tables even when silent
    bool column_names = true;    // -N clears it
    int verbose = 0;             // -v: echo each statement of a script
    bool show_warnings = false;  // \W: print warnings after each statement
    bool color = false;          // errors in red (a terminal, NO_COLOR unset)
    std::string user;            // for \s and the prompt's \u
    std::string host;            // for \s and the prompt's \h
  };

  // Every pointer must outlive the shell.
  MasterShell(master::MasterExecutor* executor, feed::SlaveRegistry* registry,
              master::Verifier* verifier, const log::ReplicationLog* log, Options options,
              std::ostream& out, std::ostream& err);
  // Its command table points back at it.
  MasterShell(const MasterShell&) = delete;
  MasterShell& operator=(const MasterShell&) = delete;

  int Run(LineSource* input);

  // Lag changes not reported yet (a slave that caught up between writes),
  // printed as any output (tee file included). The thread that runs Run().
  void PrintLagChanges();

  // Ctrl-C at the prompt (interactive use); may be null. Must outlive the shell.
  void set_interrupt(InterruptHandler* interrupt);

  // Called with one line for the operational log (refusals by the master,
  // errors, reconnections); may be empty.
  void set_oplog(std::function<void(const std::string&)> f) { oplog_ = std::move(f); }

  // Held while the shell uses the executor or the verifier, which the HTTP
  // API shares (http/master_api.hpp); may be null. Must outlive the shell.
  void set_write_path(std::timed_mutex* write_path) { write_path_ = write_path; }

 private:
  using Clock = std::chrono::steady_clock;

  // One line of input; false when a script must stop.
  bool ProcessLine(LineSource* input, const std::string& line, bool interactive, bool* failed,
                   bool* quit);
  // Statement text for the splitter; runs what it completes.
  bool FeedLine(LineSource* input, const std::string& line, bool interactive, bool* failed);
  // Runs the command `line` names (see MakeCommands); nullopt: not one.
  std::optional<CommandAction> HandleMetaCommand(std::string_view line, bool interactive);
  // The prompt's commands: dispatch, help and Tab completion.
  CommandTable MakeCommands();
  // Bodies for the table: `f` after printing the output held back; the
  // statement being typed sent as `action`; a setting changed, then `said`.
  using CommandRun = std::function<CommandAction(std::string_view, bool)>;
  CommandRun Flushed(std::function<void(std::string_view, bool)> f);
  CommandRun SendTyped(CommandAction action);
  CommandRun Setting(std::function<void()> change, std::string said);
  void System(std::string_view command);  // system, \!: runs `command` in a shell
  void Use(std::string_view db, bool interactive);  // use, \u: a replicated USE
  // tee, pager, prompt: how output is shown from now on.
  CommandAction Tee(std::string_view path);
  CommandAction Pager(std::string_view command, bool interactive);
  CommandAction SetPrompt(std::string_view format);
  // source FILE: runs its statements as typed, the prompt staying open.
  void Source(const std::string& path);
  void ShowStatus();  // status, \s
  // SHOW WARNINGS and friends answered from what was saved after the last
  // statement (the master's own statements since then cleared the server's).
  std::optional<db::QueryResult> AnswerFromSavedWarnings(std::string_view sql) const;
  // Result sets and summary lines of one statement, in the chosen format.
  std::string FormatResult(const db::QueryResult& r, bool vertical, double seconds) const;
  // Runs before each prompt: its query may be what finds the session lost,
  // and what reconnecting said is printed then (PrintReconnection).
  void RefreshCompletion(LineSource* input);
  // What a lost session and reconnecting said (the error, the notes on lost
  // session state), ahead of the statement's own output.
  void AddReconnection(const master::Executed& e, int line, bool interactive,
                       OutcomeQueue::Entry* p);
  // The same for the shell's own queries (status, completion), with any
  // write the reconnection found committed; printed at once.
  void PrintReconnection(const master::Executed& e);
  // stdout (or, for `paged` results, the pager) and the tee file.
  void Write(const std::string& text, bool paged = false);
  void WriteError(const std::string& text);  // stderr and the tee file
  bool silent() const { return options_.silent > 0 && !options_.table; }
  // Runs one statement and queues its output; false when it failed on the master.
  bool RunStatement(const sql::SplitStatement& statement, bool interactive);
  // What the master answered `statement` (`e`, classified as `c`), into
  // `p`: the result or the error, warnings and notes. False on an error.
  bool AddResult(const master::Executed& e, const sql::Classification& c,
                 const sql::SplitStatement& statement, double seconds, bool interactive,
                 OutcomeQueue::Entry* p);
  // \verify [table ...] (see master::Verifier); false on any difference.
  bool Verify(std::string_view args);
  // Prints queued output whose acknowledgements are in (all of it, waiting
  // as needed, when `wait`; see OutcomeQueue).
  void Flush(bool wait);
  void Print(const OutcomeQueue::Released& released);
  // An error as the mysql client prints it; scripts name the input line.
  std::string ErrorText(const Status& error, int line, bool interactive) const;
  std::string Prompt(bool continuation) const;
  std::string ExpandPrompt(const std::string& format) const;
  // The write path, held (an empty lock when none is shared).
  std::unique_lock<std::timed_mutex> HoldWritePath() const {
    return write_path_ != nullptr ? std::unique_lock(*write_path_)
                                  : std::unique_lock<std::timed_mutex>();
  }

  master::MasterExecutor* executor_;
  feed::SlaveRegistry* registry_;
  master::Verifier* verifier_;
  const log::ReplicationLog* log_;
  InterruptHandler* interrupt_ = nullptr;
  Options options_;
  std::ostream& out_;
  std::ostream& err_;
  sql::StatementSplitter splitter_;
  OutcomeQueue outcomes_;     // output held back behind acknowledgements
  CommandTable commands_;
  bool meta_failed_ = false;  // a meta-command failed (\verify found differences)
  std::function<void(const std::string&)> oplog_;
  std::timed_mutex* write_path_ = nullptr;
  std::string typed_;  // the unfinished statement's text, for its open quote and \c
  std::vector<db::Warning> saved_warnings_;
  bool warnings_saved_ = false;
  std::string prompt_format_;  // empty: the default prompt
  std::string pager_;          // empty: stdout
  std::unique_ptr<std::ofstream> tee_;
  std::string tee_path_;
  int source_depth_ = 0;
  bool refresh_completion_ = true;
  Clock::time_point started_ = Clock::now();

  static constexpr size_t kMaxInFlight = 5000;
};

}  // namespace sqlrepl::console
