#include "console/master_shell.hpp"

#include <fmt/format.h>

#include <chrono>

#include "base/strings.hpp"
#include "console/startup.hpp"
#include "console/table_formatter.hpp"
#include "sql/determinism.hpp"

namespace sqlrepl::console {
namespace {

constexpr std::string_view kHelp =
    "Type SQL ending with ';' (or \\G for vertical output). Commands:\n"
    "  help, \\h, \\?    this text\n"
    "  \\q, quit, exit   leave the prompt\n"
    "  DELIMITER xyz    end statements with xyz instead of ';'\n";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == ';')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

MasterShell::MasterShell(db::Connection* db, db::SchemaCatalog* catalog, Options options,
                         std::ostream& out, std::ostream& err)
    : db_(db), catalog_(catalog), options_(std::move(options)), out_(out), err_(err) {}

std::string MasterShell::Prompt(bool continuation) const {
  if (continuation) return "    -> ";
  return fmt::format("master [{}]> ", options_.database.empty() ? "(none)" : options_.database);
}

MasterShell::Meta MasterShell::HandleMetaCommand(std::string_view line) {
  const std::string_view cmd = Trim(line);
  if (cmd == "\\q" || EqualsIgnoreCase(cmd, "quit") || EqualsIgnoreCase(cmd, "exit")) return Meta::kQuit;
  if (cmd == "\\h" || cmd == "\\?" || cmd == "?" || EqualsIgnoreCase(cmd, "help")) {
    out_ << kHelp << std::flush;
    return Meta::kHandled;
  }
  if (!cmd.empty() && cmd.front() == '\\') {
    err_ << "ERROR: unknown command '" << cmd << "'. Type 'help' for the list." << std::endl;
    return Meta::kHandled;
  }
  return Meta::kNotMeta;
}

void MasterShell::PrintError(const std::string& message, int line, bool interactive) {
  // As the mysql client: scripts get the line number after the code.
  if (!interactive && message.rfind("ERROR ", 0) == 0) {
    const size_t colon = message.find("): ");
    if (colon != std::string::npos) {
      err_ << message.substr(0, colon + 1) << " at line " << line << message.substr(colon + 1)
           << std::endl;
      return;
    }
  }
  err_ << message << std::endl;
}

bool MasterShell::RunStatement(const sql::SplitStatement& st, bool interactive) {
  if (!st.error.empty()) {
    PrintError("ERROR: " + st.error, st.line, interactive);
    return false;
  }
  const sql::Classification c = sql::Classify(st.text);
  if (!CheckDeterminism(st, c, interactive)) return false;
  const auto started = std::chrono::steady_clock::now();
  Result<db::QueryResult> result = db_->Execute(st.text);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!result.ok()) {
    PrintError(result.status().ToString(), st.line, interactive);
    return false;
  }
  if (result->has_result_set && !result->rows.empty()) {
    out_ << (st.vertical ? FormatVertical(*result) : FormatTable(*result));
  }
  out_ << FormatSummary(*result, seconds) << "\n\n" << std::flush;

  if (!c.use_database.empty()) options_.database = c.use_database;
  if (catalog_ != nullptr && c.kind == sql::StatementKind::kDdl) catalog_->Invalidate();
  return true;
}

bool MasterShell::CheckDeterminism(const sql::SplitStatement& st, const sql::Classification& c,
                                   bool interactive) {
  const std::vector<std::string> reasons =
      sql::FindNondeterminism(st.text, c, options_.database, catalog_);
  if (reasons.empty()) return true;
  if (options_.unsafe == config::UnsafePolicy::kRefuse) {
    PrintError("ERROR: not executed, UNSAFE_STATEMENTS=refuse: " + reasons.front(), st.line,
               interactive);
    return false;
  }
  for (const std::string& r : reasons) {
    out_ << "Warning: " << r << "; slaves may end up with different data\n";
  }
  return true;
}

int MasterShell::Run(LineSource* input) {
  const bool interactive = input->interactive();
  bool failed = false;
  for (;;) {
    std::optional<std::string> line = input->ReadLine(Prompt(splitter_.HasPendingText()));
    if (!line) break;
    if (!splitter_.HasPendingText()) {
      const Meta meta = HandleMetaCommand(*line);
      if (meta == Meta::kQuit) break;
      if (meta == Meta::kHandled) continue;
    }
    splitter_.Feed(*line);
    splitter_.Feed("\n");
    bool stop = false;
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
    if (stop) return kExitStatementFailed;
  }
  if (interactive) {
    out_ << "Bye\n" << std::flush;
    return kExitOk;
  }
  splitter_.Finish();  // a last statement without its delimiter still runs
  while (std::optional<sql::SplitStatement> st = splitter_.Next()) {
    if (!RunStatement(*st, interactive)) {
      failed = true;
      if (!options_.force) break;
    }
  }
  return failed ? kExitStatementFailed : kExitOk;
}

}  // namespace sqlrepl::console
