// What one statement is and what it touches, read from the lexer's tokens
// (never from a prefix of the text). Wrappers are seen through: comments,
// executable comments (their content is code), SET STATEMENT ... FOR,
// WITH ..., ANALYZE <statement>, leading parentheses, ODBC { ident table }
// escapes. Variable names are compared as the server resolves them
// (backticks removed, "." joined across spaces and comments).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/lexer.hpp"

namespace sqlrepl::sql {

// Wrappers (ANALYZE, WITH, SET STATEMENT ... FOR) nested deeper than this
// make the statement kUnknown, which the slave refuses.
inline constexpr int kMaxStatementNesting = 32;

enum class StatementKind {
  kEmpty,         // only white space and comments
  kRead,          // SELECT, SHOW, DESCRIBE, EXPLAIN, VALUES, TABLE, CHECKSUM TABLE, HELP
  kDataChange,    // INSERT, REPLACE, UPDATE, DELETE (multi-table, INSERT ... SELECT)
  kDdl,           // CREATE/ALTER/DROP/RENAME/TRUNCATE of any schema object
  kAccount,       // users, roles, GRANT, REVOKE, SET PASSWORD, SET ROLE
  kSessionState,  // SET of session or user variables, SET NAMES, USE
  kGlobalState,   // SET GLOBAL, SET @@global., SET PERSIST
  kTransaction,   // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET autocommit, XA, SET TRANSACTION
  kDynamicSql,    // PREPARE, EXECUTE, DEALLOCATE, EXECUTE IMMEDIATE
  kCompound,      // BEGIN NOT ATOMIC ... END, IF, WHILE, LOOP, REPEAT, CASE, labels
  kRoutineCall,   // CALL
  kFileAccess,    // LOAD DATA/XML, SELECT ... INTO OUTFILE/DUMPFILE, LOAD_FILE()
  kAdmin,         // FLUSH, RESET, KILL, LOCK TABLES, HANDLER, DO, ANALYZE/OPTIMIZE ... TABLE
  kUnknown,
};

const char* KindName(StatementKind kind);

enum class TransactionOp {
  kNone,
  kBegin,               // BEGIN, START TRANSACTION
  kCommit,
  kRollback,
  kSavepoint,
  kRollbackToSavepoint,
  kReleaseSavepoint,
  kAutocommitOn,        // SET autocommit = 1
  kAutocommitOff,       // SET autocommit = 0
  kXa,
  kSetTransaction,      // SET TRANSACTION ISOLATION LEVEL ...
};

struct TableRef {
  std::string schema;  // empty: the current database
  std::string table;
  bool operator==(const TableRef&) const = default;
};

struct Classification {
  LexMode mode;  // what the text was read under; every later reading uses it
  StatementKind kind = StatementKind::kUnknown;
  std::string verb;               // for messages: "DROP TABLE", "INSERT", "SET GLOBAL"
  std::vector<TableRef> writes;   // tables a data change writes (all named targets),
                                  // or the temporary tables a DDL creates or drops
  bool implicit_commit = false;   // commits an open transaction before it runs
  bool multiple_statements = false;  // more than one statement in the text
  TransactionOp transaction = TransactionOp::kNone;
  std::string use_database;       // for USE
  std::vector<std::string> sql_modes;  // string values assigned to sql_mode
  std::vector<std::string> charsets;   // SET NAMES / CHARACTER SET / character_set_* values
  std::vector<std::string> collations; // COLLATE / collation_* values
  bool unchecked_value = false;   // sql_mode or a charset set from an expression
  bool has_select = false;        // INSERT ... SELECT
  bool has_order_by = false;      // at the top level
  bool has_limit = false;         // at the top level
  bool on_duplicate_key_update = false;
  // INSERT and REPLACE: the columns a column list or SET names (unquoted,
  // as written), or all of them when rows or a SELECT come without a list.
  // A column left out takes its default.
  std::vector<std::string> inserted_columns;
  bool all_columns_named = false;
  bool temporary = false;         // CREATE/DROP TEMPORARY TABLE
  // Read from the same tokens, for the master's context and the checks of
  // both roles: the user variables the text names (@name, lower case, each
  // once; read or assigned), whether it calls LAST_INSERT_ID(), and the
  // first user variable it names that is reserved for sqlrepl's own use
  // (@sqlrepl...), which neither role runs.
  std::vector<std::string> user_variables;
  bool reads_last_insert_id = false;
  std::string reserved_variable;
  // Schemas of the stored routines (schema.f()) and sequences (NEXTVAL,
  // SETVAL, NEXT VALUE FOR, ...) the text names with a schema.
  std::vector<std::string> schemas_used;
  // The functions the text calls, upper case, each once (NEXT/PREVIOUS
  // VALUE FOR count as NEXTVAL).
  std::vector<std::string> functions;
  // The text holds a version-gated comment that another server version (or
  // MySQL) reads the other way; see lexer.hpp.
  bool depends_on_version = false;
  // The text holds a byte >= 0x80 outside strings, quoted names and
  // comments, whose meaning depends on the character set.
  bool depends_on_charset = false;
};

// User variables named sqlrepl_... or sqlrepl.... (case ignored) belong to
// sqlrepl: statements that name them are refused on both roles.
inline constexpr std::string_view kReservedVariablePrefix = "sqlrepl";
bool IsReservedVariable(std::string_view lower_case_name);

// `mode`: the sql_mode flags the statement is read under. The programs pass
// the session's own, on the master as on the slave; the default (the
// server's default sql_mode) is for tests.
Classification Classify(std::string_view statement, LexMode mode = {});

}  // namespace sqlrepl::sql
