#include "console/master_shell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/strings.hpp"
#include "console/replication_report.hpp"
#include "app/startup.hpp"
#include "console/table_formatter.hpp"
#include "sql/determinism.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::console {
namespace {

constexpr std::string_view kHelp =
    "Type SQL ending with ';' (or \\G for vertical output). Writes are replicated to the slaves.\n"
    "Commands:\n"
    "  help, \\h, \\?    this text\n"
    "  \\slaves         each slave: state, applied position, lag, refusals, errors\n"
    "  \\verify [t ...] compare CHECKSUM TABLE of every table (or those named) on the slaves\n"
    "  \\q, quit, exit   leave the prompt\n"
    "  DELIMITER xyz    end statements with xyz instead of ';'\n";


std::string_view TrimCommand(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == ';')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

MasterShell::MasterShell(master::MasterExecutor* executor, master::SlaveRegistry* registry,
                         master::Verifier* verifier, const master::MasterLog* log,
                         Options options, std::ostream& out, std::ostream& err)
    : executor_(executor),
      registry_(registry),
      verifier_(verifier),
      log_(log),
      options_(std::move(options)),
      out_(out),
      err_(err) {}

std::string MasterShell::Prompt(bool continuation) const {
  if (continuation) return "    -> ";
  return fmt::format("master [{}]> ", options_.database.empty() ? "(none)" : options_.database);
}

MasterShell::Meta MasterShell::HandleMetaCommand(std::string_view line) {
  const std::string_view cmd = TrimCommand(line);
  if (cmd == "\\q" || EqualsIgnoreCase(cmd, "quit") || EqualsIgnoreCase(cmd, "exit")) return Meta::kQuit;
  if (cmd == "\\h" || cmd == "\\?" || cmd == "?" || EqualsIgnoreCase(cmd, "help")) {
    Flush(true);
    out_ << kHelp << std::flush;
    return Meta::kHandled;
  }
  if (cmd == "\\slaves") {
    Flush(true);
    out_ << FormatSlaves(registry_->Snapshot(), log_->last_seq()) << std::flush;
    return Meta::kHandled;
  }
  if (cmd == "\\verify" || cmd.rfind("\\verify ", 0) == 0) {
    Flush(true);
    if (!Verify(cmd.substr(7))) meta_failed_ = true;
    return Meta::kHandled;
  }
  if (!cmd.empty() && cmd.front() == '\\') {
    Flush(true);
    err_ << "ERROR: unknown command '" << cmd << "'. Type 'help' for the list." << std::endl;
    return Meta::kHandled;
  }
  return Meta::kNotMeta;
}

std::string MasterShell::ErrorText(const Status& error, int line, bool interactive) const {
  if (error.code() != StatusCode::kSqlError) return "ERROR: " + error.message() + "\n";
  // As the mysql client: scripts get the line number after the code.
  return fmt::format("ERROR {} ({}){}: {}\n", error.sql_errno(), error.sqlstate(),
                     interactive ? "" : fmt::format(" at line {}", line), error.message());
}

bool MasterShell::RunStatement(const sql::SplitStatement& st, bool interactive) {
  Pending p;
  if (!st.error.empty()) {
    p.err = ErrorText(Status::InvalidArgument(st.error), st.line, interactive);
    pending_.push_back(std::move(p));
    Flush(interactive);
    return false;
  }
  const sql::Classification c = sql::Classify(st.text, executor_->CurrentLexMode());
  const auto started = Clock::now();
  master::Executed e = executor_->Execute(st.text, c, options_.database);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (const std::string& reason : e.unsafe) {
    p.out += "Warning: " + reason + "; slaves may end up with different data\n";
  }
  const bool ok = e.result.ok();
  if (ok) {
    if (e.result->has_result_set && !e.result->rows.empty()) {
      p.out += st.vertical ? FormatVertical(*e.result) : FormatTable(*e.result);
    }
    p.out += FormatSummary(*e.result, seconds) + "\n";
    if (!c.use_database.empty()) options_.database = c.use_database;
  } else {
    p.err += ErrorText(e.result.status(), st.line, interactive);
  }
  for (const std::string& note : e.notes) p.out += note + "\n";
  p.seqs = std::move(e.committed);
  // A Ctrl-C that came while a statement ran was for that statement; after
  // a write it also means: do not wait for the slaves.
  if (p.seqs.empty() && interrupt_ != nullptr) interrupt_->Take();
  if (!p.seqs.empty()) p.slaves = registry_->ConnectedSlaves();
  p.committed_at = Clock::now();
  pending_.push_back(std::move(p));
  Flush(interactive || pending_.size() > kMaxInFlight);
  return ok;
}

bool MasterShell::Verify(std::string_view args) {
  std::vector<std::string> tables;
  for (const sql::Token& t : sql::CodeTokens(args)) {
    if (t.kind == sql::TokenKind::kWord || t.kind == sql::TokenKind::kQuotedIdent) {
      tables.push_back(sql::Unquote(t));
    }
  }
  Result<master::VerifyReport> report = verifier_->Run(options_.database, std::move(tables));
  if (!report.ok()) {
    err_ << "ERROR: " << report.status().message() << std::endl;
    return false;
  }
  // One row per table, one column per slave.
  db::QueryResult table;
  table.has_result_set = true;
  table.columns = {{"table", false}, {"master", true}};
  for (const std::string& s : report->slaves) table.columns.push_back({s, true});
  table.columns.push_back({"result", false});
  for (const master::TableComparison& c : report->tables) {
    db::Row row = {c.table, c.master};
    for (const std::string& value : c.slaves) row.push_back(value);
    row.push_back(std::string(c.same ? "match" : "DIFFERENT"));
    table.rows.push_back(std::move(row));
  }
  const size_t n = report->tables.size();
  const size_t m = report->slaves.size();
  out_ << FormatTable(table)
       << fmt::format("Verified {} table{} on {} slave{}: {}.\n\n", n, n == 1 ? "" : "s", m,
                      m == 1 ? "" : "s",
                      report->differences == 0 ? "all match"
                                               : fmt::format("{} DIFFERENT", report->differences))
       << std::flush;
  return report->differences == 0;
}

void MasterShell::Flush(bool wait) {
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    const auto deadline = p.committed_at + std::chrono::milliseconds(options_.ack_timeout_ms);
    if (!wait && Clock::now() < deadline) {
      for (uint64_t seq : p.seqs) {
        if (!registry_->Ready(seq, p.slaves)) return;
      }
    }
    std::string report;
    bool interrupted = false;
    for (uint64_t seq : p.seqs) {
      const std::vector<master::SlaveOutcome> outcomes =
          interrupted ? registry_->WaitFor(seq, p.slaves, Clock::now())
                      : AwaitOutcomes(seq, p.slaves, deadline, &interrupted);
      if (interrupted) {
        std::string waiting;
        for (const master::SlaveOutcome& o : outcomes) {
          if (o.kind == master::SlaveOutcome::kNoAck) waiting += (waiting.empty() ? "" : ", ") + o.slave_id;
        }
        report += fmt::format("Ctrl-C -- stopped waiting. Write #{} is committed on the master{}\n", seq,
                              waiting.empty() ? "." : "; not acknowledged yet by: " + waiting);
        continue;
      }
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - p.committed_at).count();
      report += FormatOutcomes(seq, outcomes, ms, options_.ack_timeout_ms);
    }
    report += FormatLagChanges(registry_->TakeLagChanges(), options_.ack_timeout_ms);
    if (!p.err.empty()) err_ << p.err << std::flush;
    out_ << p.out << report;
    if (!p.out.empty() || !report.empty()) out_ << "\n";
    out_ << std::flush;
    pending_.pop_front();
  }
  // A slave that caught up between writes says so at the next output.
  const std::string changes = FormatLagChanges(registry_->TakeLagChanges(), options_.ack_timeout_ms);
  if (!changes.empty()) out_ << changes << "\n" << std::flush;
}

std::vector<master::SlaveOutcome> MasterShell::AwaitOutcomes(uint64_t seq,
                                                             const std::vector<std::string>& slaves,
                                                             Clock::time_point deadline,
                                                             bool* interrupted) {
  if (interrupt_ == nullptr) return registry_->WaitFor(seq, slaves, deadline);
  // The interrupt handler wakes the registry on Ctrl-C.
  std::vector<master::SlaveOutcome> outcomes =
      registry_->WaitFor(seq, slaves, deadline, [this] { return interrupt_->pending(); }, interrupted);
  if (*interrupted) interrupt_->Take();
  return outcomes;
}

int MasterShell::Run(LineSource* input) {
  const bool interactive = input->interactive();
  bool failed = false;
  bool stop = false;
  while (!stop) {
    std::optional<std::string> line = input->ReadLine(Prompt(splitter_.HasPendingText()));
    if (!line && interactive && interrupt_ != nullptr && interrupt_->Take()) {
      out_ << "^C" << std::endl;  // as the mysql client: drop what was typed, keep the prompt
      splitter_.Clear();
      continue;
    }
    if (!line) break;
    if (!splitter_.HasPendingText()) {
      const Meta meta = HandleMetaCommand(*line);
      if (meta == Meta::kQuit) break;
      if (meta_failed_) {
        meta_failed_ = false;
        failed = true;
        if (!interactive && !options_.force) {
          stop = true;
          break;
        }
      }
      if (meta == Meta::kHandled) continue;
    }
    splitter_.Feed(*line);
    splitter_.Feed("\n");
    while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
      if (interactive) input->Remember(st->text + (st->vertical ? "\\G" : ";"));
      if (!RunStatement(*st, interactive)) {
        failed = true;
        if (!interactive && !options_.force) {
          stop = true;
          break;
        }
      }
    }
    // A script that pauses gets its outcomes now; one that streams keeps
    // its events in flight.
    if (!interactive && !input->InputPending()) Flush(true);
  }
  if (!interactive && !stop) {
    splitter_.Finish();  // a last statement without its delimiter still runs
    while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
      if (!RunStatement(*st, interactive)) {
        failed = true;
        if (!options_.force) break;
      }
    }
  }
  Flush(true);  // outstanding acknowledgements, each bounded by ACK_TIMEOUT_MS
  if (interactive) {
    out_ << "Bye\n" << std::flush;
    return app::kExitOk;
  }
  return failed ? app::kExitStatementFailed : app::kExitOk;
}

}  // namespace sqlrepl::console
