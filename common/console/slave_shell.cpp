#include "console/slave_shell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "base/strings.hpp"
#include "console/input_state.hpp"
#include "db/server_errors.hpp"
#include "console/table_formatter.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::console {
namespace {

constexpr std::string_view kHelp =
    "The slave's prompt is read-only: SELECT, SHOW, DESCRIBE (DESC) and EXPLAIN run on\n"
    "this slave's own database; writes belong on the master.\n"
    "  status (\\s)         the master, the link, the applied position, lag, refusals, errors\n"
    "  clear (\\c)          drop the statement being typed\n"
    "  help (\\h, \\?)       this text\n"
    "  quit, exit (\\q)     stop the slave (as Ctrl-D does)\n"
    "End a statement with ';' (or \\G for one column per line). Ctrl-C drops the line\n"
    "being typed, or stops the query that runs.\n\n";

// The command without surrounding blanks and trailing ';'.
std::string_view CommandOf(std::string_view line) {
  const size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  line.remove_prefix(first);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r' ||
                           line.back() == ';')) {
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

SlaveShell::SlaveShell(db::Connection* session, Options options, StatusFields status,
                       std::ostream& out, std::ostream& err)
    : session_(session),
      options_(std::move(options)),
      status_(std::move(status)),
      out_(out),
      err_(err) {
  const Status s = MakeReadOnly();
  if (!s.ok()) err_ << "WARNING: could not make the prompt's session read-only: " << s.ToString() << std::endl;
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

SlaveShell::Meta SlaveShell::HandleMetaCommand(std::string_view line) {
  const std::string_view cmd = CommandOf(line);
  if (cmd == "\\c" || EqualsIgnoreCase(cmd, "clear")) {
    splitter_.Clear();
    return Meta::kHandled;
  }
  if (splitter_.HasPendingText()) return Meta::kNotMeta;
  if (cmd == "\\q" || EqualsIgnoreCase(cmd, "quit") || EqualsIgnoreCase(cmd, "exit")) return Meta::kQuit;
  if (cmd == "\\s" || EqualsIgnoreCase(cmd, "status")) {
    ShowStatus();
    return Meta::kHandled;
  }
  if (cmd == "\\h" || cmd == "\\?" || cmd == "?" || EqualsIgnoreCase(cmd, "help")) {
    out_ << kHelp << std::flush;
    return Meta::kHandled;
  }
  return Meta::kNotMeta;
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
  err_ << "No connection. Trying to reconnect..." << std::endl;
  Status again = session_->Reconnect();
  if (again.ok()) again = MakeReadOnly();
  if (!again.ok()) {
    err_ << "ERROR: cannot reach the slave's database: " << again.ToString() << std::endl;
    return r;
  }
  err_ << "Connection id:    " << session_->thread_id() << "\nCurrent database: " << options_.database
       << "\n\n" << std::flush;
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
    } else if (e.code() == StatusCode::kSqlError) {
      err_ << fmt::format("ERROR {} ({}): {}", e.sql_errno(), e.sqlstate(), e.message()) << std::endl;
    } else {
      err_ << "ERROR: " << e.message() << std::endl;
    }
    return;
  }
  std::string text;
  const db::QueryResult* one = &*r;
  for (size_t i = 0; one != nullptr; ++i) {
    if (one->has_result_set && !one->rows.empty()) {
      text += st.vertical ? FormatVertical(*one) : FormatTable(*one);
    }
    text += FormatSummary(*one, seconds) + "\n\n";
    one = i < r->more_results.size() ? &r->more_results[i] : nullptr;
  }
  out_ << text << std::flush;
}

int SlaveShell::Run(LineSource* input) {
  while (!(stop_ && stop_())) {
    std::optional<std::string> line = input->ReadLine(Prompt());
    if (!line && stop_ && stop_()) {
      out_ << "\n";  // the slave stopped under the line being typed
      break;
    }
    if (!line && interrupt_ != nullptr && interrupt_->Take()) {
      out_ << "^C" << std::endl;  // as the mysql client: drop what was typed, keep the prompt
      splitter_.Clear();
      continue;
    }
    if (!line) break;
    const Meta meta = HandleMetaCommand(*line);
    if (meta == Meta::kQuit) break;
    if (meta == Meta::kHandled) continue;
    if (ScanInput(*line).clear) {  // \c at the end of a line drops the statement
      splitter_.Clear();
      continue;
    }
    splitter_.Feed(*line);
    splitter_.Feed("\n");
    while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
      input->Remember(st->text + (st->vertical ? "\\G" : ";"));
      RunStatement(*st);
    }
  }
  out_ << "Bye" << std::endl;
  return 0;
}

}  // namespace sqlrepl::console
