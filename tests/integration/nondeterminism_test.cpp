// Nondeterminism that a statement's text does not show, on real servers (a
// master and one slave): column defaults, generated columns, triggers and
// views that call unsafe functions are flagged (UNSAFE_STATEMENTS=warn) or
// refused (refuse), also through INVISIBLE columns and after DDL run by
// dynamic SQL or CALL; INSERT ... SELECT whose rows depend on the order the
// server reads them in is refused; and every function of the unsafe list is
// either flagged by the master or replicates to equal rows.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "db/schema_catalog.hpp"
#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;

constexpr char kToken[] = "nondeterminism-test-token-0123456789";
constexpr char kPassword[] = "least-pass-5b07";  // of the accounts a test makes

struct NondeterminismServers {
  static constexpr const char* kNames[] = {"nondet-master", "nondet-slave"};
};

// Made on both servers (DDL is not replicated): each object calls an unsafe
// function that a write reaches without naming it.
constexpr char kTables[] =
    "CREATE TABLE school.d_uuid (id INT PRIMARY KEY, u VARCHAR(36) DEFAULT (UUID()));"
    "CREATE TABLE school.d_time (id INT PRIMARY KEY, t DATETIME(6) DEFAULT (SYSDATE(6)));"
    // MariaDB allows unsafe functions only in VIRTUAL columns, not STORED ones.
    "CREATE TABLE school.g_col (id INT PRIMARY KEY, copy VARCHAR(36), g VARCHAR(36) AS (UUID()) "
    "VIRTUAL);"
    "INSERT INTO school.g_col (id) VALUES (1);"
    "CREATE TABLE school.trig (id INT PRIMARY KEY, u VARCHAR(36));"
    "CREATE TRIGGER school.trig_bi BEFORE INSERT ON school.trig FOR EACH ROW SET NEW.u = UUID();"
    // A compound body: the INSERT inside IF leaves audit.u to its default.
    "CREATE TABLE school.audit (id INT PRIMARY KEY, u VARCHAR(36) DEFAULT (UUID()));"
    "CREATE TABLE school.watched (id INT PRIMARY KEY);"
    "INSERT INTO school.watched VALUES (1);\n"
    "DELIMITER //\n"
    "CREATE TRIGGER school.watched_ad AFTER DELETE ON school.watched FOR EACH ROW BEGIN\n"
    "  IF OLD.id > 0 THEN INSERT INTO school.audit (id) VALUES (OLD.id); END IF;\n"
    "END//\n"
    "DELIMITER ;\n"
    "CREATE TABLE school.owned (id INT PRIMARY KEY, owner VARCHAR(80), note VARCHAR(20));"
    "INSERT INTO school.owned VALUES (1, 'sqlrepl', NULL), (2, 'sqlrepl_slave', NULL);"
    "CREATE VIEW school.mine AS SELECT id, owner, note FROM school.owned "
    "  WHERE owner = SUBSTRING_INDEX(USER(), '@', 1);"
    "CREATE TABLE school.picked (id INT PRIMARY KEY);"
    "CREATE TABLE school.plain (id INT PRIMARY KEY);"
    "CREATE TABLE school.fn (name VARCHAR(64) PRIMARY KEY, v LONGBLOB);"
    "CREATE SEQUENCE school.sq;"
    // An INSERT without a column list leaves the INVISIBLE column out.
    "CREATE TABLE school.inv (id INT PRIMARY KEY, u CHAR(36) INVISIBLE DEFAULT (UUID()));"
    // Given an unsafe trigger by dynamic SQL, after the catalog cached it.
    "CREATE TABLE school.later (id INT PRIMARY KEY, u VARCHAR(36));"
    "CREATE TABLE school.widened (id INT PRIMARY KEY);"
    "CREATE PROCEDURE school.widen() "
    "  ALTER TABLE school.widened ADD COLUMN u VARCHAR(36) DEFAULT (UUID());"
    // Rows copied in an order each server picks.
    "CREATE TABLE school.src (id INT, v INT);"
    "INSERT INTO school.src VALUES (1, 1), (1, 2), (2, 3), (3, 4);"
    "CREATE TABLE school.keyed (id INT PRIMARY KEY, v INT);"
    "CREATE TABLE school.loose (id INT, v INT)";

// A write that reaches an unsafe function only through the catalog, and the
// reason the master gives.
struct CatalogCase {
  const char* sql;
  const char* reason;
};

constexpr char kUuidDefault[] =
    "default of school.d_uuid.u: UUID() gives a different value on each server";
constexpr char kInvisibleDefault[] =
    "default of school.inv.u: UUID() gives a different value on each server";
constexpr char kGenerated[] =
    "generated column school.g_col.g: UUID() gives a different value on each server";

const CatalogCase kCatalogCases[] = {
    {"INSERT INTO d_uuid (id) VALUES (1)", kUuidDefault},
    {"INSERT INTO d_uuid VALUES (3, DEFAULT)", kUuidDefault},
    {"INSERT INTO d_time (id) VALUES (1)",
     "default of school.d_time.t: SYSDATE() gives a different value on each server"},
    {"INSERT INTO g_col (id) VALUES (2)", kGenerated},
    {"UPDATE g_col SET copy = g", kGenerated},
    {"INSERT INTO trig (id) VALUES (1)",
     "trigger school.trig_bi: UUID() gives a different value on each server"},
    {"DELETE FROM watched",
     "trigger school.watched_ad: default of school.audit.u: UUID() gives a different value on "
     "each server"},
    {"UPDATE mine SET note = 'seen'",
     "view school.mine: USER() gives a different value on each server"},
    // Read, not written: each server picks its own row.
    {"INSERT INTO picked SELECT id FROM mine",
     "view school.mine: USER() gives a different value on each server"},
    // No column list: every column but the INVISIBLE ones.
    {"INSERT INTO inv VALUES (1)", kInvisibleDefault},
    {"INSERT INTO inv SELECT 2", kInvisibleDefault},
};

// Names every column with an unsafe default: nothing to flag.
constexpr char kSafeInsert[] = "INSERT INTO d_uuid (id, u) VALUES (2, 'given');\n";
// Its row on the slave says that the master has run everything before it.
constexpr char kLastStatement[] = "INSERT INTO fn (name, v) VALUES ('~end', 'end');\n";

class NondeterminismTest : public ServersTest<NondeterminismServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) ASSERT_TRUE(s->ResetSchool(kTables).ok());
    port_ = FreeLoopbackPort();
  }

  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& slave_db() { return *servers_[1]; }

  // A master that goes on after an error (a refused statement is one), and
  // a slave connected to it.
  // `user` replaces the master's usual account (which may do anything).
  bool Start(const std::string& extra_env = "", const std::string& user = "") {
    std::string env = MasterEnvLines(master_db(), kToken, port_);
    if (!user.empty()) {
      const std::string usual =
          fmt::format("DB_USER={}\nDB_PASS={}\n", MariaDbServer::kUser, MariaDbServer::kPassword);
      const size_t at = env.find(usual);
      if (at == std::string::npos) return false;
      env.replace(at, usual.size(), fmt::format("DB_USER={}\nDB_PASS={}\n", user, kPassword));
    }
    master_ = SpawnMaster(dir_.path(), env + extra_env, "master", "", {"--force"});
    slave_ = SpawnWithEnv(dir_.path(), SQLREPL_SLAVE_BIN,
                          SlaveEnvLines(slave_db(), kToken, port_, "slave1"), "slave");
    return master_ && slave_ && WaitConnected(*slave_);
  }

  // Feeds `script` then kLastStatement, and waits until the slave applied it.
  bool Run(const std::string& script) {
    if (!master_->WriteStdin(script + kLastStatement)) return false;
    return WaitFor([&] { return Value(slave_db(), "~end").has_value(); }, seconds(90));
  }

  static std::optional<std::string> Value(MariaDbServer& s, const std::string& name) {
    return s.QueryValue("SELECT HEX(v) FROM fn WHERE name = '" + name + "'", "school");
  }

  static std::string Rows(MariaDbServer& s, const std::string& table, const std::string& columns) {
    return s
        .QueryValue("SELECT GROUP_CONCAT(CONCAT_WS(':', id, " + columns +
                        ") ORDER BY id SEPARATOR ' ') FROM " + table,
                    "school")
        .value_or("(none)");
  }

  std::string Diagnostics() {
    return "\nmaster:\n" + master_->Stdout() + master_->Stderr() + "\nslave:\n" + slave_->Stdout();
  }

  TempDir dir_{"nondeterminism"};
  uint16_t port_ = 0;
  std::optional<Process> master_, slave_;
};

// How many of kCatalogCases give each reason.
std::map<std::string, size_t> CatalogReasons() {
  std::map<std::string, size_t> reasons;
  for (const CatalogCase& c : kCatalogCases) ++reasons[c.reason];
  return reasons;
}

std::string CatalogScript() {
  std::string script;
  for (const CatalogCase& c : kCatalogCases) script += std::string(c.sql) + ";\n";
  return script + kSafeInsert;
}

TEST_F(NondeterminismTest, CatalogObjectsThatCallUnsafeFunctionsAreFlagged) {
  ASSERT_TRUE(Start());
  // The catalog is asked again after DDL: the column added here is seen.
  ASSERT_TRUE(Run(CatalogScript() + "INSERT INTO plain (id) VALUES (1);\n"
                                    "ALTER TABLE plain ADD COLUMN u VARCHAR(36) DEFAULT (UUID());\n"
                                    "INSERT INTO plain (id) VALUES (2);\n"))
      << Diagnostics();
  std::map<std::string, size_t> expected = CatalogReasons();
  expected["default of school.plain.u: UUID() gives a different value on each server"] = 1;
  const std::string out = master_->Stdout();
  for (const auto& [reason, times] : expected) {
    EXPECT_EQ(Count(out, "Warning: " + reason + "; slaves may end up with different data"), times)
        << reason;
  }
  EXPECT_EQ(Count(out, "Warning: "), std::size(kCatalogCases) + 1) << Diagnostics();
}

TEST_F(NondeterminismTest, CatalogObjectsThatCallUnsafeFunctionsAreRefusedAndNothingDiverges) {
  ASSERT_TRUE(Start("UNSAFE_STATEMENTS=refuse\n"));
  ASSERT_TRUE(Run(CatalogScript())) << Diagnostics();
  const std::string err = master_->Stderr();
  for (const auto& [reason, times] : CatalogReasons()) {
    EXPECT_EQ(Count(err, "ERROR: not executed, UNSAFE_STATEMENTS=refuse: " + reason), times)
        << reason;
  }
  for (const auto& [table, columns] : std::map<std::string, std::string>{
           {"d_uuid", "u"},
           {"d_time", "t"},
           {"g_col", "copy"},
           {"trig", "u"},
           {"audit", "u"},
           {"watched", "'w'"},
           {"owned", "note"},
           {"picked", "'p'"},
           {"inv", "u"}}) {
    EXPECT_EQ(Rows(slave_db(), table, columns), Rows(master_db(), table, columns)) << table;
  }
  EXPECT_EQ(Rows(master_db(), "d_uuid", "u"), "2:given");
}

// The catalog asks the server once per table and keeps the answer until
// Invalidate (the master calls it after each statement that may change it:
// DDL, dynamic SQL, CALL, ...).
TEST_F(NondeterminismTest, CatalogIsCachedUntilInvalidated) {
  db::SchemaCatalog catalog(master_db().Options());
  const sql::TableRef plain{"school", "plain"};
  EXPECT_TRUE(catalog.Definition(plain).defaults.empty());
  ASSERT_TRUE(
      master_db().Exec("ALTER TABLE school.plain ADD COLUMN u VARCHAR(36) DEFAULT (UUID())").ok());
  EXPECT_TRUE(catalog.Definition(plain).defaults.empty()) << "not cached";
  catalog.Invalidate();
  const sql::TableDefinition d = catalog.Definition(plain);
  ASSERT_EQ(d.defaults.size(), 1u);
  EXPECT_EQ(d.defaults[0].name, "u");
  EXPECT_EQ(d.defaults[0].expression, "uuid()");
  const sql::TableDefinition trig = catalog.Definition({"school", "trig"});
  ASSERT_EQ(trig.triggers.size(), 1u);
  EXPECT_EQ(trig.triggers[0].event, "INSERT");
  EXPECT_TRUE(catalog.Definition({"school", "mine"}).view_definition.has_value());
  EXPECT_FALSE(d.defaults[0].invisible);
  const sql::TableDefinition inv = catalog.Definition({"school", "inv"});
  ASSERT_EQ(inv.defaults.size(), 1u);
  EXPECT_TRUE(inv.defaults[0].invisible);
}

// DDL the master runs out of the classifier's sight (dynamic SQL, CALL)
// drops the cached catalog too: the trigger and the default they add to
// tables already cached are seen by the next write.
TEST_F(NondeterminismTest, DdlThroughDynamicSqlOrCallRefreshesTheCatalog) {
  ASSERT_TRUE(Start("UNSAFE_STATEMENTS=refuse\n"));
  ASSERT_TRUE(Run("INSERT INTO later (id) VALUES (1);\n"
                  "INSERT INTO widened (id) VALUES (1);\n"
                  "EXECUTE IMMEDIATE 'CREATE TRIGGER later_bi BEFORE INSERT ON later FOR EACH ROW "
                  "SET NEW.u = UUID()';\n"
                  "INSERT INTO later (id) VALUES (2);\n"
                  "CALL widen();\n"
                  "INSERT INTO widened (id) VALUES (2);\n"))
      << Diagnostics();
  const std::string err = master_->Stderr();
  EXPECT_EQ(Count(err, "ERROR: not executed, UNSAFE_STATEMENTS=refuse: trigger school.later_bi: "
                       "UUID() gives a different value on each server"),
            1u)
      << Diagnostics();
  EXPECT_EQ(Count(err, "ERROR: not executed, UNSAFE_STATEMENTS=refuse: default of "
                       "school.widened.u: UUID() gives a different value on each server"),
            1u)
      << Diagnostics();
  EXPECT_EQ(Rows(master_db(), "later", "'l'"), "1:l");
  EXPECT_EQ(Rows(master_db(), "widened", "'w'"), "1:w");
}

// A master account with what writing rows and the log needs, and no
// TRIGGER or SHOW VIEW: MariaDB shows it a trigger's name with a NULL body
// and a view's definition as ''. The writes through them are unknown, so
// refused; the start says what is missing and the GRANT that fixes it.
// Before, the lookups succeeded with nothing to judge: the trigger's UUID()
// ran and the slave's row differed.
TEST_F(NondeterminismTest, WritesThroughTriggersAndViewsTheAccountCannotReadAreRefused) {
  for (const char* host : {"localhost", "127.0.0.1"}) {
    ASSERT_TRUE(
        master_db()
            .Exec(fmt::format("CREATE USER IF NOT EXISTS 'least'@'{0}' IDENTIFIED BY '{1}';"
                              "GRANT SELECT, INSERT, UPDATE, DELETE ON school.* TO 'least'@'{0}';"
                              "GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON repl_meta.* TO "
                              "'least'@'{0}'",
                              host, kPassword))
            .ok());
  }
  ASSERT_TRUE(Start("UNSAFE_STATEMENTS=refuse\n", "least")) << Diagnostics();
  ASSERT_TRUE(
      Run("INSERT INTO trig (id) VALUES (1);\n"
          "UPDATE mine SET note = 'seen';\n"
          "INSERT INTO picked SELECT id FROM mine;\n"
          "INSERT INTO plain (id) VALUES (1);\n"))
      << Diagnostics();
  const std::string err = master_->Stderr();
  for (const std::string privilege : {"TRIGGER", "SHOW VIEW"}) {
    EXPECT_THAT(err,
                ::testing::HasSubstr("master: warning: the account 'least'@'127.0.0.1' lacks " +
                                     privilege + " on `school`.*"));
    EXPECT_THAT(
        err, ::testing::HasSubstr("GRANT " + privilege + " ON `school`.* TO 'least'@'127.0.0.1';"));
  }
  EXPECT_THAT(err, ::testing::HasSubstr("(triggers now: trig_bi, watched_ad)"));
  EXPECT_THAT(err, ::testing::HasSubstr("(views now: mine)"));
  const std::string refused = "ERROR: not executed, UNSAFE_STATEMENTS=refuse: ";
  EXPECT_EQ(
      Count(err, refused + "trigger school.trig_bi: its body cannot be read (the master's "
                           "account lacks the TRIGGER privilege), so what it runs is unknown"),
      1u)
      << Diagnostics();
  EXPECT_EQ(Count(err, refused + "view school.mine: its definition cannot be read (the master's "
                                 "account lacks SHOW VIEW), so what it runs is unknown"),
            2u)
      << Diagnostics();
  EXPECT_EQ(Count(err, refused), 3u) << Diagnostics();
  for (const auto& [table, columns] : std::map<std::string, std::string>{
           {"trig", "u"}, {"owned", "note"}, {"picked", "'p'"}, {"plain", "'p'"}}) {
    EXPECT_EQ(Rows(slave_db(), table, columns), Rows(master_db(), table, columns)) << table;
  }
  EXPECT_EQ(Rows(master_db(), "plain", "'p'"), "1:p");
}

// Writes whose rows depend on the order each server reads the selected rows
// in (MariaDB marks them unsafe, Note 1592), and the same writes made
// deterministic by an ORDER BY or a table without a unique key.
struct OrderCase {
  const char* sql;
  const char* reason;  // null: not flagged
};

const OrderCase kOrderCases[] = {
    {"INSERT INTO loose SELECT id, v FROM src LIMIT 2",
     "INSERT ... SELECT with LIMIT but no ORDER BY may insert different rows on each server"},
    {"INSERT INTO loose SELECT * FROM (SELECT id, v FROM src LIMIT 1) x",
     "INSERT ... SELECT with LIMIT but no ORDER BY may insert different rows on each server"},
    {"INSERT IGNORE INTO keyed SELECT id, v FROM src",
     "INSERT IGNORE ... SELECT without ORDER BY into a table with a unique key may keep different "
     "rows on each server"},
    {"REPLACE INTO keyed SELECT id, v FROM src",
     "REPLACE ... SELECT without ORDER BY into a table with a unique key may keep different rows "
     "on each server"},
    {"INSERT INTO keyed SELECT id, v FROM src ON DUPLICATE KEY UPDATE v = src.v",
     "INSERT ... SELECT ... ON DUPLICATE KEY UPDATE without ORDER BY into a table with a unique "
     "key may keep different rows on each server"},
    {"INSERT INTO loose SELECT id, v FROM src ORDER BY v LIMIT 2", nullptr},
    {"INSERT IGNORE INTO loose SELECT id, v FROM src", nullptr},
    {"INSERT IGNORE INTO keyed SELECT id, v FROM src ORDER BY v", nullptr},
    {"REPLACE INTO keyed SELECT id, v FROM src ORDER BY v DESC", nullptr},
};

TEST_F(NondeterminismTest, RowOrderDependentInsertsAreRefusedAndNothingDiverges) {
  ASSERT_TRUE(Start("UNSAFE_STATEMENTS=refuse\n"));
  std::string script;
  for (const OrderCase& c : kOrderCases) script += std::string(c.sql) + ";\n";
  ASSERT_TRUE(Run(script)) << Diagnostics();
  const std::string err = master_->Stderr();
  size_t refused = 0;
  for (const OrderCase& c : kOrderCases) {
    if (c.reason == nullptr) continue;
    ++refused;
    EXPECT_GE(Count(err, std::string("ERROR: not executed, UNSAFE_STATEMENTS=refuse: ") + c.reason),
              1u)
        << c.sql;
  }
  EXPECT_EQ(Count(err, "ERROR: not executed, UNSAFE_STATEMENTS=refuse: "), refused)
      << Diagnostics();
  for (const std::string table : {"keyed", "loose"}) {
    const std::string sql =
        "SELECT GROUP_CONCAT(CONCAT(id, ':', v) ORDER BY id, v SEPARATOR ' ') FROM " + table;
    EXPECT_EQ(slave_db().QueryValue(sql, "school"), master_db().QueryValue(sql, "school"))
        << table;
  }
  EXPECT_EQ(master_db().QueryValue("SELECT COUNT(*) FROM keyed", "school"), "3");
}

// One function of the unsafe list: the value `INSERT INTO fn` writes, and
// the name in the master's warning, or null when the value must replicate
// equal (the event carries what it depends on: the timestamp, the RAND
// seeds, LAST_INSERT_ID).
struct FunctionCase {
  const char* name;
  const char* value;
  const char* flagged_as;
};

// MariaDB's list ("Unsafe Statements for Statement-Based Replication"),
// MySQL's ("Determination of Safe and Unsafe Statements in Binary Logging",
// "Replication and System Functions"), those MariaDB 10.11 itself marks
// unsafe (Note 1592), and the functions both call safe because their
// binary log carries what ours carries too.
const FunctionCase kFunctions[] = {
    {"CURRENT_ROLE", "CURRENT_ROLE()", "CURRENT_ROLE()"},
    {"CURRENT_ROLE bare", "CURRENT_ROLE", "CURRENT_ROLE()"},
    {"CURRENT_USER", "CURRENT_USER()", "CURRENT_USER()"},
    {"CURRENT_USER bare", "CURRENT_USER", "CURRENT_USER()"},
    {"FOUND_ROWS", "FOUND_ROWS()", "FOUND_ROWS()"},
    {"GET_LOCK", "GET_LOCK('nondet', 0)", "GET_LOCK()"},
    {"IS_FREE_LOCK", "IS_FREE_LOCK('nondet')", "IS_FREE_LOCK()"},
    {"IS_USED_LOCK", "IS_USED_LOCK('nondet')", "IS_USED_LOCK()"},
    // RELEASE_LOCK() and RELEASE_ALL_LOCKS() are refused at the master, whose
    // session holds the log's lock (master_executor_test).
    {"JSON_TABLE",
     "(SELECT GROUP_CONCAT(j ORDER BY j) FROM JSON_TABLE('[3,1,2]', '$[*]' COLUMNS (j INT PATH "
     "'$')) jt)",
     nullptr},
    {"LOAD_FILE", "LOAD_FILE('/etc/hostname')", "LOAD_FILE()"},
    {"MASTER_POS_WAIT", "MASTER_POS_WAIT('bin.000001', 4, 0)", "MASTER_POS_WAIT()"},
    {"MASTER_GTID_WAIT", "MASTER_GTID_WAIT('0-1-1', 0)", "MASTER_GTID_WAIT()"},
    {"RAND", "RAND()", nullptr},
    {"RAND seeded", "RAND(7)", nullptr},
    {"RANDOM_BYTES", "RANDOM_BYTES(8)", "RANDOM_BYTES()"},
    {"ROW_COUNT", "ROW_COUNT()", "ROW_COUNT()"},
    {"SESSION_USER", "SESSION_USER()", "SESSION_USER()"},
    {"SLEEP", "SLEEP(0)", "SLEEP()"},
    {"SYSDATE", "SYSDATE(6)", "SYSDATE()"},
    {"SYSTEM_USER", "SYSTEM_USER()", "SYSTEM_USER()"},
    {"USER", "USER()", "USER()"},
    {"UUID", "UUID()", "UUID()"},
    {"UUID_SHORT", "UUID_SHORT()", "UUID_SHORT()"},
    {"SYS_GUID", "SYS_GUID()", "SYS_GUID()"},
    {"VERSION", "VERSION()", "VERSION()"},
    {"BINLOG_GTID_POS", "BINLOG_GTID_POS('bin.000001', 4)", "BINLOG_GTID_POS()"},
    {"LASTVAL", "LASTVAL(sq)", "LASTVAL()"},
    {"PREVIOUS VALUE FOR", "PREVIOUS VALUE FOR sq", "PREVIOUS VALUE FOR"},
    {"BENCHMARK", "BENCHMARK(1, 1)", "BENCHMARK()"},
    // Safe in the server's binary log, which carries the session's id; ours does not.
    {"CONNECTION_ID", "CONNECTION_ID()", "CONNECTION_ID()"},
    // MySQL's names, not MariaDB built-ins (the server looks for stored functions).
    {"SOURCE_POS_WAIT", "SOURCE_POS_WAIT('bin.000001', 4, 0)", "SOURCE_POS_WAIT()"},
    {"PS_THREAD_ID", "PS_THREAD_ID(1)", "PS_THREAD_ID()"},
    {"PS_CURRENT_THREAD_ID", "PS_CURRENT_THREAD_ID()", "PS_CURRENT_THREAD_ID()"},
    // Not deterministic but safe: the event carries the timestamp and time zone.
    {"NOW", "NOW(6)", nullptr},
    {"CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP", nullptr},
    {"LOCALTIME", "LOCALTIME()", nullptr},
    {"LOCALTIMESTAMP", "LOCALTIMESTAMP(6)", nullptr},
    {"CURDATE", "CURDATE()", nullptr},
    {"CURRENT_DATE", "CURRENT_DATE", nullptr},
    {"CURTIME", "CURTIME(6)", nullptr},
    {"CURRENT_TIME", "CURRENT_TIME()", nullptr},
    {"UNIX_TIMESTAMP", "UNIX_TIMESTAMP()", nullptr},
    {"UTC_DATE", "UTC_DATE()", nullptr},
    {"UTC_TIME", "UTC_TIME(6)", nullptr},
    {"UTC_TIMESTAMP", "UTC_TIMESTAMP(6)", nullptr},
    {"LAST_INSERT_ID", "LAST_INSERT_ID()", nullptr},
};

TEST_F(NondeterminismTest, EveryListedFunctionIsFlaggedOrReplicatesEqual) {
  ASSERT_TRUE(Start());
  // A read that sets the master's LASTVAL: not replicated, so the slave's
  // session has none.
  std::string script = "SELECT NEXTVAL(sq);\n";
  for (const FunctionCase& f : kFunctions) {
    script += std::string("INSERT INTO fn (name, v) VALUES ('") + f.name + "', " + f.value + ");\n";
  }
  ASSERT_TRUE(Run(script)) << Diagnostics();
  const std::string out = master_->Stdout();
  for (const FunctionCase& f : kFunctions) {
    SCOPED_TRACE(f.name);
    if (f.flagged_as != nullptr) {
      EXPECT_GE(Count(out, std::string("Warning: ") + f.flagged_as +
                               " gives a different value on each server"),
                1u);
      continue;
    }
    const std::optional<std::string> value = Value(master_db(), f.name);
    EXPECT_TRUE(value.has_value()) << master_->Stderr();
    EXPECT_EQ(Value(slave_db(), f.name), value);
  }
  // Only the flagged functions were warned about.
  size_t flagged = 0;
  for (const FunctionCase& f : kFunctions) flagged += f.flagged_as != nullptr;
  EXPECT_EQ(Count(out, "Warning: "), flagged) << Diagnostics();
}

}  // namespace
}  // namespace sqlrepl::testing
