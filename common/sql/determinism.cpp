#include "sql/determinism.hpp"

#include <algorithm>
#include <functional>

#include "base/strings.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::sql {
namespace {

// Built-in functions whose value depends on the server, the connection or
// the moment, beyond what the replicated context fixes. The union of
// MariaDB's list of functions unsafe for statement-based replication, MySQL's
// (with its names SOURCE_POS_WAIT, PS_THREAD_ID, PS_CURRENT_THREAD_ID), the
// ones MariaDB 10.11 itself marks unsafe (VERSION, BINLOG_GTID_POS, LASTVAL,
// SYS_GUID), and CONNECTION_ID and BENCHMARK. RAND() is not here: each event
// carries its seeds. JSON_TABLE is not: its rows depend only on its input.
// clang-format off
constexpr std::string_view kUnsafeFunctions[] = {
    "UUID",         "UUID_SHORT",   "SYS_GUID",    "SYSDATE",      "USER",
    "CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "CURRENT_ROLE", "CONNECTION_ID",
    "FOUND_ROWS",   "ROW_COUNT",    "LOAD_FILE",   "GET_LOCK",     "RELEASE_LOCK",
    "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK", "MASTER_POS_WAIT", "MASTER_GTID_WAIT",
    "SLEEP",        "BENCHMARK",    "RANDOM_BYTES", "VERSION",     "BINLOG_GTID_POS",
    "LASTVAL",      "SOURCE_POS_WAIT", "PS_THREAD_ID", "PS_CURRENT_THREAD_ID",
};
// clang-format on

// Functions that are keywords and need no parentheses.
constexpr std::string_view kUnsafeBareWords[] = {"CURRENT_USER", "CURRENT_ROLE"};

// System variables that the replicated context or the session carries over.
constexpr std::string_view kSafeSystemVariables[] = {
    "sql_mode", "time_zone", "auto_increment_increment", "auto_increment_offset",
    "foreign_key_checks", "unique_checks", "timestamp", "insert_id", "last_insert_id", "identity",
    "rand_seed1", "rand_seed2", "autocommit", "sql_auto_is_null", "div_precision_increment",
    "default_week_format", "lc_time_names", "character_set_client", "character_set_connection",
    "character_set_results", "collation_connection", "names",
};

// Words after which a statement starts inside a compound body.
constexpr std::string_view kBlockWords[] = {"BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT"};

// Triggers and views lead to more tables, and those to more triggers; the
// server refuses cycles, but the catalog can change between two lookups.
constexpr int kMaxDepth = 4;

using Reasons = std::vector<std::string>;

bool IsBuiltinUnsafe(std::string_view upper_name) {
  for (std::string_view f : kUnsafeFunctions) {
    if (upper_name == f) return true;
  }
  return false;
}

bool IsName(const Token& t) {
  return t.kind == TokenKind::kWord || t.kind == TokenKind::kQuotedIdent;
}

std::string SystemVariableName(std::string_view text) {
  std::string name = AsciiLower(text.substr(2));
  for (std::string_view prefix : {"global.", "session.", "local."}) {
    if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  }
  return name;
}

// The name of the system variable at tokens[*i], as the server resolves it;
// moves *i past the tokens it read.
std::string ReadSystemVariable(const std::vector<Token>& tokens, size_t* i) {
  const Token& t = tokens[*i];
  std::string name = SystemVariableName(t.text);
  // The server joins "@@session /* c */ . x" and reads @@`x` as @@x.
  const bool scope_only = name == "global" || name == "session" || name == "local" ||
                          name.empty() || name.back() == '.';
  if (scope_only && *i + 1 < tokens.size()) {
    size_t k = *i + 1;
    if (name.empty() || name.back() != '.') k += tokens[k].IsOperator(".") ? 1 : tokens.size();
    if (k < tokens.size() && IsName(tokens[k])) {
      name = AsciiLower(Unquote(tokens[k]));
      *i = k;
    }
  } else if (!name.empty() && name.front() == '`') {
    Token quoted = t;
    quoted.kind = TokenKind::kQuotedIdent;
    quoted.text = t.text.substr(2);
    name = AsciiLower(Unquote(quoted));
  }
  return name;
}

void AddOnce(Reasons* reasons, std::string reason) {
  if (std::find(reasons->begin(), reasons->end(), reason) == reasons->end()) {
    reasons->push_back(std::move(reason));
  }
}

// Adds what `find` reports as "<where>: <reason>".
void Within(const std::string& where, Reasons* reasons, const std::function<void(Reasons*)>& find) {
  Reasons inner;
  find(&inner);
  for (std::string& r : inner) AddOnce(reasons, where + ": " + r);
}

bool IsUnsafeBareWord(const Token& t) {
  return t.kind == TokenKind::kWord &&
         std::any_of(std::begin(kUnsafeBareWords), std::end(kUnsafeBareWords),
                     [&](std::string_view w) { return t.Is(w); });
}

// PREVIOUS VALUE FOR seq is LASTVAL(seq): the session's own last value.
bool IsPreviousValueFor(const std::vector<Token>& tokens, size_t i) {
  return i + 2 < tokens.size() && tokens[i].Is("PREVIOUS") && tokens[i + 1].Is("VALUE") &&
         tokens[i + 2].Is("FOR");
}

// The unsafe built-in functions, system variables and stored functions
// that `tokens` call; unqualified stored functions resolve in `database`.
void FindUnsafeCalls(const std::vector<Token>& tokens, std::string_view database,
                     SchemaInfo* schema, Reasons* reasons) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::kVariable && t.text.rfind("@@", 0) == 0) {
      const std::string name = ReadSystemVariable(tokens, &i);
      bool safe = false;
      for (std::string_view ok : kSafeSystemVariables) safe = safe || name == ok;
      if (!safe) AddOnce(reasons, "@@" + name + " can differ between servers");
      continue;
    }
    if (IsPreviousValueFor(tokens, i)) {
      AddOnce(reasons, "PREVIOUS VALUE FOR gives a different value on each server");
      continue;
    }
    if (!IsName(t)) continue;
    const bool qualified = i > 0 && tokens[i - 1].IsOperator(".");
    // `UUID`() is UUID(): the server resolves a quoted name to the built-in.
    const std::string called =
        !qualified && IsUnsafeBareWord(t) ? AsciiUpper(t.text) : CalledFunction(tokens, i);
    if (IsBuiltinUnsafe(called)) {
      AddOnce(reasons, called + "() gives a different value on each server");
      continue;
    }
    const bool call = i + 1 < tokens.size() && tokens[i + 1].IsOperator("(");
    if (call && schema != nullptr) {
      const std::string fn_schema =
          qualified && i >= 2 ? Unquote(tokens[i - 2]) : std::string(database);
      if (schema->IsStoredFunction(fn_schema, Unquote(t))) {
        AddOnce(reasons,
                "stored function " + Unquote(t) + "() may not give the same result on each server");
      }
    }
  }
}

// Whether some LIMIT picks rows of a query that has no ORDER BY of its own
// (within the same parentheses): which rows it picks depends on the order
// each server reads them in. MariaDB marks every LIMIT of a data change
// unsafe; an ORDER BY is taken to fix the order, as for AUTO_INCREMENT.
bool HasUnorderedLimit(const std::vector<Token>& tokens) {
  std::vector<bool> ordered{false};  // one per open parenthesis
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.IsOperator("(")) {
      ordered.push_back(false);
    } else if (t.IsOperator(")")) {
      if (ordered.size() > 1) ordered.pop_back();
    } else if (t.IsOperator(";")) {
      ordered.back() = false;
    } else if (t.Is("ORDER") && i + 1 < tokens.size() && tokens[i + 1].Is("BY")) {
      ordered.back() = true;
    } else if (t.Is("LIMIT") && !ordered.back()) {
      return true;
    }
  }
  return false;
}

// INSERT IGNORE: the modifiers between INSERT and the target.
bool InsertIgnores(const std::vector<Token>& tokens) {
  if (tokens.empty() || !tokens[0].Is("INSERT")) return false;
  for (size_t i = 1; i < tokens.size(); ++i) {
    if (tokens[i].Is("IGNORE")) return true;
    if (!tokens[i].Is("LOW_PRIORITY") && !tokens[i].Is("DELAYED") &&
        !tokens[i].Is("HIGH_PRIORITY")) {
      return false;
    }
  }
  return false;
}

// Rules on the statement's shape: which rows it picks or numbers.
void FindUnsafeClauses(const std::vector<Token>& tokens, const Classification& c,
                       std::string_view database, SchemaInfo* schema, Reasons* reasons) {
  if (c.kind != StatementKind::kDataChange) return;
  const bool insert = c.verb == "INSERT" || c.verb == "REPLACE";
  if (HasUnorderedLimit(tokens)) {
    AddOnce(reasons, insert ? c.verb +
                                  " ... SELECT with LIMIT but no ORDER BY may insert different "
                                  "rows on each server"
                            : c.verb +
                                  " with LIMIT but no ORDER BY may change different rows on "
                                  "each server");
  }
  if (schema == nullptr || c.writes.empty() || !insert) return;
  TableRef target = c.writes.front();
  if (target.schema.empty()) target.schema = std::string(database);
  if (c.has_select && !c.has_order_by && schema->HasAutoIncrement(target)) {
    AddOnce(reasons, c.verb +
                         " ... SELECT without ORDER BY into a table with AUTO_INCREMENT may "
                         "number rows differently on each server");
  }
  // Of two selected rows with the same key, the order decides which one
  // is kept, replaced or updated with.
  const bool ignore = InsertIgnores(tokens);
  if (c.has_select && !c.has_order_by &&
      (ignore || c.verb == "REPLACE" || c.on_duplicate_key_update) &&
      schema->UniqueKeyCount(target) > 0) {
    const std::string what = ignore                      ? "INSERT IGNORE ... SELECT"
                             : c.on_duplicate_key_update ? c.verb +
                                                               " ... SELECT ... ON DUPLICATE "
                                                               "KEY UPDATE"
                                                         : "REPLACE ... SELECT";
    AddOnce(reasons, what +
                         " without ORDER BY into a table with a unique key may keep different "
                         "rows on each server");
  }
  if (c.on_duplicate_key_update && schema->UniqueKeyCount(target) > 1) {
    AddOnce(reasons,
            "INSERT ... ON DUPLICATE KEY UPDATE on a table with more than one unique key "
            "may update different rows on each server");
  }
}

// Session values a trigger reads that the event does not carry: the master
// carries those that the statement's own text names.
void FindSessionReads(const std::vector<Token>& tokens, Reasons* reasons) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::kVariable && t.text.rfind("@@", 0) != 0) {
      AddOnce(reasons, AsciiLower(t.text) + " has the value of each server's own session");
    } else if (CalledFunction(tokens, i) == "LAST_INSERT_ID") {
      AddOnce(reasons, "LAST_INSERT_ID() has the value of each server's own session");
    }
  }
}

// Whether a statement gives some column its default whatever columns it
// names: DEFAULT or DEFAULT(col) as a value, or an empty row "VALUES ()".
bool WritesDefault(const std::vector<Token>& tokens) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].Is("DEFAULT")) return true;
    const bool values = tokens[i].Is("VALUES") || tokens[i].Is("VALUE");
    if (values && i + 2 < tokens.size() && tokens[i + 1].IsOperator("(") &&
        tokens[i + 2].IsOperator(")")) {
      return true;
    }
  }
  return false;
}

// The tables `text` names after FROM or JOIN (a view's definition, which
// the server writes qualified, or a statement's text). Tables after a comma
// in a FROM list are missed.
std::vector<TableRef> ViewTables(std::string_view text, LexMode mode = {}) {
  const std::vector<Token> tokens = CodeTokens(text, mode);
  std::vector<TableRef> tables;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].Is("FROM") && !tokens[i].Is("JOIN") && !tokens[i].Is("STRAIGHT_JOIN")) continue;
    size_t k = i + 1;
    while (k < tokens.size() && tokens[k].IsOperator("(")) ++k;
    if (k >= tokens.size() || !IsName(tokens[k]) || tokens[k].Is("SELECT")) continue;
    TableRef t{"", Unquote(tokens[k])};
    if (k + 2 < tokens.size() && tokens[k + 1].IsOperator(".") && IsName(tokens[k + 2])) {
      t = {t.table, Unquote(tokens[k + 2])};
    }
    tables.push_back(std::move(t));
  }
  return tables;
}

// How a statement writes one table.
struct Write {
  const Classification& c;
  bool names_columns;   // c.inserted_columns are this table's (not a view's)
  bool writes_default;  // see WritesDefault
};

bool TakesDefault(const Write& w, const TableDefinition::Column& column) {
  if (w.writes_default) return true;
  if (w.c.verb != "INSERT" && w.c.verb != "REPLACE") return false;
  if (!w.names_columns) return true;
  // Rows or a SELECT without a column list give every column but the
  // INVISIBLE ones, which take their defaults.
  if (w.c.all_columns_named) return column.invisible;
  return std::none_of(
      w.c.inserted_columns.begin(), w.c.inserted_columns.end(),
      [&](const std::string& named) { return EqualsIgnoreCase(named, column.name); });
}

// Whether a trigger on `event` fires for a statement of `c`'s verb.
bool Fires(const Classification& c, std::string_view event) {
  const bool upsert = c.on_duplicate_key_update;
  if (c.verb == "INSERT") return event == "INSERT" || (upsert && event == "UPDATE");
  if (c.verb == "REPLACE") return event == "INSERT" || event == "DELETE";
  if (c.verb == "UPDATE" || c.verb == "DELETE") return event == c.verb;
  return true;  // anything else: every trigger may fire
}

void FindInStatement(std::string_view text, const Classification& c, std::string_view database,
                     SchemaInfo* schema, int depth, Reasons* reasons);

void FindInExpression(const std::string& where, std::string_view text, LexMode mode,
                      std::string_view database, SchemaInfo* schema, Reasons* reasons) {
  Within(where, reasons,
         [&](Reasons* inner) { FindUnsafeCalls(CodeTokens(text, mode), database, schema, inner); });
}

// The data changes a compound body (BEGIN ... END, IF ... END IF) runs:
// each INSERT, REPLACE, UPDATE or DELETE that starts a statement, up to its ";".
std::vector<std::string_view> InnerDataChanges(std::string_view body,
                                               const std::vector<Token>& tokens) {
  std::vector<std::string_view> changes;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (!t.Is("INSERT") && !t.Is("REPLACE") && !t.Is("UPDATE") && !t.Is("DELETE")) continue;
    const Token& before = tokens[i - 1];
    const bool starts = before.IsOperator(";") || before.IsOperator(":") ||
                        std::any_of(std::begin(kBlockWords), std::end(kBlockWords),
                                    [&](std::string_view w) { return before.Is(w); });
    if (!starts) continue;
    int depth = 0;
    size_t k = i;
    for (; k < tokens.size(); ++k) {
      if (tokens[k].IsOperator("(")) ++depth;
      if (tokens[k].IsOperator(")")) --depth;
      if (depth == 0 && tokens[k].IsOperator(";")) break;
    }
    const size_t end = k < tokens.size() ? tokens[k].begin : body.size();
    changes.push_back(body.substr(t.begin, end - t.begin));
  }
  return changes;
}

// A trigger or view whose text the account cannot read may call anything:
// it is flagged as unknown, naming the privilege that would show it.
constexpr char kHiddenTrigger[] =
    "its body cannot be read (the master's account lacks the TRIGGER privilege), so what it "
    "runs is unknown";
constexpr char kHiddenView[] =
    "its definition cannot be read (the master's account lacks SHOW VIEW), so what it runs is "
    "unknown";

void FindInTrigger(const std::string& where, const TableDefinition::Trigger& trigger,
                   std::string_view database, SchemaInfo* schema, int depth, Reasons* reasons) {
  if (trigger.hidden) {
    AddOnce(reasons, where + ": " + kHiddenTrigger);
    return;
  }
  const LexMode mode = LexMode::FromSqlMode(trigger.sql_mode);
  Within(where, reasons, [&](Reasons* inner) {
    const Classification c = Classify(trigger.body, mode);
    FindInStatement(trigger.body, c, database, schema, depth + 1, inner);
    const std::vector<Token> tokens = CodeTokens(trigger.body, mode);
    if (c.kind != StatementKind::kDataChange) {
      for (std::string_view change : InnerDataChanges(trigger.body, tokens)) {
        FindInStatement(change, Classify(change, mode), database, schema, depth + 1, inner);
      }
    }
    FindSessionReads(tokens, inner);
  });
}

// What a write to `t` runs besides the statement: the defaults it takes,
// the generated columns, the triggers that fire, a view's definition and
// the tables behind it.
void FindInWrittenTable(const TableRef& t, const Write& w, SchemaInfo* schema, int depth,
                        Reasons* reasons) {
  const TableDefinition d = schema->Definition(t);
  const std::string name = t.schema + "." + t.table;
  for (const TableDefinition::Column& column : d.defaults) {
    if (!TakesDefault(w, column)) continue;
    FindInExpression("default of " + name + "." + column.name, column.expression, {}, t.schema,
                     schema, reasons);
  }
  for (const TableDefinition::Column& column : d.generated) {
    FindInExpression("generated column " + name + "." + column.name, column.expression, {},
                     t.schema, schema, reasons);
  }
  for (const TableDefinition::Trigger& trigger : d.triggers) {
    if (!Fires(w.c, trigger.event)) continue;
    FindInTrigger("trigger " + t.schema + "." + trigger.name, trigger, t.schema, schema, depth,
                  reasons);
  }
  if (!d.view_definition) return;
  if (d.view_definition->empty()) {
    AddOnce(reasons, "view " + name + ": " + kHiddenView);
    return;
  }
  FindInExpression("view " + name, *d.view_definition, {}, t.schema, schema, reasons);
  if (depth + 1 >= kMaxDepth) return;
  const Write through{w.c, false, w.writes_default};
  Within("view " + name, reasons, [&](Reasons* inner) {
    for (TableRef base : ViewTables(*d.view_definition)) {
      if (base.schema.empty()) base.schema = t.schema;
      FindInWrittenTable(base, through, schema, depth + 1, inner);
    }
  });
}

// The views `text` reads (after FROM or JOIN), and the views those read:
// the rows they give depend on what their definitions call.
void FindInReadViews(std::string_view text, LexMode mode, std::string_view database,
                     SchemaInfo* schema, int depth, Reasons* reasons) {
  if (depth >= kMaxDepth) return;
  for (TableRef t : ViewTables(text, mode)) {
    if (t.schema.empty()) t.schema = std::string(database);
    const TableDefinition d = schema->Definition(t);
    if (!d.view_definition) continue;
    const std::string where = "view " + t.schema + "." + t.table;
    if (d.view_definition->empty()) {
      AddOnce(reasons, where + ": " + kHiddenView);
      continue;
    }
    FindInExpression(where, *d.view_definition, {}, t.schema, schema, reasons);
    Within(where, reasons, [&](Reasons* inner) {
      FindInReadViews(*d.view_definition, {}, t.schema, schema, depth + 1, inner);
    });
  }
}

// `text` read as `c` says, run in `database`; `depth` counts the triggers
// and views that led to it.
void FindInStatement(std::string_view text, const Classification& c, std::string_view database,
                     SchemaInfo* schema, int depth, Reasons* reasons) {
  const std::vector<Token> tokens = CodeTokens(text, c.mode);
  FindUnsafeCalls(tokens, database, schema, reasons);
  FindUnsafeClauses(tokens, c, database, schema, reasons);
  if (schema == nullptr || depth >= kMaxDepth) return;
  const bool writes_default = WritesDefault(tokens);
  for (size_t k = 0; k < c.writes.size(); ++k) {
    TableRef t = c.writes[k];
    if (t.schema.empty()) t.schema = std::string(database);
    // The columns an INSERT names are its target's, the first table.
    FindInWrittenTable(t, Write{c, k == 0, writes_default}, schema, depth, reasons);
  }
  FindInReadViews(text, c.mode, database, schema, depth, reasons);
}

}  // namespace

std::vector<std::string> FindNondeterminism(std::string_view statement, const Classification& c,
                                            std::string_view current_database, SchemaInfo* schema) {
  std::vector<std::string> reasons;
  if (c.kind != StatementKind::kDataChange && c.kind != StatementKind::kSessionState &&
      c.kind != StatementKind::kFileAccess) {
    return reasons;
  }
  FindInStatement(statement, c, current_database, schema, 0, &reasons);
  return reasons;
}

bool MayChangeCatalog(StatementKind kind) {
  return kind == StatementKind::kDdl || kind == StatementKind::kDynamicSql ||
         kind == StatementKind::kRoutineCall || kind == StatementKind::kCompound ||
         kind == StatementKind::kUnknown;
}

}  // namespace sqlrepl::sql
