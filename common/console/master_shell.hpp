// The master's prompt: reads statements from a terminal or a script,
// executes each on the local database as soon as it is complete, and prints
// the result as the mysql client does.
//
// Script mode (input not a terminal), as `mysql < file.sql`: the first
// statement that fails stops the script unless `force` is set; Run() returns
// 0 only when every statement succeeded.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "console/line_source.hpp"
#include "db/connection.hpp"
#include "db/schema_catalog.hpp"
#include "sql/classifier.hpp"
#include "sql/splitter.hpp"

namespace sqlrepl::console {

class MasterShell {
 public:
  struct Options {
    bool force = false;     // scripts go on after a failed statement
    std::string database;   // shown in the prompt
    config::UnsafePolicy unsafe = config::UnsafePolicy::kWarn;
  };

  // `db` and `catalog` must outlive the shell; `catalog` may be null (the
  // determinism checks that need it are then skipped). Results go to `out`,
  // errors to `err`.
  MasterShell(db::Connection* db, db::SchemaCatalog* catalog, Options options, std::ostream& out,
              std::ostream& err);

  // Returns the exit status: kExitOk, or kExitStatementFailed when a
  // statement failed on the master.
  int Run(LineSource* input);

 private:
  enum class Meta { kNotMeta, kHandled, kQuit };

  Meta HandleMetaCommand(std::string_view line);
  // True when the statement succeeded on the master.
  bool RunStatement(const sql::SplitStatement& statement, bool interactive);
  // Warns about a statement that may give different results on the slaves;
  // false when UNSAFE_STATEMENTS=refuse stops it.
  bool CheckDeterminism(const sql::SplitStatement& statement, const sql::Classification& c,
                        bool interactive);
  void PrintError(const std::string& message, int line, bool interactive);
  std::string Prompt(bool continuation) const;

  db::Connection* db_;
  db::SchemaCatalog* catalog_;
  Options options_;
  std::ostream& out_;
  std::ostream& err_;
  sql::StatementSplitter splitter_;
};

}  // namespace sqlrepl::console
