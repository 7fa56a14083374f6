#include "console/slave_shell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "base/strings.hpp"
#include "console/command_table.hpp"
#include "console/input_state.hpp"
#include "db/server_errors.hpp"
#include "console/table_formatter.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::console {
namespace {

constexpr std::string_view kHelpHead =
    "The slave's prompt is read-only: SELECT, SHOW, DESCRIBE (DESC) and EXPLAIN run on\n"
    "this slave's own database; writes belong on the master.\n";
constexpr std::string_view kHelpTail =
    "End a statement with ';' (or \\G for one column per line). Ctrl-C drops the line\n"
    "being typed, or stops the query that runs.\n\n";

}  // namespace

SlaveShell::SlaveShell(db::Connection* session, Options options, StatusFields status,
                       std::ostream& out, std::ostream& err)
    : session_(session),
      options_(std::move(options)),
      status_(std::move(status)),
      out_(out),
      err_(err),
      commands_(MakeCommands()) {
  const Status s = MakeReadOnly();
  if (!s.ok())
    err_ << "WARNING: could not make the prompt's session read-only: " << s.ToString() << std::endl;
}

std::string SlaveShell::RefusalLine(const Options& options) {
  return fmt::format("ERROR: {} is read-only; run writes on the master at {}", options.slave_id,
                     options.master);
}

Status SlaveShell::MakeReadOnly() {
  // Defence in depth: the classifier lets reads through, the server refuses
  // any write in this session (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION).
  return session_->Run("SET SESSION TRANSACTION READ ONLY");
}

std::string SlaveShell::Prompt() const {
  if (splitter_.HasPendingText()) return "    -> ";
  return fmt::format("{} [{}]> ", options_.slave_id, options_.database);
}

CommandTable SlaveShell::MakeCommands() {
  using A = CommandAction;
  using Args = CommandArgs;
  // clang-format off: one command per entry, its forms on its first line
  return {
      {{"status"}, {"\\s"}, Args::kNone, false, "",
       "the master, the link, the applied position, lag, refusals, errors",
       [this](std::string_view, bool) {
         ShowStatus();
         return A::kHandled;
       }},
      {{"clear"}, {"\\c"}, Args::kNone, true, "", "drop the statement being typed",
       [this](std::string_view, bool) {
         splitter_.Clear();
         return A::kHandled;
       }},
      {{"help"}, {"\\h", "\\?", "?"}, Args::kNone, false, "", "this text",
       [this](std::string_view, bool) {
         out_ << kHelpHead << HelpText(commands_) << kHelpTail << std::flush;
         return A::kHandled;
       }},
      {{"quit", "exit"}, {"\\q"}, Args::kNone, false, "", "stop the slave (as Ctrl-D does)",
       [](std::string_view, bool) { return A::kQuit; }},
  };
  // clang-format on
}

void SlaveShell::RefreshCompletion(LineSource* input) {
  if (!refresh_completion_) return;
  refresh_completion_ = false;
  const Result<db::QueryResult> names = Execute(std::string(kCompletionQuery));
  input->SetCompletionWords(CompletionWords(commands_, names.ok() ? &*names : nullptr));
}

void SlaveShell::ShowStatus() {
  const std::vector<std::pair<std::string, std::string>> fields = status_();
  size_t width = 0;
  for (const auto& [name, value] : fields) width = std::max(width, name.size());
  std::string text = "--------------\n";
  for (const auto& [name, value] : fields) {
    text += fmt::format("{:<{}} {}\n", name + ":", width + 1, value);
  }
  out_ << text << "--------------\n\n" << std::flush;
}

Result<db::QueryResult> SlaveShell::Execute(const std::string& sql) {
  if (interrupt_ != nullptr) interrupt_->SetKillable(session_->thread_id());
  Result<db::QueryResult> r = session_->Execute(sql);
  if (interrupt_ != nullptr) interrupt_->SetKillable(0);
  if (r.ok() || !db::IsConnectionLost(r.status())) return r;
  // A read is safe to run again; the session state it needs is READ ONLY.
  err_ << kReconnecting << std::endl;
  Status again = session_->Reconnect();
  if (again.ok()) again = MakeReadOnly();
  if (!again.ok()) {
    err_ << "ERROR: cannot reach the slave's database: " << again.ToString() << std::endl;
    return r;
  }
  err_ << ReconnectedText(session_->thread_id(), options_.database) << "\n" << std::flush;
  if (interrupt_ != nullptr) interrupt_->SetKillable(session_->thread_id());
  r = session_->Execute(sql);
  if (interrupt_ != nullptr) interrupt_->SetKillable(0);
  return r;
}

void SlaveShell::RunStatement(const sql::SplitStatement& st) {
  if (!st.error.empty()) {
    err_ << "ERROR: " << st.error << std::endl;
    return;
  }
  const sql::Classification c = sql::Classify(st.text);
  if (c.kind == sql::StatementKind::kEmpty) {
    err_ << "ERROR: No query specified" << std::endl;
    return;
  }
  if (c.kind != sql::StatementKind::kRead || c.multiple_statements) {
    err_ << RefusalLine(options_) << std::endl;
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  Result<db::QueryResult> r = Execute(st.text);
  if (interrupt_ != nullptr) interrupt_->Take();  // a Ctrl-C meanwhile was for the query
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!r.ok()) {
    const Status& e = r.status();
    if (e.code() == StatusCode::kSqlError && e.sql_errno() == db::kErReadOnlyTransaction) {
      err_ << RefusalLine(options_) << std::endl;  // a write the classifier did not see
    } else {
      err_ << ErrorText(e) << std::flush;
    }
    return;
  }
  ResultStyle style;
  style.vertical = st.vertical;
  out_ << FormatResults(*r, style, seconds) << "\n" << std::flush;
}

int SlaveShell::Run(LineSource* input) {
  while (!(stop_ && stop_())) {
    RefreshCompletion(input);
    std::optional<std::string> line = input->ReadLine(Prompt());
    if (!line && stop_ && stop_()) {
      out_ << "\n";  // the slave stopped under the line being typed
      break;
    }
    if (!line && TakeCtrlCAtPrompt(interrupt_, out_)) {
      splitter_.Clear();
      continue;
    }
    if (!line) break;
    std::string_view arg;
    if (const Command* c = FindCommand(commands_, *line, splitter_.HasPendingText(), &arg)) {
      if (c->run(arg, true) == CommandAction::kQuit) break;
      continue;
    }
    if (ScanInput(*line).clear) {  // \c at the end of a line drops the statement
      splitter_.Clear();
      continue;
    }
    splitter_.Feed(*line);
    splitter_.Feed("\n");
    while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
      input->Remember(st->text + (st->vertical ? "\\G" : ";"));
      RunStatement(*st);
      refresh_completion_ = true;  // replicated DDL may have changed the tables
    }
  }
  out_ << "Bye" << std::endl;
  return 0;
}

}  // namespace sqlrepl::console
