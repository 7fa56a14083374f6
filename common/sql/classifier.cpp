#include "sql/classifier.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "base/strings.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::sql {
namespace {

// A cursor over the code tokens of one statement.
class Cursor {
 public:
  Cursor(const std::vector<Token>& tokens, size_t end) : t_(tokens), end_(end) {}

  bool AtEnd() const { return i_ >= end_; }
  const Token* Peek(size_t k = 0) const { return i_ + k < end_ ? &t_[i_ + k] : nullptr; }
  bool PeekIs(std::string_view kw, size_t k = 0) const {
    const Token* t = Peek(k);
    return t != nullptr && t->Is(kw);
  }
  bool PeekIsAny(std::initializer_list<std::string_view> kws, size_t k = 0) const {
    for (std::string_view kw : kws) {
      if (PeekIs(kw, k)) return true;
    }
    return false;
  }
  bool PeekOp(std::string_view op, size_t k = 0) const {
    const Token* t = Peek(k);
    return t != nullptr && t->IsOperator(op);
  }
  bool Accept(std::string_view kw) {
    if (!PeekIs(kw)) return false;
    ++i_;
    return true;
  }
  bool AcceptOp(std::string_view op) {
    if (!PeekOp(op)) return false;
    ++i_;
    return true;
  }
  void Advance(size_t n = 1) { i_ = std::min(i_ + n, end_); }
  // At '(': moves past the matching ')' (or to the end).
  void SkipBalanced() {
    int depth = 0;
    do {
      if (PeekOp("(")) ++depth;
      if (PeekOp(")")) --depth;
      Advance();
    } while (!AtEnd() && depth > 0);
  }
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }
  // Wrappers (ANALYZE, WITH, SET STATEMENT ... FOR) seen so far.
  int nesting = 0;
  size_t end() const { return end_; }
  const Token& at(size_t p) const { return t_[p]; }

 private:
  const std::vector<Token>& t_;
  size_t end_;
  size_t i_ = 0;
};

bool IsName(const Token* t) {
  return t != nullptr && (t->kind == TokenKind::kWord || t->kind == TokenKind::kQuotedIdent);
}

// name | name.name | name.* ; returns false if no name is at the cursor.
bool ReadQualifiedName(Cursor* cur, TableRef* out) {
  if (!IsName(cur->Peek())) return false;
  std::string first = Unquote(*cur->Peek());
  cur->Advance();
  if (cur->PeekOp(".") && (IsName(cur->Peek(1)) || cur->PeekOp("*", 1))) {
    const Token* second = cur->Peek(1);
    cur->Advance(2);
    if (second->kind == TokenKind::kOperator) {  // t.* in DELETE t.* FROM ...
      *out = {"", std::move(first)};
    } else {
      *out = {std::move(first), Unquote(*second)};
    }
    return true;
  }
  *out = {"", std::move(first)};
  return true;
}

bool IsJoinWord(const Token* t) {
  return t != nullptr && (t->Is("JOIN") || t->Is("STRAIGHT_JOIN"));
}

// Words that end a table reference's alias position.
bool IsClauseWord(const Token* t) {
  if (t == nullptr || t->kind != TokenKind::kWord) return false;
  for (std::string_view kw : {"SET",   "WHERE", "ON",     "USING",   "JOIN",          "INNER",
                              "LEFT",  "RIGHT", "CROSS",  "NATURAL", "STRAIGHT_JOIN", "FULL",
                              "OUTER", "ORDER", "LIMIT",  "FROM",    "PARTITION",     "RETURNING",
                              "FORCE", "USE",   "IGNORE", "VALUES",  "SELECT"}) {
    if (t->Is(kw)) return true;
  }
  return false;
}

// Collects the tables named in table references up to one of `stop` at
// depth 0: at the start, after ',', after JOIN, and inside parentheses that
// are not subqueries. Aliases and ON conditions are skipped.
void ReadTableReferences(Cursor* cur, std::initializer_list<std::string_view> stop,
                         std::vector<TableRef>* out) {
  int depth = 0;
  bool expect_name = true;
  while (!cur->AtEnd()) {
    if (depth == 0 && cur->PeekIsAny(stop)) return;
    if (cur->PeekOp("(")) {
      if (cur->PeekIsAny({"SELECT", "WITH", "VALUES"}, 1)) {
        cur->SkipBalanced();  // a derived table is read, not written
        expect_name = false;
        continue;
      }
      ++depth;
      cur->Advance();
      continue;
    }
    if (cur->PeekOp(")")) {
      --depth;
      cur->Advance();
      if (depth < 0) return;
      continue;
    }
    if (cur->PeekOp(",") || IsJoinWord(cur->Peek())) {
      expect_name = true;
      cur->Advance();
      continue;
    }
    // ODBC escape { ident table_ref }: the server ignores the identifier
    // and uses the table reference after it.
    if (cur->PeekOp("{")) {
      cur->Advance();
      if (IsName(cur->Peek())) cur->Advance();
      expect_name = true;
      continue;
    }
    if (cur->PeekOp("}")) {
      cur->Advance();
      continue;
    }
    if (cur->PeekIs("ON") || cur->PeekIs("USING")) expect_name = false;
    TableRef ref;
    if (expect_name && !IsClauseWord(cur->Peek()) && ReadQualifiedName(cur, &ref)) {
      out->push_back(std::move(ref));
      expect_name = false;
      continue;
    }
    cur->Advance();
  }
}

// Scans from the cursor to the end at depth 0 for ORDER BY, LIMIT,
// SELECT and ON DUPLICATE KEY UPDATE.
void ScanTopLevelClauses(Cursor* cur, Classification* c) {
  int depth = 0;
  while (!cur->AtEnd()) {
    if (cur->PeekOp("(")) ++depth;
    if (cur->PeekOp(")")) --depth;
    if (depth == 0) {
      if (cur->PeekIs("ORDER") && cur->PeekIs("BY", 1)) c->has_order_by = true;
      if (cur->PeekIs("LIMIT")) c->has_limit = true;
      if (cur->PeekIs("SELECT")) c->has_select = true;
      if (cur->PeekIs("ON") && cur->PeekIs("DUPLICATE", 1)) c->on_duplicate_key_update = true;
    }
    cur->Advance();
  }
}

// The names before each "=" of an INSERT ... SET list, up to ON DUPLICATE
// KEY UPDATE or RETURNING.
void ReadAssignedColumns(Cursor* cur, std::vector<std::string>* out) {
  int depth = 0;
  bool in_target = true;
  std::string last;
  for (; !cur->AtEnd(); cur->Advance()) {
    const Token& t = *cur->Peek();
    if (t.IsOperator("(")) ++depth;
    if (t.IsOperator(")")) --depth;
    if (depth != 0) continue;
    if (t.Is("ON") || t.Is("RETURNING")) return;
    if (t.IsOperator(",")) {
      in_target = true;
    } else if (in_target && (t.IsOperator("=") || t.IsOperator(":="))) {
      out->push_back(last);
      in_target = false;
    } else if (in_target && IsName(&t)) {
      last = Unquote(t);  // of t.c, the column
    }
  }
}

// At what follows an INSERT's target: the columns it names (see
// Classification::inserted_columns). Leaves the cursor where it was.
void ReadInsertedColumns(Cursor* cur, Classification* c) {
  const size_t start = cur->pos();
  if (cur->PeekOp("(") && !cur->PeekOp("(", 1) &&
      !cur->PeekIsAny({"SELECT", "WITH", "VALUES"}, 1)) {
    for (cur->Advance(); !cur->AtEnd() && !cur->PeekOp(")"); cur->Advance()) {
      if (IsName(cur->Peek()) && (cur->PeekOp(",", 1) || cur->PeekOp(")", 1))) {
        c->inserted_columns.push_back(Unquote(*cur->Peek()));
      }
    }
  } else if (cur->Accept("SET")) {
    ReadAssignedColumns(cur, &c->inserted_columns);
  } else {
    c->all_columns_named = true;  // VALUES rows, a SELECT or TABLE give every column
  }
  cur->set_pos(start);
}

void ClassifyStatement(Cursor* cur, Classification* c);

void ClassifyInsert(Cursor* cur, Classification* c) {
  c->kind = StatementKind::kDataChange;
  c->verb = AsciiUpper(cur->Peek()->text);
  cur->Advance();
  while (cur->Accept("LOW_PRIORITY") || cur->Accept("DELAYED") || cur->Accept("HIGH_PRIORITY") ||
         cur->Accept("IGNORE")) {
  }
  cur->Accept("INTO");
  TableRef target;
  if (ReadQualifiedName(cur, &target)) c->writes.push_back(std::move(target));
  if (cur->Accept("PARTITION") && cur->PeekOp("(")) cur->SkipBalanced();
  ReadInsertedColumns(cur, c);
  if (cur->PeekOp("(")) {
    if (cur->PeekIsAny({"SELECT", "WITH"}, 1)) c->has_select = true;
    cur->SkipBalanced();  // column list, or a parenthesized SELECT
  }
  if (cur->PeekIsAny({"SELECT", "WITH", "TABLE"}) ||
      (cur->PeekOp("(") && cur->PeekIs("SELECT", 1))) {
    c->has_select = true;
  }
  ScanTopLevelClauses(cur, c);
}

void ClassifyUpdate(Cursor* cur, Classification* c) {
  c->kind = StatementKind::kDataChange;
  c->verb = "UPDATE";
  cur->Advance();
  while (cur->Accept("LOW_PRIORITY") || cur->Accept("IGNORE")) {
  }
  ReadTableReferences(cur, {"SET"}, &c->writes);
  const bool had_select = c->has_select;
  ScanTopLevelClauses(cur, c);
  c->has_select = had_select;
}

void ClassifyDelete(Cursor* cur, Classification* c) {
  c->kind = StatementKind::kDataChange;
  c->verb = "DELETE";
  cur->Advance();
  while (cur->Accept("LOW_PRIORITY") || cur->Accept("QUICK") || cur->Accept("IGNORE")) {
  }
  // Targets may be aliases of tables named later: every table named in the
  // statement's table references counts as written.
  if (!cur->Accept("FROM")) ReadTableReferences(cur, {"FROM"}, &c->writes);
  cur->Accept("FROM");
  ReadTableReferences(cur, {"WHERE", "USING", "ORDER", "LIMIT", "RETURNING", "PARTITION"},
                      &c->writes);
  if (cur->Accept("USING")) {
    ReadTableReferences(cur, {"WHERE", "ORDER", "LIMIT", "RETURNING"}, &c->writes);
  }
  ScanTopLevelClauses(cur, c);
  c->has_select = false;
}

constexpr std::string_view kDdlObjects[] = {
    "TABLE",     "TABLES",   "DATABASE", "SCHEMA", "VIEW",     "INDEX",   "TRIGGER",
    "EVENT",     "PROCEDURE", "FUNCTION", "SEQUENCE", "SERVER",  "TABLESPACE", "LOGFILE",
    "USER",      "ROLE",     "PACKAGE",  "INSTANCE", "RESOURCE", "UNDO",   "SPATIAL",
    "FULLTEXT",  "UNIQUE",
};

void ClassifyDdl(Cursor* cur, Classification* c) {
  const std::string verb = AsciiUpper(cur->Peek()->text);
  cur->Advance();
  c->kind = StatementKind::kDdl;
  c->implicit_commit = true;
  if (verb == "DROP" && (cur->PeekIs("PREPARE"))) {
    c->kind = StatementKind::kDynamicSql;
    c->verb = "DROP PREPARE";
    c->implicit_commit = false;
    return;
  }
  if (verb == "TRUNCATE") {
    c->verb = "TRUNCATE TABLE";
    return;
  }
  // Skip modifiers (OR REPLACE, TEMPORARY, DEFINER = x, ALGORITHM = y, ...)
  // up to the kind of object.
  std::string object;
  for (int guard = 0; guard < 24 && !cur->AtEnd(); ++guard) {
    if (cur->PeekIs("TEMPORARY")) c->temporary = true;
    for (std::string_view o : kDdlObjects) {
      if (cur->PeekIs(o)) object = std::string(o);
    }
    if (!object.empty()) break;
    cur->Advance();
  }
  if (object == "TABLES") object = "TABLE";
  if (object == "SPATIAL" || object == "FULLTEXT" || object == "UNIQUE") object = "INDEX";
  c->verb = object.empty() ? verb : verb + " " + object;
  if (object == "USER" || object == "ROLE") c->kind = StatementKind::kAccount;
  if (c->temporary && object == "TABLE") {
    c->implicit_commit = false;
    // The temporary tables it creates or drops, so that the master knows
    // which names its session has shadowed.
    cur->Advance();
    if (cur->Accept("IF")) {
      cur->Accept("NOT");
      cur->Accept("EXISTS");
    }
    TableRef t;
    while (ReadQualifiedName(cur, &t)) {
      c->writes.push_back(t);
      if (verb != "DROP" || !cur->AcceptOp(",")) break;
    }
  }
}

// SET autocommit's value: 1/ON/TRUE, 0/OFF/FALSE; anything else is unknown.
std::optional<bool> BoolValue(const std::vector<const Token*>& value) {
  if (value.size() != 1) return std::nullopt;
  const Token& t = *value[0];
  if (t.text == "1" || t.Is("ON") || t.Is("TRUE")) return true;
  if (t.text == "0" || t.Is("OFF") || t.Is("FALSE")) return false;
  if (t.kind == TokenKind::kString) {
    const std::string v = AsciiUpper(Unquote(t));
    if (v == "1" || v == "ON") return true;
    if (v == "0" || v == "OFF") return false;
  }
  return std::nullopt;
}

// Records a string assigned to sql_mode or a character set variable.
void RecordCheckedValue(const std::vector<const Token*>& value, std::vector<std::string>* out,
                        Classification* c) {
  if (value.size() == 1 && value[0]->Is("DEFAULT")) return;
  if (value.size() == 1 &&
      (value[0]->kind == TokenKind::kString || value[0]->kind == TokenKind::kWord)) {
    out->push_back(AsciiUpper(Unquote(*value[0])));
    return;
  }
  c->unchecked_value = true;
}

// Extends `parts` (lower case, backticks removed) with the ".name" parts
// the server joins across white space and comments. An empty last part is a
// token that ended with "." ("@@global."); the next name fills it.
void JoinNameParts(Cursor* cur, std::vector<std::string>* parts) {
  while (!parts->empty()) {
    if (parts->back().empty() && IsName(cur->Peek())) {
      parts->back() = AsciiLower(Unquote(*cur->Peek()));
      cur->Advance();
    } else if (!parts->back().empty() && cur->PeekOp(".") && IsName(cur->Peek(1))) {
      parts->push_back(AsciiLower(Unquote(*cur->Peek(1))));
      cur->Advance(2);
    } else {
      return;
    }
  }
}

// The variable a SET assignment names, as the server resolves it:
// @@[scope.]name with the parts joined across spaces and comments,
// @@`name`, name, `name`, component.name, or a user variable. A first part
// spelled global (quoted or not) counts as global: reading too much as
// global only refuses more.
bool ReadVariableName(Cursor* cur, std::string* name, bool* global, bool* user_variable) {
  const Token* var = cur->Peek();
  if (var == nullptr) return false;
  cur->Advance();
  std::vector<std::string> parts;
  if (var->kind == TokenKind::kVariable) {
    std::string_view text = var->text;
    if (text.rfind("@@", 0) != 0) {
      *user_variable = true;
      return true;
    }
    text.remove_prefix(2);
    if (!text.empty() && text.front() == '`') {
      Token quoted = *var;
      quoted.kind = TokenKind::kQuotedIdent;
      quoted.text = text;
      parts.push_back(AsciiLower(Unquote(quoted)));
    } else if (text.empty()) {
      parts.push_back("");  // "@@" then a space: the server refuses it; read on anyway
    } else {
      size_t start = 0;  // one token may hold "global.x"
      while (true) {
        const size_t dot = text.find('.', start);
        parts.push_back(
            AsciiLower(text.substr(start, dot == std::string_view::npos ? dot : dot - start)));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
      }
    }
  } else if (IsName(var)) {
    parts.push_back(AsciiLower(Unquote(*var)));
  } else {
    return true;
  }
  JoinNameParts(cur, &parts);
  if (parts.size() >= 2 && parts.front() == "global") *global = true;
  *name = parts.back();
  return true;
}

// What the items of one SET list do.
struct SetItems {
  bool any_global = false;
  bool account = false;  // PASSWORD, ROLE or DEFAULT ROLE among the items
  std::optional<bool> autocommit;
  bool autocommit_unknown = false;
};

// Moves past one item's value: to the next "," at depth 0, or FOR.
std::vector<const Token*> ReadItemValue(Cursor* cur) {
  std::vector<const Token*> value;
  int depth = 0;
  while (!cur->AtEnd()) {
    if (depth == 0 && (cur->PeekOp(",") || cur->PeekIs("FOR"))) break;
    if (cur->PeekOp("(")) ++depth;
    if (cur->PeekOp(")")) --depth;
    value.push_back(cur->Peek());
    cur->Advance();
  }
  return value;
}

// The items of a SET list, until the end or, for SET STATEMENT, until FOR.
// The server takes any mix in one list: [GLOBAL|SESSION|...] var = expr,
// NAMES x [COLLATE y], CHARACTER SET x, PASSWORD [FOR u] = ..., ROLE r,
// DEFAULT ROLE r; so every item is read, not only the first.
void ReadSetItems(Cursor* cur, Classification* c, SetItems* items) {
  while (!cur->AtEnd() && !cur->PeekIs("FOR")) {
    bool global = false;
    if (cur->Accept("GLOBAL") || cur->Accept("PERSIST") || cur->Accept("PERSIST_ONLY"))
      global = true;
    if (cur->Accept("SESSION") || cur->Accept("LOCAL")) global = false;
    items->any_global = items->any_global || global;
    if (cur->PeekIs("PASSWORD") || cur->PeekIs("ROLE") ||
        (cur->PeekIs("DEFAULT") && cur->PeekIs("ROLE", 1))) {
      items->account = true;
      (void)ReadItemValue(cur);
      cur->AcceptOp(",");
      continue;
    }
    if (cur->PeekIs("NAMES") || cur->PeekIs("CHARSET") ||
        (cur->PeekIs("CHARACTER") && cur->PeekIs("SET", 1))) {
      cur->Advance(cur->PeekIs("CHARACTER") ? 2 : 1);
      std::vector<const Token*> value = ReadItemValue(cur);
      std::vector<const Token*> charset(value.begin(), value.begin() + (value.empty() ? 0 : 1));
      RecordCheckedValue(charset, &c->charsets, c);
      if (value.size() >= 3 && value[1]->Is("COLLATE")) {
        RecordCheckedValue({value[2]}, &c->collations, c);
      }
      if (value.size() != 1 && !(value.size() == 3 && value[1]->Is("COLLATE")))
        c->unchecked_value = true;
      cur->AcceptOp(",");
      continue;
    }
    std::string name;
    bool user_variable = false;
    if (!ReadVariableName(cur, &name, &global, &user_variable)) break;
    items->any_global = items->any_global || global;
    if (user_variable) name.clear();
    cur->AcceptOp("=") || cur->AcceptOp(":=");
    const std::vector<const Token*> value = ReadItemValue(cur);
    cur->AcceptOp(",");
    if (name == "autocommit") {
      items->autocommit = BoolValue(value);
      if (!items->autocommit.has_value()) items->autocommit_unknown = true;
    } else if (name == "sql_mode") {
      RecordCheckedValue(value, &c->sql_modes, c);
    } else if (name == "names" || name.rfind("character_set_", 0) == 0) {
      RecordCheckedValue(value, &c->charsets, c);
    } else if (name.rfind("collation_", 0) == 0) {
      RecordCheckedValue(value, &c->collations, c);
    }
  }
}

void ClassifySet(Cursor* cur, Classification* c) {
  cur->Advance();  // SET
  if (cur->Accept("STATEMENT")) {
    SetItems items;
    ReadSetItems(cur, c, &items);
    if (!cur->Accept("FOR") || cur->AtEnd()) {
      c->kind = StatementKind::kUnknown;
      c->verb = "SET STATEMENT";
      return;
    }
    ClassifyStatement(cur, c);
    return;
  }
  const bool global_scope = cur->PeekIsAny({"GLOBAL", "PERSIST", "PERSIST_ONLY"});
  if (cur->PeekIs("TRANSACTION") ||
      (cur->PeekIsAny({"GLOBAL", "SESSION", "LOCAL"}) && cur->PeekIs("TRANSACTION", 1))) {
    c->kind = global_scope ? StatementKind::kGlobalState : StatementKind::kTransaction;
    c->verb = global_scope ? "SET GLOBAL TRANSACTION" : "SET TRANSACTION";
    if (!global_scope) c->transaction = TransactionOp::kSetTransaction;
    return;
  }
  // The first item names the statement in messages.
  std::string first_verb = "SET";
  if (cur->PeekIs("PASSWORD")) first_verb = "SET PASSWORD";
  if (cur->PeekIs("ROLE")) first_verb = "SET ROLE";
  if (cur->PeekIs("DEFAULT") && cur->PeekIs("ROLE", 1)) first_verb = "SET DEFAULT ROLE";
  if (cur->PeekIs("NAMES")) first_verb = "SET NAMES";
  if (cur->PeekIs("CHARSET") || (cur->PeekIs("CHARACTER") && cur->PeekIs("SET", 1))) {
    first_verb = "SET CHARACTER SET";
  }
  SetItems items;
  ReadSetItems(cur, c, &items);
  if (items.account) {
    c->kind = StatementKind::kAccount;
    const bool leads = first_verb == "SET PASSWORD" || first_verb == "SET ROLE" ||
                       first_verb == "SET DEFAULT ROLE";
    c->verb = leads ? first_verb : "SET PASSWORD or ROLE";  // an item further down the list
    c->implicit_commit = c->verb == "SET PASSWORD";
  } else if (items.any_global) {
    c->kind = StatementKind::kGlobalState;
    c->verb = "SET GLOBAL";
  } else if (items.autocommit.has_value() || items.autocommit_unknown) {
    c->kind = StatementKind::kTransaction;
    c->verb = "SET autocommit";
    // An expression we cannot evaluate is taken as 1: the safe side for
    // keeping transactions whole is to assume a commit.
    const bool on = items.autocommit.value_or(true);
    c->transaction = on ? TransactionOp::kAutocommitOn : TransactionOp::kAutocommitOff;
    c->implicit_commit = on;
  } else {
    c->kind = StatementKind::kSessionState;
    c->verb = first_verb;
  }
}

void ClassifySelect(Cursor* cur, Classification* c) {
  c->kind = StatementKind::kRead;
  c->verb = "SELECT";
  for (size_t p = cur->pos(); p + 1 < cur->end(); ++p) {
    const Token& t = cur->at(p);
    if (t.Is("INTO")) {
      const Token& next = cur->at(p + 1);
      if (next.Is("OUTFILE") || next.Is("DUMPFILE")) {
        c->kind = StatementKind::kFileAccess;
        c->verb = "SELECT ... INTO " + AsciiUpper(next.text);
        return;
      }
      if (next.kind == TokenKind::kVariable) {
        // SELECT ... INTO @v sets session state later statements may use.
        c->kind = StatementKind::kSessionState;
        c->verb = "SELECT ... INTO";
      }
    }
  }
}

void SetKind(Classification* c, StatementKind kind, std::string verb,
             bool implicit_commit = false) {
  c->kind = kind;
  c->verb = std::move(verb);
  c->implicit_commit = implicit_commit;
}

// WITH name AS (query) [, ...] <statement>: the statement decides.
void ClassifyWith(Cursor* cur, Classification* c) {
  cur->Advance();
  cur->Accept("RECURSIVE");
  while (IsName(cur->Peek())) {
    cur->Advance();
    if (cur->PeekOp("(")) cur->SkipBalanced();
    if (!cur->Accept("AS")) break;
    if (cur->PeekOp("(")) cur->SkipBalanced();
    if (!cur->AcceptOp(",")) break;
  }
  ClassifyStatement(cur, c);
}

// ANALYZE TABLE is administration; MariaDB's ANALYZE <statement> executes
// the statement.
void ClassifyAnalyze(const std::string& next, Cursor* cur, Classification* c) {
  if (next == "TABLE" || next == "TABLES" || next == "NO_WRITE_TO_BINLOG" || next == "LOCAL") {
    return SetKind(c, StatementKind::kAdmin, "ANALYZE TABLE", true);
  }
  cur->Advance();
  if (cur->Accept("FORMAT")) {
    cur->AcceptOp("=");
    cur->Advance();
  }
  ClassifyStatement(cur, c);
}

// BEGIN, START TRANSACTION, COMMIT, ROLLBACK [TO SAVEPOINT], SAVEPOINT,
// RELEASE SAVEPOINT, XA. False when `kw` starts none of them.
bool ClassifyTransactionControl(const std::string& kw, const std::string& next, Cursor* cur,
                                Classification* c) {
  auto set = [c](const std::string& verb, TransactionOp op, bool implicit_commit = false) {
    SetKind(c, StatementKind::kTransaction, verb, implicit_commit);
    c->transaction = op;
    return true;
  };
  if (kw == "BEGIN") {
    if (next != "NOT") return set("BEGIN", TransactionOp::kBegin, true);
    SetKind(c, StatementKind::kCompound, "BEGIN NOT ATOMIC");
    return true;
  }
  if (kw == "START" && next == "TRANSACTION")
    return set("START TRANSACTION", TransactionOp::kBegin, true);
  if (kw == "COMMIT") return set("COMMIT", TransactionOp::kCommit);
  if (kw == "ROLLBACK") {
    cur->Advance();
    cur->Accept("WORK");
    if (cur->PeekIs("TO")) return set("ROLLBACK TO SAVEPOINT", TransactionOp::kRollbackToSavepoint);
    return set("ROLLBACK", TransactionOp::kRollback);
  }
  if (kw == "SAVEPOINT") return set("SAVEPOINT", TransactionOp::kSavepoint);
  if (kw == "RELEASE" && next == "SAVEPOINT")
    return set("RELEASE SAVEPOINT", TransactionOp::kReleaseSavepoint);
  if (kw == "XA") return set("XA " + next, TransactionOp::kXa);
  return false;
}

// Reads, accounts, USE, dynamic SQL, routines, files, administration and
// compound blocks; what is none of these is unknown.
void ClassifyOther(const std::string& kw, const std::string& next, Cursor* cur, Classification* c) {
  if (kw == "VALUES" || kw == "TABLE" || kw == "SHOW" || kw == "DESCRIBE" || kw == "DESC" ||
      kw == "EXPLAIN" || kw == "HELP") {
    return SetKind(c, StatementKind::kRead, kw);
  }
  if (kw == "CHECKSUM") return SetKind(c, StatementKind::kRead, "CHECKSUM TABLE");
  if (kw == "GRANT" || kw == "REVOKE") return SetKind(c, StatementKind::kAccount, kw, true);
  if (kw == "USE") {
    SetKind(c, StatementKind::kSessionState, "USE");
    if (IsName(cur->Peek(1))) c->use_database = Unquote(*cur->Peek(1));
    return;
  }
  if (kw == "START" || kw == "STOP")
    return SetKind(c, StatementKind::kAdmin, kw + " " + next, true);
  if (kw == "PREPARE" || kw == "DEALLOCATE") return SetKind(c, StatementKind::kDynamicSql, kw);
  if (kw == "EXECUTE") {
    return SetKind(c, StatementKind::kDynamicSql,
                   next == "IMMEDIATE" ? "EXECUTE IMMEDIATE" : "EXECUTE");
  }
  if (kw == "CALL") return SetKind(c, StatementKind::kRoutineCall, "CALL");
  if (kw == "LOAD") {
    if (next == "INDEX") return SetKind(c, StatementKind::kAdmin, "LOAD INDEX", true);
    return SetKind(c, StatementKind::kFileAccess, "LOAD " + next);
  }
  if (kw == "LOCK" || kw == "UNLOCK")
    return SetKind(c, StatementKind::kAdmin, kw + " " + next, true);
  for (std::string_view admin : {"FLUSH", "RESET", "OPTIMIZE", "REPAIR", "CHECK", "CACHE", "CHANGE",
                                 "INSTALL", "UNINSTALL"}) {
    if (kw == admin) return SetKind(c, StatementKind::kAdmin, kw, true);
  }
  for (std::string_view admin : {"KILL", "SHUTDOWN", "PURGE", "HANDLER", "DO", "BINLOG", "RESTART",
                                 "SIGNAL", "RESIGNAL", "GET", "BACKUP"}) {
    if (kw == admin) return SetKind(c, StatementKind::kAdmin, kw);
  }
  for (std::string_view block : {"IF", "WHILE", "LOOP", "REPEAT", "CASE", "DECLARE", "FOR"}) {
    if (kw == block) return SetKind(c, StatementKind::kCompound, kw);
  }
  SetKind(c, StatementKind::kUnknown, kw);
}

void ClassifyStatement(Cursor* cur, Classification* c) {
  // Each wrapper recurses once; a bound keeps hostile text from exhausting
  // the stack of the master or a slave.
  if (++cur->nesting > kMaxStatementNesting) {
    SetKind(c, StatementKind::kUnknown, "statement nested more than " +
                                            std::to_string(kMaxStatementNesting) + " levels deep");
    return;
  }
  while (cur->AcceptOp("(")) {
  }
  const Token* t = cur->Peek();
  if (t == nullptr) return SetKind(c, StatementKind::kUnknown, "");
  if (IsName(t) && cur->PeekOp(":", 1))
    return SetKind(c, StatementKind::kCompound, "labelled block");
  if (t->kind != TokenKind::kWord) return SetKind(c, StatementKind::kUnknown, std::string(t->text));
  const std::string kw = AsciiUpper(t->text);
  const std::string next = cur->Peek(1) != nullptr ? AsciiUpper(cur->Peek(1)->text) : "";
  if (kw == "SELECT") return ClassifySelect(cur, c);
  if (kw == "INSERT" || kw == "REPLACE") return ClassifyInsert(cur, c);
  if (kw == "UPDATE") return ClassifyUpdate(cur, c);
  if (kw == "DELETE") return ClassifyDelete(cur, c);
  if (kw == "SET") return ClassifySet(cur, c);
  if (kw == "CREATE" || kw == "ALTER" || kw == "DROP" || kw == "RENAME" || kw == "TRUNCATE") {
    return ClassifyDdl(cur, c);
  }
  if (kw == "WITH") return ClassifyWith(cur, c);
  if (kw == "ANALYZE") return ClassifyAnalyze(next, cur, c);
  if (ClassifyTransactionControl(kw, next, cur, c)) return;
  ClassifyOther(kw, next, cur, c);
}

// `schema` (unquoted) for the qualified name that ends at tokens[i], or ""
// when tokens[i] is not preceded by "schema .".
std::string QualifierOf(const std::vector<Token>& tokens, size_t i) {
  if (i < 2 || !tokens[i - 1].IsOperator(".")) return "";
  const Token& q = tokens[i - 2];
  return q.kind == TokenKind::kWord || q.kind == TokenKind::kQuotedIdent ? Unquote(q) : "";
}

// Records the schema of a stored routine called as schema.f(...), and of a
// sequence that NEXTVAL(), LASTVAL(), SETVAL() or NEXT/PREVIOUS VALUE FOR
// names: they run or change objects of that schema.
void NoteRoutineSchema(const std::vector<Token>& tokens, size_t i, const std::string& called,
                       Classification* c) {
  auto note = [&](const std::string& schema) {
    if (!schema.empty() && std::find(c->schemas_used.begin(), c->schemas_used.end(), schema) ==
                               c->schemas_used.end()) {
      c->schemas_used.push_back(schema);
    }
  };
  if (i + 1 < tokens.size() && tokens[i + 1].IsOperator("(") && i >= 2 &&
      tokens[i - 1].IsOperator(".")) {
    note(QualifierOf(tokens, i));  // schema.f(
  }
  size_t name_at = 0;
  if (called == "NEXTVAL" || called == "LASTVAL" || called == "SETVAL") name_at = i + 2;
  if (tokens[i].Is("FOR") && i >= 2 && tokens[i - 1].Is("VALUE") &&
      (tokens[i - 2].Is("NEXT") || tokens[i - 2].Is("PREVIOUS"))) {
    name_at = i + 1;
  }
  if (name_at != 0 && name_at + 2 < tokens.size() && tokens[name_at + 1].IsOperator(".")) {
    note(QualifierOf(tokens, name_at + 2));
  }
}

// `'bob'@'localhost'`, `bob@localhost`: the host of an account, which
// lexes as a variable. No expression puts a variable right after a literal
// or a quoted name; after a bare word (which may be a keyword: THEN @a) it
// is a host only where an account is named: account statements,
// DEFINER = name@host, ... FOR name@host.
bool IsAccountHost(const std::vector<Token>& tokens, size_t i, StatementKind kind) {
  if (i == 0) return false;
  const Token& before = tokens[i - 1];
  if (before.kind == TokenKind::kString || before.kind == TokenKind::kQuotedIdent) return true;
  if (before.kind != TokenKind::kWord) return false;
  if (kind == StatementKind::kAccount) return true;
  if (i >= 2 && tokens[i - 2].Is("FOR")) return true;
  return i >= 3 && tokens[i - 2].IsOperator("=") && tokens[i - 3].Is("DEFINER");
}

// The user variables and LAST_INSERT_ID() calls in `tokens`, and the
// schemas of the routines and sequences the statement uses.
void NoteNamesAndCalls(const std::vector<Token>& tokens, LexMode mode, Classification* c) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    std::string called = CalledFunction(tokens, i);
    if (called == "LAST_INSERT_ID") c->reads_last_insert_id = true;
    NoteRoutineSchema(tokens, i, called, c);
    if (t.Is("VALUE") && i + 1 < tokens.size() && tokens[i + 1].Is("FOR")) called = "NEXTVAL";
    if (!called.empty() &&
        std::find(c->functions.begin(), c->functions.end(), called) == c->functions.end()) {
      c->functions.push_back(called);
    }
    const std::string name = UserVariableName(t, mode);
    if (name.empty() || IsAccountHost(tokens, i, c->kind)) continue;
    if (c->reserved_variable.empty() && IsReservedVariable(name)) c->reserved_variable = "@" + name;
    if (std::find(c->user_variables.begin(), c->user_variables.end(), name) ==
        c->user_variables.end()) {
      c->user_variables.push_back(name);
    }
  }
}

}  // namespace

bool IsReservedVariable(std::string_view name) {
  return name.rfind(kReservedVariablePrefix, 0) == 0 &&
         name.size() > kReservedVariablePrefix.size() &&
         (name[kReservedVariablePrefix.size()] == '_' ||
          name[kReservedVariablePrefix.size()] == '.');
}

const char* KindName(StatementKind kind) {
  switch (kind) {
    case StatementKind::kEmpty: return "empty";
    case StatementKind::kRead: return "read";
    case StatementKind::kDataChange: return "data change";
    case StatementKind::kDdl: return "DDL";
    case StatementKind::kAccount: return "account";
    case StatementKind::kSessionState: return "session state";
    case StatementKind::kGlobalState: return "global state";
    case StatementKind::kTransaction: return "transaction control";
    case StatementKind::kDynamicSql: return "dynamic SQL";
    case StatementKind::kCompound: return "compound statement";
    case StatementKind::kRoutineCall: return "routine call";
    case StatementKind::kFileAccess: return "file access";
    case StatementKind::kAdmin: return "server administration";
    case StatementKind::kUnknown: return "unknown";
  }
  return "unknown";
}

Classification Classify(std::string_view statement, LexMode mode) {
  Classification c;
  c.mode = mode;
  std::vector<Token> tokens;
  for (const Token& t : Tokenize(statement, mode)) {
    c.depends_on_version = c.depends_on_version || t.depends_on_version;
    c.depends_on_charset = c.depends_on_charset || t.depends_on_charset;
    if (t.kind == TokenKind::kComment || t.kind == TokenKind::kExecOpen ||
        t.kind == TokenKind::kExecClose) {
      continue;
    }
    tokens.push_back(t);
  }
  size_t end = 0;
  while (end < tokens.size() && !tokens[end].IsOperator(";")) ++end;
  for (size_t i = end; i < tokens.size(); ++i) {
    if (!tokens[i].IsOperator(";")) c.multiple_statements = true;
  }
  if (end == 0) {
    c.kind = c.multiple_statements ? StatementKind::kUnknown : StatementKind::kEmpty;
    return c;
  }
  Cursor cur(tokens, end);
  ClassifyStatement(&cur, &c);
  NoteNamesAndCalls(tokens, mode, &c);
  // LOAD_FILE() reads a server file whatever statement it sits in.
  if (c.kind != StatementKind::kDdl) {
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      if (CalledFunction(tokens, i) == "LOAD_FILE") {
        c.kind = StatementKind::kFileAccess;
        c.verb = "LOAD_FILE()";
      }
    }
  }
  return c;
}

}  // namespace sqlrepl::sql
