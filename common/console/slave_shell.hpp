// The slave's local prompt (`slave1 [school]> `), shown when the slave runs
// on a terminal: read-only statements (SELECT, SHOW, DESCRIBE, EXPLAIN, as
// sql::Classify reads them) run on a database session of the prompt's own,
// never the applier's, and print as at the master's prompt. Anything else
// is refused with one line that names the master, where writes belong.
// The session is also made READ ONLY, so that a statement the classifier
// misread still cannot write.
//
// It knows nothing of the slave's parts: what `status` shows comes through
// a callback, so console/ stays free of slave/ (scripts/check-layers.sh).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "console/command_table.hpp"
#include "console/interrupt.hpp"
#include "console/line_source.hpp"
#include "db/connection.hpp"
#include "sql/splitter.hpp"

namespace sqlrepl::console {

class SlaveShell {
 public:
  struct Options {
    std::string slave_id;  // shown in the prompt and in refusals
    std::string database;  // shown in the prompt
    std::string master;    // "HOST:PORT", named when a write is refused
  };
  // (name, value) lines for `status` / `\s`, read when asked (any thread's data).
  using StatusFields = std::function<std::vector<std::pair<std::string, std::string>>()>;

  // `session` must outlive the shell; it is made read-only here.
  SlaveShell(db::Connection* session, Options options, StatusFields status, std::ostream& out,
             std::ostream& err);
  // Its command table points back at it.
  SlaveShell(const SlaveShell&) = delete;
  SlaveShell& operator=(const SlaveShell&) = delete;

  // Reads until quit, \q, Ctrl-D or `stop` says so; returns 0.
  int Run(LineSource* input);

  // Ctrl-C at the prompt (drops the typed line) and while a query runs
  // (kills it); may be null. Must outlive the shell.
  void set_interrupt(InterruptHandler* interrupt) { interrupt_ = interrupt; }
  // Checked before each read: true ends Run() (the slave is stopping).
  void set_stop(std::function<bool()> stop) { stop_ = std::move(stop); }

  // The one line a refused statement gets.
  static std::string RefusalLine(const Options& options);

 private:
  // The prompt's commands: dispatch, help and Tab completion.
  CommandTable MakeCommands();
  // Tables, columns and commands for Tab, read again after each statement
  // (replicated DDL changes them at any time).
  void RefreshCompletion(LineSource* input);
  void RunStatement(const sql::SplitStatement& statement);
  // Runs `sql`, reconnecting once when the session was lost.
  Result<db::QueryResult> Execute(const std::string& sql);
  Status MakeReadOnly();
  void ShowStatus();
  std::string Prompt() const;

  db::Connection* session_;
  Options options_;
  StatusFields status_;
  std::ostream& out_;
  std::ostream& err_;
  InterruptHandler* interrupt_ = nullptr;
  std::function<bool()> stop_;
  sql::StatementSplitter splitter_;
  CommandTable commands_;
  bool refresh_completion_ = true;
};

}  // namespace sqlrepl::console
