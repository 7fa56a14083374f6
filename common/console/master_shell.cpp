#include "console/master_shell.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "app/startup.hpp"
#include "base/strings.hpp"
#include "console/input_state.hpp"
#include "console/replication_report.hpp"
#include "console/table_formatter.hpp"
#include "console/write_text.hpp"
#include "sql/determinism.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::console {
namespace {

constexpr std::string_view kHelpHead =
    "Type SQL ending with ';' (or \\G for vertical output). Writes are replicated to the slaves.\n"
    "Commands (long form or backslash form, on a line of their own, no ';' needed):\n";

std::string Collapsed(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out += AsciiLower(c);
  }
  return out;
}

std::string FormatUptime(long seconds) {
  std::string out;
  if (seconds >= 86400)
    out += fmt::format("{} day{} ", seconds / 86400, seconds >= 172800 ? "s" : "");
  if (seconds >= 3600)
    out +=
        fmt::format("{} hour{} ", seconds % 86400 / 3600, seconds % 86400 / 3600 == 1 ? "" : "s");
  if (seconds >= 60) out += fmt::format("{} min ", seconds % 3600 / 60);
  return out + fmt::format("{} sec", seconds % 60);
}

// As the mariadb client names the server (its "Server:" line): by the
// product its version string names, not by @@version_comment.
std::string ServerName(std::string_view version) {
  return version.find("MariaDB") != std::string_view::npos ? "MariaDB" : "MySQL";
}

}  // namespace

MasterShell::MasterShell(master::MasterExecutor* executor, feed::SlaveRegistry* registry,
                         master::Verifier* verifier, const log::ReplicationLog* log,
                         Options options, std::ostream& out, std::ostream& err)
    : executor_(executor),
      registry_(registry),
      verifier_(verifier),
      log_(log),
      options_(std::move(options)),
      out_(out),
      err_(err),
      outcomes_(registry, options_.ack_timeout_ms),
      commands_(MakeCommands()) {}

void MasterShell::set_interrupt(InterruptHandler* interrupt) {
  interrupt_ = interrupt;
  if (interrupt == nullptr) return outcomes_.set_interrupt(nullptr, nullptr);
  outcomes_.set_interrupt([interrupt] { return interrupt->pending(); },
                          [interrupt] { return interrupt->Take(); });
}

std::string MasterShell::ExpandPrompt(const std::string& format) const {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '\\' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    switch (format[++i]) {
      case 'd':
        out += options_.database.empty() ? "(none)" : options_.database;
        break;
      case 'u':
        out += options_.user;
        break;
      case 'h':
        out += options_.host;
        break;
      case '_':
        out += ' ';
        break;
      case 'n':
        out += '\n';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        out += format[i];
    }
  }
  return out;
}

std::string MasterShell::Prompt(bool continuation) const {
  if (continuation) return ContinuationPrompt(ScanInput(typed_).open);
  if (!prompt_format_.empty()) return ExpandPrompt(prompt_format_);
  return fmt::format("master [{}]> ", options_.database.empty() ? "(none)" : options_.database);
}

void MasterShell::Write(const std::string& text, bool paged) {
  if (text.empty()) return;
  if (tee_) *tee_ << text << std::flush;
  if (paged && !pager_.empty()) {
    bool paged_out = false;
    out_ << std::flush;
    RunWithShellModes([&] {
      if (FILE* pipe = ::popen(pager_.c_str(), "w")) {
        std::fwrite(text.data(), 1, text.size(), pipe);
        ::pclose(pipe);
        paged_out = true;
      }
    });
    if (paged_out) return;
  }
  out_ << text << std::flush;
}

void MasterShell::WriteError(const std::string& text) {
  if (text.empty()) return;
  if (tee_) *tee_ << text << std::flush;
  if (options_.color) {
    err_ << "\x1b[31m" << text.substr(0, text.size() - (text.back() == '\n' ? 1 : 0)) << "\x1b[0m"
         << (text.back() == '\n' ? "\n" : "") << std::flush;
  } else {
    err_ << text << std::flush;
  }
}

std::optional<CommandAction> MasterShell::HandleMetaCommand(std::string_view line,
                                                            bool interactive) {
  const bool typing = splitter_.HasPendingText();
  std::string_view arg;
  if (const Command* c = FindCommand(commands_, line, typing, &arg)) {
    return c->run(arg, interactive);
  }
  const std::string_view cmd = CommandText(line);
  if (typing || cmd.empty() || cmd.front() != '\\') return std::nullopt;
  Flush(true);
  WriteError("ERROR: unknown command '" + std::string(cmd) + "'. Type 'help' for the list.\n");
  return CommandAction::kHandled;
}

MasterShell::CommandRun MasterShell::Flushed(std::function<void(std::string_view, bool)> f) {
  return [this, f = std::move(f)](std::string_view arg, bool interactive) {
    Flush(true);
    f(arg, interactive);
    return CommandAction::kHandled;
  };
}

MasterShell::CommandRun MasterShell::SendTyped(CommandAction action) {
  return [this, action](std::string_view, bool) {
    if (splitter_.HasPendingText()) return action;
    WriteError("ERROR: No query specified\n");
    return CommandAction::kHandled;
  };
}

MasterShell::CommandRun MasterShell::Setting(std::function<void()> change, std::string said) {
  return [this, change = std::move(change), said = std::move(said)](std::string_view, bool) {
    change();
    Write(said);
    return CommandAction::kHandled;
  };
}

void MasterShell::System(std::string_view command) {
  out_ << std::flush;
  if (command.empty()) return;
  RunWithShellModes([command] { (void)std::system(std::string(command).c_str()); });
}

// Commands that act on the statement being typed work mid-statement too;
// the others first print the output held back behind acknowledgements,
// except the output settings, which apply to it.
CommandTable MasterShell::MakeCommands() {
  using A = CommandAction;
  using Args = CommandArgs;
  // clang-format off: one command per entry, its forms on its first line
  return {
      {{"help"}, {"\\h", "\\?", "?"}, Args::kNone, false, "", "this text",
       Flushed([this](std::string_view, bool) {
         Write(std::string(kHelpHead) + HelpText(commands_));
       })},
      {{"clear"}, {"\\c"}, Args::kNone, true, "", "drop the statement being typed",
       Setting([this] { splitter_.Clear(); typed_.clear(); }, "")},
      {{"ego"}, {"\\G"}, Args::kNone, true, "",
       "send the statement being typed, rows shown vertically", SendTyped(A::kSendVertical)},
      {{"go"}, {"\\g"}, Args::kNone, true, "", "send the statement being typed",
       SendTyped(A::kSend)},
      {{"status"}, {"\\s"}, Args::kNone, false, "",
       "server, database, connection, replication id, last #, slaves, uptime",
       Flushed([this](std::string_view, bool) { ShowStatus(); })},
      {{"use"}, {"\\u"}, Args::kRequired, false, "db", "make db the current database (replicated)",
       Flushed([this](std::string_view arg, bool interactive) { Use(arg, interactive); })},
      {{"source"}, {"\\."}, Args::kAny, false, "file", "run the statements of a file, as if typed",
       Flushed([this](std::string_view arg, bool) { Source(std::string(arg)); })},
      {{"tee"}, {"\\T"}, Args::kAny, false, "file", "also write all output to file",
       [this](std::string_view arg, bool) { return Tee(arg); }},
      {{"notee"}, {"\\t"}, Args::kNone, false, "", "stop writing to the tee file",
       Setting([this] { tee_.reset(); }, "Outfile disabled.\n")},
      {{"pager"}, {"\\P"}, Args::kAny, false, "cmd", "send results through cmd (e.g. less)",
       [this](std::string_view arg, bool interactive) { return Pager(arg, interactive); }},
      {{"nopager"}, {"\\n"}, Args::kNone, false, "", "results to stdout again",
       Setting([this] { pager_.clear(); }, "PAGER set to stdout\n")},
      {{"warnings"}, {"\\W"}, Args::kNone, false, "", "show warnings after every statement",
       Setting([this] { options_.show_warnings = true; }, "Show warnings enabled.\n")},
      {{"nowarning"}, {"\\w"}, Args::kNone, false, "", "stop showing them",
       Setting([this] { options_.show_warnings = false; }, "Show warnings disabled.\n")},
      {{"system"}, {"\\!"}, Args::kAny, false, "cmd", "run a shell command",
       Flushed([this](std::string_view arg, bool) { System(arg); })},
      {{"prompt"}, {"\\R"}, Args::kAny, false, "fmt",
       "change the prompt (\\d database, \\u user, \\h host, \\_ space)",
       [this](std::string_view arg, bool) { return SetPrompt(arg); }},
      {{}, {"\\slaves"}, Args::kNone, false, "",
       "each slave: state, applied position, lag, refusals, errors",
       Flushed([this](std::string_view, bool) {
         Write(FormatSlaves(registry_->Snapshot(), log_->last_seq()));
       })},
      {{}, {"\\verify"}, Args::kAny, false, "[t ...]",
       "compare CHECKSUM TABLE of every table (or those named) on the slaves",
       Flushed([this](std::string_view arg, bool) {
         if (!Verify(arg)) meta_failed_ = true;
       })},
      {{"quit", "exit"}, {"\\q"}, Args::kNone, false, "", "leave the prompt",
       [](std::string_view, bool) { return A::kQuit; }},
      {{"DELIMITER"}, {}, Args::kRequired, false, "xyz",
       "end statements with xyz instead of ';'", nullptr},
  };
  // clang-format on
}

void MasterShell::Use(std::string_view arg, bool interactive) {
  const std::string db =
      arg.front() == '`' ? sql::Unquote(sql::CodeTokens(arg).front()) : std::string(arg);
  sql::SplitStatement st;
  st.text = "USE " + QuoteName(db);
  if (!RunStatement(st, interactive)) meta_failed_ = true;
}

CommandAction MasterShell::Tee(std::string_view arg) {
  const std::string path = arg.empty() ? tee_path_ : std::string(arg);
  auto file = std::make_unique<std::ofstream>(path, std::ios::app);
  if (path.empty() || !*file) {
    WriteError(fmt::format("ERROR: could not open the tee file '{}'\n", path));
    return CommandAction::kHandled;
  }
  tee_ = std::move(file);
  tee_path_ = path;
  Write(fmt::format("Logging to file '{}'\n", path));
  return CommandAction::kHandled;
}

CommandAction MasterShell::Pager(std::string_view arg, bool interactive) {
  if (!interactive) {
    WriteError("PAGER can only be set when the input is a terminal\n");
    return CommandAction::kHandled;
  }
  const char* env = std::getenv("PAGER");
  pager_ = !arg.empty() ? std::string(arg) : (env != nullptr && *env != '\0' ? env : "more");
  Write(fmt::format("PAGER set to '{}'\n", pager_));
  return CommandAction::kHandled;
}

CommandAction MasterShell::SetPrompt(std::string_view arg) {
  prompt_format_ = std::string(arg);
  if (prompt_format_.empty()) {
    Write("Returning to default PROMPT of master [\\d]> \n");
  } else {
    prompt_format_ += ' ';  // as the mysql client, a space before the input
    Write(fmt::format("PROMPT set to '{}'\n", prompt_format_));
  }
  return CommandAction::kHandled;
}

void MasterShell::ShowStatus() {
  const std::string query =
      "SELECT CONNECTION_ID(), VERSION(), CURRENT_USER(), DATABASE(), @@version_comment, "
      "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
      "'UPTIME')";
  master::Executed e = [&] {
    std::unique_lock held = HoldWritePath();
    return executor_->Execute(query, sql::Classify(query), options_.database);
  }();
  PrintReconnection(e);
  if (!e.result.ok() || e.result->rows.empty()) {
    WriteError(
        ErrorText(e.result.ok() ? Status::Unavailable("no answer") : ShownError(e), 0, true));
    return;
  }
  const db::Row& r = e.result->rows[0];
  auto V = [&r](size_t i) { return i < r.size() && r[i] ? *r[i] : std::string("NULL"); };
  const std::vector<std::string> slaves = registry_->ConnectedSlaves();
  std::string names;
  for (const std::string& s : slaves) names += (names.empty() ? " (" : ", ") + s;
  if (!names.empty()) names += ")";
  const long uptime =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count();
  Write(fmt::format(
      "--------------\n"
      "Connection id:          {}\n"
      "Current database:       {}\n"
      "Current user:           {}\n"
      "Server:                 {}\n"
      "Server version:         {}\n"
      "Connection:             {}\n"
      "Server uptime:          {}\n"
      "Replication id:         {}\n"
      "Last sequence number:   {}\n"
      "Slaves connected:       {}{}\n"
      "Master uptime:          {}\n"
      "Outfile:                {}\n"
      "Pager:                  {}\n"
      "--------------\n\n",
      V(0), V(3), V(2), ServerName(V(1)), V(1) + (V(4).empty() ? "" : " " + V(4)), options_.host,
      FormatUptime(std::strtol(V(5).c_str(), nullptr, 10)), log_->replication_id(),
      log_->last_seq(), slaves.size(), names, FormatUptime(uptime),
      tee_ ? "'" + tee_path_ + "'" : std::string("''"), pager_.empty() ? "stdout" : pager_));
}

void MasterShell::Source(const std::string& path) {
  if (path.empty()) {
    WriteError("ERROR: Usage: \\. <filename> | source <filename>\n");
    return;
  }
  if (source_depth_ >= 16) {
    WriteError("ERROR: source files nested too deeply\n");
    return;
  }
  std::ifstream file(path);
  if (!file) {
    WriteError(fmt::format("ERROR: Failed to open file '{}', error: {}\n", path, errno));
    return;
  }
  // The file gets a splitter and delimiter of its own; what was typed waits.
  sql::StatementSplitter outer = std::move(splitter_);
  std::string outer_typed = std::move(typed_);
  splitter_ = sql::StatementSplitter();
  typed_.clear();
  ++source_depth_;
  StreamLineSource lines(file);
  bool failed = false;
  bool quit = false;
  while (std::optional<std::string> line = lines.ReadLine("")) {
    // As the mysql client at a prompt: an error does not stop the file.
    // The file's statements stay out of the history (`lines` keeps none).
    if (!ProcessLine(&lines, *line, /*interactive=*/true, &failed, &quit) || quit) break;
  }
  splitter_.Finish();
  while (std::optional<sql::SplitStatement> st = splitter_.Next()) (void)RunStatement(*st, true);
  --source_depth_;
  splitter_ = std::move(outer);
  typed_ = std::move(outer_typed);
}

std::string MasterShell::ErrorText(const Status& error, int line, bool interactive) const {
  return console::ErrorText(error, interactive ? 0 : line);
}

std::string MasterShell::FormatResult(const db::QueryResult& r, bool vertical,
                                      double seconds) const {
  ResultStyle style;
  style.vertical = vertical;
  style.tab_separated = silent();
  style.column_names = options_.column_names && options_.silent < 2;
  style.summaries = !silent() || options_.verbose >= 3;
  return FormatResults(r, style, seconds);
}

std::optional<db::QueryResult> MasterShell::AnswerFromSavedWarnings(std::string_view sql) const {
  if (!warnings_saved_) return std::nullopt;
  const std::string s = Collapsed(sql);
  db::QueryResult r;
  r.has_result_set = true;
  if (s == "showwarnings") {
    r.columns = {{"Level", false}, {"Code", true}, {"Message", false}};
    for (const db::Warning& w : saved_warnings_)
      r.rows.push_back({w.level, std::to_string(w.code), w.message});
    return r;
  }
  std::string column;
  if (s == "showcount(*)warnings") column = "@@session.warning_count";
  if (s == "select@@warning_count") column = "@@warning_count";
  if (s == "select@@session.warning_count") column = "@@session.warning_count";
  if (column.empty()) return std::nullopt;
  r.columns = {{column, true}};
  r.rows.push_back({std::to_string(saved_warnings_.size())});
  return r;
}

bool MasterShell::AddResult(const master::Executed& e, const sql::Classification& c,
                            const sql::SplitStatement& st, double seconds, bool interactive,
                            OutcomeQueue::Entry* p) {
  for (const std::string& reason : e.unsafe) {
    p->out += "Warning: " + reason + "; slaves may end up with different data\n";
  }
  const bool ok = e.result.ok();
  warnings_saved_ = true;
  if (ok) {
    saved_warnings_ = e.result->warnings;
    // Warnings that could not be read: let the server answer.
    warnings_saved_ = e.result->warning_count == 0 || !e.result->warnings.empty();
    p->out += FormatResult(*e.result, st.vertical, seconds);
    if (options_.show_warnings && !e.result->warnings.empty()) {
      p->out += (silent() ? "" : "\n") + FormatWarnings(e.result->warnings);
    }
    if (!c.use_database.empty()) {
      options_.database = c.use_database;
      refresh_completion_ = true;
    }
    if (c.kind == sql::StatementKind::kDdl) refresh_completion_ = true;
  } else {
    const Status s = ShownError(e);
    saved_warnings_ = {
        {"Error", s.code() == StatusCode::kSqlError ? s.sql_errno() : 0, s.message()}};
    p->err += ErrorText(s, st.line, interactive);
    if (oplog_ && s.code() == StatusCode::kFailedPrecondition) oplog_("refused: " + s.message());
  }
  for (const master::Note& note : e.notes) p->out += NoteText(note) + "\n";
  return ok;
}

bool MasterShell::RunStatement(const sql::SplitStatement& st, bool interactive) {
  OutcomeQueue::Entry p;
  if (!st.error.empty()) {
    p.err = ErrorText(Status::InvalidArgument(st.error), st.line, interactive);
    outcomes_.Push(std::move(p));
    Flush(interactive);
    return false;
  }
  if (options_.verbose > 0 && !interactive)
    p.out += "--------------\n" + st.text + "\n--------------\n\n";
  // As the mysql client: a NUL byte cannot be sent as text, so the
  // statement is refused rather than cut or sent.
  if (st.text.find('\0') != std::string::npos) {
    p.err =
        ErrorText(Status::InvalidArgument(fmt::format(
                      "ASCII '\\0' appeared in the statement, which is not allowed. Query: '{}'.",
                      EscapeBatchField(st.text))),
                  st.line, interactive);
    if (oplog_) oplog_("refused a statement holding a NUL byte");
    outcomes_.Push(std::move(p));
    Flush(interactive);
    return false;
  }
  if (std::optional<db::QueryResult> saved = AnswerFromSavedWarnings(st.text)) {
    p.out += FormatResult(*saved, st.vertical, 0);
    outcomes_.Push(std::move(p));
    Flush(interactive || outcomes_.size() > kMaxInFlight);
    return true;
  }
  std::unique_lock write_path = HoldWritePath();
  const sql::Classification c = sql::Classify(st.text, executor_->CurrentLexMode());
  const auto started = Clock::now();
  master::Executed e = executor_->Execute(st.text, c, options_.database);
  write_path.unlock();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  AddReconnection(e, st.line, interactive, &p);
  const bool ok = AddResult(e, c, st, seconds, interactive, &p);
  p.seqs = std::move(e.committed);
  // A Ctrl-C that came while a statement ran was for that statement; after
  // a write it also means: do not wait for the slaves.
  if (p.seqs.empty() && interrupt_ != nullptr) interrupt_->Take();
  if (!p.seqs.empty()) p.slaves = registry_->ConnectedSlaves();
  p.committed_at = Clock::now();
  outcomes_.Push(std::move(p));
  Flush(interactive || outcomes_.size() > kMaxInFlight);
  return ok;
}

bool MasterShell::Verify(std::string_view args) {
  std::vector<std::string> tables;
  for (const sql::Token& t : sql::CodeTokens(args)) {
    if (t.kind == sql::TokenKind::kWord || t.kind == sql::TokenKind::kQuotedIdent) {
      tables.push_back(sql::Unquote(t));
    }
  }
  // Ctrl-C ends the waits (the interrupt handler wakes the registry).
  std::function<bool()> stop;
  if (interrupt_ != nullptr) stop = [this] { return interrupt_->pending(); };
  Result<master::VerifyReport> report = [&] {
    std::unique_lock held = HoldWritePath();
    return verifier_->Run(options_.database, std::move(tables), stop);
  }();
  if (!report.ok()) {
    if (interrupt_ != nullptr) interrupt_->Take();
    WriteError("ERROR: " + report.status().message() + "\n");
    return false;
  }
  Write(FormatVerifyReport(*report, std::chrono::seconds(master::Verifier::kWait).count()));
  return report->differences == 0 && report->unanswered.empty() && report->slave_only.empty();
}

void MasterShell::Flush(bool wait) {
  outcomes_.Release(wait, [this](const OutcomeQueue::Released& released) { Print(released); });
  // A slave that caught up between writes says so at the next output.
  PrintLagChanges();
}

void MasterShell::PrintLagChanges() {
  const std::string changes = outcomes_.TakeLagChanges();
  if (!changes.empty()) {
    if (silent()) {
      err_ << changes << std::flush;
    } else {
      Write(changes + "\n");
    }
  }
}

void MasterShell::Print(const OutcomeQueue::Released& r) {
  WriteError(r.err);
  if (silent()) {
    // Only data on stdout: a script keeps the outcomes with 2>&1 or drops them.
    Write(r.out, true);
    if (!r.report.empty()) err_ << r.report << std::flush;
  } else {
    Write(r.out + r.report + (!r.out.empty() || !r.report.empty() ? "\n" : ""), true);
  }
}

void MasterShell::AddReconnection(const master::Executed& e, int line, bool interactive,
                                  OutcomeQueue::Entry* p) {
  if (e.lost) {
    p->err += ErrorText(*e.lost, line, interactive);
    if (oplog_) oplog_("lost the connection to the local database: " + e.lost->ToString());
  }
  for (const master::Note& note : e.reconnect_notes) p->err += NoteText(note) + "\n";
}

void MasterShell::PrintReconnection(const master::Executed& e) {
  OutcomeQueue::Entry p;
  AddReconnection(e, 0, true, &p);
  // A reconnection may also have found a lost write committed: it is
  // reported, and waited for, as any write.
  for (const master::Note& note : e.notes) p.out += NoteText(note) + "\n";
  p.seqs = e.committed;
  if (p.err.empty() && p.out.empty() && p.seqs.empty()) return;
  if (!p.seqs.empty()) p.slaves = registry_->ConnectedSlaves();
  p.committed_at = Clock::now();
  outcomes_.Push(std::move(p));
  Flush(true);
}

void MasterShell::RefreshCompletion(LineSource* input) {
  if (!refresh_completion_ || !input->interactive()) return;
  refresh_completion_ = false;
  const std::string query(kCompletionQuery);
  master::Executed e = [&] {
    std::unique_lock held = HoldWritePath();
    return executor_->Execute(query, sql::Classify(query), options_.database);
  }();
  PrintReconnection(e);
  input->SetCompletionWords(CompletionWords(commands_, e.result.ok() ? &*e.result : nullptr));
}

bool MasterShell::ProcessLine(LineSource* input, const std::string& line, bool interactive,
                              bool* failed, bool* quit) {
  const std::optional<CommandAction> meta = HandleMetaCommand(line, interactive);
  if (meta == CommandAction::kQuit) {
    *quit = true;
    return true;
  }
  if (meta_failed_) {
    meta_failed_ = false;
    *failed = true;
    if (!interactive && !options_.force) return false;
  }
  if (meta == CommandAction::kHandled) return true;
  // The splitter ends the statement at \g or \G.
  if (meta == CommandAction::kSend) return FeedLine(input, "\\g", interactive, failed);
  if (meta == CommandAction::kSendVertical) return FeedLine(input, "\\G", interactive, failed);
  // \c drops the statement being typed, as the mysql client does.
  if (ScanInput(typed_ + line).clear) {
    splitter_.Clear();
    typed_.clear();
    return true;
  }
  return FeedLine(input, line, interactive, failed);
}

bool MasterShell::FeedLine(LineSource* input, const std::string& line, bool interactive,
                           bool* failed) {
  splitter_.Feed(line);
  splitter_.Feed("\n");
  typed_ += line + "\n";
  while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
    if (interactive) input->Remember(st->text + (st->vertical ? "\\G" : ";"));
    if (!RunStatement(*st, interactive)) {
      *failed = true;
      if (!interactive && !options_.force) return false;
    }
  }
  if (!splitter_.HasPendingText()) typed_.clear();
  return true;
}

int MasterShell::Run(LineSource* input) {
  const bool interactive = input->interactive();
  bool failed = false;
  bool stop = false;
  bool quit = false;
  while (!stop && !quit) {
    RefreshCompletion(input);
    std::optional<std::string> line = input->ReadLine(Prompt(splitter_.HasPendingText()));
    if (!line && interactive && TakeCtrlCAtPrompt(interrupt_, out_)) {
      splitter_.Clear();
      typed_.clear();
      continue;
    }
    if (!line) break;
    if (!ProcessLine(input, *line, interactive, &failed, &quit)) stop = true;
    // A script that pauses gets its outcomes now; one that streams keeps
    // its events in flight.
    if (!interactive && !input->InputPending()) Flush(true);
  }
  if (!interactive && !stop && !quit) {
    splitter_.Finish();  // a last statement without its delimiter still runs
    while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
      if (!RunStatement(*st, interactive)) {
        failed = true;
        if (!options_.force) break;
      }
    }
  }
  Flush(true);  // outstanding acknowledgements, each bounded by ACK_TIMEOUT_MS
  err_ << FormatBehindAtExit(registry_->Snapshot(), log_->last_seq()) << std::flush;
  if (interactive) {
    out_ << "Bye\n" << std::flush;
    return app::kExitOk;
  }
  return failed ? app::kExitStatementFailed : app::kExitOk;
}

}  // namespace sqlrepl::console
