#include "console/master_shell.hpp"

#include <fmt/format.h>

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
                         master::ReplicationServer* server, const master::MasterLog* log,
                         db::SchemaCatalog* catalog, Options options, std::ostream& out,
                         std::ostream& err)
    : executor_(executor),
      registry_(registry),
      server_(server),
      log_(log),
      catalog_(catalog),
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

std::string MasterShell::ErrorText(const std::string& message, int line, bool interactive) const {
  // As the mysql client: scripts get the line number after the code.
  if (!interactive && message.rfind("ERROR ", 0) == 0) {
    const size_t colon = message.find("): ");
    if (colon != std::string::npos) {
      return fmt::format("{} at line {}{}\n", message.substr(0, colon + 1), line, message.substr(colon + 1));
    }
  }
  return message + "\n";
}

bool MasterShell::CheckDeterminism(const sql::SplitStatement& st, const sql::Classification& c,
                                   std::string* out, std::string* err, bool interactive) {
  const std::vector<std::string> reasons =
      sql::FindNondeterminism(st.text, c, options_.database, catalog_);
  if (reasons.empty()) return true;
  if (options_.unsafe == config::UnsafePolicy::kRefuse) {
    *err += ErrorText("ERROR: not executed, UNSAFE_STATEMENTS=refuse: " + reasons.front(), st.line,
                      interactive);
    return false;
  }
  for (const std::string& r : reasons) {
    *out += "Warning: " + r + "; slaves may end up with different data\n";
  }
  return true;
}

bool MasterShell::RunStatement(const sql::SplitStatement& st, bool interactive) {
  Pending p;
  bool ok = false;
  if (!st.error.empty()) {
    p.err = ErrorText("ERROR: " + st.error, st.line, interactive);
  } else {
    const sql::Classification c = sql::Classify(st.text);
    if (CheckDeterminism(st, c, &p.out, &p.err, interactive)) {
      const auto started = Clock::now();
      master::Executed e = executor_->Execute(st.text, c, options_.database);
      const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      if (e.result.ok()) {
        ok = true;
        if (e.result->has_result_set && !e.result->rows.empty()) {
          p.out += st.vertical ? FormatVertical(*e.result) : FormatTable(*e.result);
        }
        p.out += FormatSummary(*e.result, seconds) + "\n";
        if (!c.use_database.empty()) options_.database = c.use_database;
        if (catalog_ != nullptr && c.kind == sql::StatementKind::kDdl) catalog_->Invalidate();
      } else {
        p.err += ErrorText(e.result.status().ToString(), st.line, interactive);
      }
      for (const std::string& note : e.notes) p.out += note + "\n";
      p.seqs = std::move(e.committed);
      if (!p.seqs.empty()) p.slaves = registry_->ConnectedSlaves();
      p.committed_at = Clock::now();
    }
  }
  pending_.push_back(std::move(p));
  Flush(interactive || pending_.size() > kMaxInFlight);
  return ok;
}

bool MasterShell::Verify(std::string_view args) {
  db::Connection* conn = executor_->connection();
  const std::string& database = options_.database;
  std::vector<std::string> tables;
  for (const sql::Token& t : sql::CodeTokens(args)) {
    if (t.kind == sql::TokenKind::kWord || t.kind == sql::TokenKind::kQuotedIdent) {
      tables.push_back(sql::Unquote(t));
    }
  }
  if (tables.empty()) {
    Result<db::QueryResult> list = conn->Execute(fmt::format(
        "SHOW FULL TABLES FROM `{}` WHERE Table_type = 'BASE TABLE'", database));
    if (!list.ok()) {
      err_ << "ERROR: cannot list the tables of " << database << ": " << list.status().ToString() << std::endl;
      return false;
    }
    for (const db::Row& row : list->rows) tables.push_back(row[0].value_or(""));
  }
  const std::vector<std::string> slaves = registry_->ConnectedSlaves();
  if (slaves.empty() || tables.empty()) {
    err_ << (slaves.empty() ? "ERROR: no slave connected, nothing to verify"
                            : "ERROR: no table to verify in " + database)
         << std::endl;
    return false;
  }
  // 1. Wait until every slave has applied everything logged so far.
  const uint64_t seq = log_->last_seq();
  if (seq > 0) registry_->WaitFor(seq, slaves, Clock::now() + std::chrono::seconds(60));
  // 2. The master's checksums, then the slaves', computed after that point.
  std::map<std::string, std::string> master;
  for (const std::string& t : tables) {
    Result<db::QueryResult> r = conn->Execute(fmt::format("CHECKSUM TABLE `{}`.`{}`", database, t));
    master[t] = r.ok() && !r->rows.empty() && r->rows[0].size() > 1 && r->rows[0][1] ? *r->rows[0][1]
                                                                                      : "missing";
  }
  const uint64_t id = next_verify_id_++;
  server_->SendVerify(protocol::Verify{id, database, tables});
  const std::map<std::string, protocol::VerifyResult> answers =
      registry_->WaitForVerify(id, slaves, Clock::now() + std::chrono::seconds(60));
  // 3. One row per table, one column per slave.
  db::QueryResult table;
  table.has_result_set = true;
  table.columns = {{"table", false}, {"master", true}};
  for (const std::string& s : slaves) table.columns.push_back({s, true});
  table.columns.push_back({"result", false});
  size_t differences = 0;
  for (size_t i = 0; i < tables.size(); ++i) {
    db::Row row = {tables[i], master[tables[i]]};
    bool same = master[tables[i]] != "missing";
    for (const std::string& s : slaves) {
      auto it = answers.find(s);
      std::string value = "no answer";
      if (it != answers.end() && i < it->second.tables.size()) {
        const protocol::TableChecksum& c = it->second.tables[i];
        value = c.error.empty() ? c.checksum : "missing";
      }
      same = same && value == master[tables[i]];
      row.push_back(value);
    }
    row.push_back(std::string(same ? "match" : "DIFFERENT"));
    if (!same) ++differences;
    table.rows.push_back(std::move(row));
  }
  out_ << FormatTable(table);
  if (differences == 0) {
    out_ << fmt::format("Verified {} table{} on {} slave{}: all match.\n\n", tables.size(),
                        tables.size() == 1 ? "" : "s", slaves.size(), slaves.size() == 1 ? "" : "s");
  } else {
    out_ << fmt::format("Verified {} table{} on {} slave{}: {} DIFFERENT.\n\n", tables.size(),
                        tables.size() == 1 ? "" : "s", slaves.size(), slaves.size() == 1 ? "" : "s",
                        differences);
  }
  out_ << std::flush;
  return differences == 0;
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
    for (uint64_t seq : p.seqs) {
      const std::vector<master::SlaveOutcome> outcomes = registry_->WaitFor(seq, p.slaves, deadline);
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

int MasterShell::Run(LineSource* input) {
  const bool interactive = input->interactive();
  bool failed = false;
  bool stop = false;
  while (!stop) {
    std::optional<std::string> line = input->ReadLine(Prompt(splitter_.HasPendingText()));
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
