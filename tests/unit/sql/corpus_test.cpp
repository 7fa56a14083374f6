// The classifier corpus: each statement with its kind, the slave's decision
// and whether the master flags it as nondeterministic. It holds attempts to
// slip DDL past a naive filter, and ordinary data changes that merely
// contain such words in strings, names or comments.
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "sql/classifier.hpp"
#include "sql/determinism.hpp"
#include "sql/policy.hpp"

namespace sqlrepl::sql {
namespace {

constexpr auto R = StatementKind::kRead;
constexpr auto W = StatementKind::kDataChange;
constexpr auto D = StatementKind::kDdl;
constexpr auto A = StatementKind::kAccount;
constexpr auto S = StatementKind::kSessionState;
constexpr auto G = StatementKind::kGlobalState;
constexpr auto T = StatementKind::kTransaction;
constexpr auto Y = StatementKind::kDynamicSql;
constexpr auto C = StatementKind::kCompound;
constexpr auto P = StatementKind::kRoutineCall;
constexpr auto F = StatementKind::kFileAccess;
constexpr auto M = StatementKind::kAdmin;
constexpr auto U = StatementKind::kUnknown;
constexpr auto E = StatementKind::kEmpty;
constexpr bool kAllow = true;
constexpr bool kRefuse = false;
constexpr bool kUnsafe = true;
constexpr bool kSafe = false;

struct CorpusCase {
  const char* sql;
  StatementKind kind;
  bool allowed;
  bool unsafe;
};

// school.students has AUTO_INCREMENT and one unique key; school.dup2 has
// two unique keys; school.uk1 one; school.noai has neither; school.my_func
// is a stored function.
class FakeSchema : public SchemaInfo {
 public:
  bool HasAutoIncrement(const TableRef& t) override {
    return t.schema == "school" && t.table == "students";
  }
  int UniqueKeyCount(const TableRef& t) override {
    if (t.schema != "school") return 0;
    return t.table == "dup2" ? 2 : t.table == "students" || t.table == "uk1" ? 1 : 0;
  }
  bool IsStoredFunction(std::string_view schema, std::string_view name) override {
    return schema == "school" && name == "my_func";
  }
  TableDefinition Definition(const TableRef& t) override {
    auto it = definitions.find(t.schema + "." + t.table);
    return it == definitions.end() ? TableDefinition{} : it->second;
  }
  std::map<std::string, TableDefinition> definitions;  // "schema.table" -> definition
};

const CorpusCase kCorpus[] = {
    // Reads: never replicated, refused if they ever reach a slave.
    {"SELECT * FROM students", R, kRefuse, kSafe},
    {"select 1", R, kRefuse, kSafe},
    {"SHOW TABLES", R, kRefuse, kSafe},
    {"SHOW CREATE TABLE students", R, kRefuse, kSafe},
    {"DESCRIBE students", R, kRefuse, kSafe},
    {"DESC students", R, kRefuse, kSafe},
    {"EXPLAIN SELECT * FROM students", R, kRefuse, kSafe},
    {"EXPLAIN DELETE FROM students", R, kRefuse, kSafe},
    {"VALUES (1, 2)", R, kRefuse, kSafe},
    {"TABLE students", R, kRefuse, kSafe},
    {"(SELECT 1) UNION (SELECT 2)", R, kRefuse, kSafe},
    {"WITH c AS (SELECT 1) SELECT * FROM c", R, kRefuse, kSafe},
    {"SELECT 'DROP TABLE x'", R, kRefuse, kSafe},
    {"SELECT * FROM students FOR UPDATE", R, kRefuse, kSafe},
    {"CHECKSUM TABLE students", R, kRefuse, kSafe},
    {"HELP 'select'", R, kRefuse, kSafe},
    {"/* DROP TABLE students */ SELECT 1", R, kRefuse, kSafe},
    {"SELECT 1 -- DROP TABLE x", R, kRefuse, kSafe},
    {"# DROP TABLE x\nSELECT 1", R, kRefuse, kSafe},
    {"SELECT `drop` FROM t", R, kRefuse, kSafe},
    {"SELECT UUID()", R, kRefuse, kSafe},

    // Data changes to ordinary tables: applied.
    {"INSERT INTO students (name, age) VALUES ('Ali', 22)", W, kAllow, kSafe},
    {"insert into students values (null, 'x', 1)", W, kAllow, kSafe},
    {"INSERT students SET name='a'", W, kAllow, kSafe},
    {"INSERT IGNORE INTO students (name) VALUES ('a')", W, kAllow, kSafe},
    {"INSERT LOW_PRIORITY INTO school.students (name) VALUES ('a')", W, kAllow, kSafe},
    {"REPLACE INTO students (id, name) VALUES (1, 'a')", W, kAllow, kSafe},
    {"UPDATE students SET age = age + 1 WHERE id = 1", W, kAllow, kSafe},
    {"UPDATE students s JOIN noai n ON s.id = n.id SET s.age = n.v", W, kAllow, kSafe},
    {"UPDATE students, noai SET students.age = noai.v WHERE students.id = noai.id", W, kAllow,
     kSafe},
    {"DELETE FROM students WHERE id = 3", W, kAllow, kSafe},
    {"DELETE s FROM students s JOIN noai n ON s.id = n.id", W, kAllow, kSafe},
    {"DELETE FROM s USING students AS s WHERE s.id = 1", W, kAllow, kSafe},
    {"DELETE students, noai FROM students JOIN noai ON students.id = noai.id", W, kAllow, kSafe},
    {"INSERT INTO noai SELECT * FROM noai2", W, kAllow, kSafe},
    {"INSERT INTO students (name) SELECT name FROM noai ORDER BY id", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('DROP TABLE students; --')", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('it''s; DROP TABLE x')", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (\"a\\\"; DROP TABLE x; -- \")", W, kAllow, kSafe},
    {"INSERT INTO `drop` (`table`) VALUES ('create')", W, kAllow, kSafe},
    {"UPDATE students SET name = 'GRANT ALL' WHERE id = 1", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('x') /* DROP TABLE students */", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('x') -- ; DROP TABLE students", W, kAllow, kSafe},
    {"/*!40000 INSERT INTO students (name) VALUES ('x') */", W, kAllow, kSafe},
    {"INSERT /*! IGNORE */ INTO students (name) VALUES ('x')", W, kAllow, kSafe},
    {"UPDATE students SET age = 1 WHERE name LIKE '%\\\\%'", W, kAllow, kSafe},
    {"DELETE FROM students WHERE name = 'a\\\\'", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (CONCAT('a', ';', 'b'))", W, kAllow, kSafe},
    {"SET STATEMENT max_statement_time=10 FOR UPDATE students SET age=1 WHERE id=1", W, kAllow,
     kSafe},
    {"ANALYZE UPDATE students SET age = 2 WHERE id = 1", W, kAllow, kSafe},
    {"ANALYZE FORMAT=JSON DELETE FROM students WHERE id = 1", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('a') ON DUPLICATE KEY UPDATE name = 'b'", W, kAllow,
     kSafe},
    {"INSERT INTO students (name, age) VALUES ('a', 1), ('b', 2), ('c', 3)", W, kAllow, kSafe},
    {"UPDATE students SET age = NULL ORDER BY id LIMIT 2", W, kAllow, kSafe},
    {"DELETE FROM students ORDER BY id LIMIT 1", W, kAllow, kSafe},
    {"INSERT INTO students (name, age) VALUES ('Zoë', 20)", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (NOW())", W, kAllow, kSafe},
    {"INSERT INTO students (age) VALUES (FLOOR(RAND() * 100))", W, kAllow, kSafe},
    {"INSERT INTO students (id, name) VALUES (LAST_INSERT_ID() + 1, 'x')", W, kAllow, kSafe},
    {"UPDATE students SET name = UPPER(name)", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (@x)", W, kAllow, kSafe},
    {"insert into STUDENTS (NAME) values ('mixed case')", W, kAllow, kSafe},
    {"InSeRt InTo students (name) VALUES ('x')", W, kAllow, kSafe},
    {"INSERT\tINTO\nstudents\n(name)\nVALUES\n('tabs')", W, kAllow, kSafe},
    {"UPDATE school.students SET age = 3", W, kAllow, kSafe},
    {"DELETE FROM `school`.`students`", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('`backtick`')", W, kAllow, kSafe},
    {"INSERT INTO students (name) SELECT name FROM students WHERE id < 0 ORDER BY id", W, kAllow,
     kSafe},
    {"REPLACE students SET id = 1, name = 'r'", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (0x414243)", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (_utf8mb4'x')", W, kAllow, kSafe},
    {"UPDATE students SET name = 'DELETE FROM mysql.user' WHERE id = 1", W, kAllow, kSafe},
    {"INSERT INTO students (name) SELECT user FROM mysql.user ORDER BY user", W, kAllow, kSafe},
    {"UPDATE students SET age = (SELECT COUNT(*) FROM noai)", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('UUID()')", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('@@hostname')", W, kAllow, kSafe},
    {"INSERT INTO students (age) VALUES (@@session.auto_increment_increment)", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES (user)", W, kAllow, kSafe},
    {"UPDATE students SET age = 2 WHERE id IN (SELECT id FROM noai ORDER BY id LIMIT 1)", W, kAllow,
     kSafe},
    {"INSERT INTO students (name) VALUES ('x');", W, kAllow, kSafe},
    {"INSERT INTO `create table` (`drop`) VALUES ('alter')", W, kAllow, kSafe},
    {"UPDATE students SET name = 'a' WHERE name = '/*!50000 DROP TABLE x */'", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('#not a comment')", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('-- not a comment')", W, kAllow, kSafe},
    {"UPDATE students SET age = age--1\n WHERE id = 1", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('a\\'b')", W, kAllow, kSafe},
    {"DELETE LOW_PRIORITY QUICK IGNORE FROM students WHERE id = 9", W, kAllow, kSafe},
    {"INSERT INTO students (name) VALUES ('multi\nline\nvalue')", W, kAllow, kSafe},

    // Data changes to system or replication schemas: refused.
    {"INSERT INTO mysql.user (Host) VALUES ('%')", W, kRefuse, kSafe},
    {"UPDATE mysql.global_priv SET Priv = '{}'", W, kRefuse, kSafe},
    {"DELETE FROM mysql.user", W, kRefuse, kSafe},
    {"INSERT INTO `mysql`.`db` VALUES ()", W, kRefuse, kSafe},
    {"UPDATE students s JOIN mysql.user u ON 1 = 1 SET u.Host = 'x'", W, kRefuse, kSafe},
    {"DELETE u FROM mysql.user u", W, kRefuse, kSafe},
    {"INSERT INTO repl_meta.slave_position VALUES (1)", W, kRefuse, kSafe},
    {"UPDATE REPL_META.x SET a = 1", W, kRefuse, kSafe},
    {"INSERT INTO information_schema.tables VALUES ()", W, kRefuse, kSafe},
    {"DELETE FROM performance_schema.events_statements_history", W, kRefuse, kSafe},
    {"UPDATE sys.sys_config SET value = 1", W, kRefuse, kSafe},
    {"INSERT INTO MySQL.user VALUES ()", W, kRefuse, kSafe},
    {"/*!INSERT INTO mysql.user VALUES ()*/", W, kRefuse, kSafe},
    {"REPLACE INTO mysql.servers VALUES ()", W, kRefuse, kSafe},
    {"DELETE FROM students USING students JOIN mysql.user ON 1 = 1", W, kRefuse, kSafe},
    {"INSERT INTO /* hide */ mysql . user VALUES ()", W, kRefuse, kSafe},
    {"UPDATE `mysql`.user SET Host = 'x'", W, kRefuse, kSafe},

    // Data changes the master flags as nondeterministic (slaves apply them).
    {"INSERT INTO students (name) VALUES (UUID())", W, kAllow, kUnsafe},
    {"INSERT INTO students (id) VALUES (UUID_SHORT())", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (SYSDATE())", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (USER())", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (CURRENT_USER)", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (CURRENT_USER())", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (SESSION_USER())", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (CONNECTION_ID())", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (FOUND_ROWS())", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (ROW_COUNT())", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (@@hostname)", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (@@server_id)", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (@@global.port)", W, kAllow, kUnsafe},
    {"UPDATE students SET age = 1 LIMIT 1", W, kAllow, kUnsafe},
    {"DELETE FROM students LIMIT 10", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) SELECT name FROM noai", W, kAllow, kUnsafe},
    {"INSERT INTO dup2 (a, b) VALUES (1, 2) ON DUPLICATE KEY UPDATE b = 3", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (my_func(1))", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (school.my_func(1))", W, kAllow, kUnsafe},
    {"UPDATE students SET name = uuid() WHERE id = 1", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (/* c */ UUID /* c */ ())", W, kAllow, kUnsafe},
    {"REPLACE INTO students (name) SELECT name FROM noai", W, kAllow, kUnsafe},
    // Rows that depend on the order the SELECT reads them in.
    {"INSERT INTO noai SELECT a FROM x LIMIT 1", W, kAllow, kUnsafe},
    {"INSERT INTO noai SELECT a FROM x ORDER BY a LIMIT 1", W, kAllow, kSafe},
    {"INSERT INTO noai (SELECT a FROM x ORDER BY a LIMIT 1)", W, kAllow, kSafe},
    {"INSERT INTO noai SELECT * FROM (SELECT a FROM x LIMIT 1) d ORDER BY a", W, kAllow, kUnsafe},
    {"INSERT INTO noai SELECT * FROM (SELECT a FROM x ORDER BY a LIMIT 1) d", W, kAllow, kSafe},
    {"REPLACE noai SELECT a FROM x LIMIT 1", W, kAllow, kUnsafe},
    {"DELETE FROM noai WHERE a = (SELECT a FROM x LIMIT 1)", W, kAllow, kUnsafe},
    {"INSERT IGNORE INTO uk1 SELECT a FROM x", W, kAllow, kUnsafe},
    {"INSERT LOW_PRIORITY IGNORE INTO school.uk1 (a) SELECT a FROM x", W, kAllow, kUnsafe},
    {"INSERT IGNORE INTO uk1 SELECT a FROM x ORDER BY a", W, kAllow, kSafe},
    {"INSERT IGNORE INTO noai SELECT a FROM x", W, kAllow, kSafe},
    {"INSERT IGNORE INTO uk1 VALUES (1)", W, kAllow, kSafe},
    {"REPLACE INTO uk1 SELECT a FROM x", W, kAllow, kUnsafe},
    {"REPLACE INTO uk1 SELECT a FROM x ORDER BY a", W, kAllow, kSafe},
    {"REPLACE INTO noai SELECT a FROM x", W, kAllow, kSafe},
    {"INSERT INTO uk1 SELECT a FROM x ON DUPLICATE KEY UPDATE a = x.a + 1", W, kAllow, kUnsafe},
    {"INSERT INTO uk1 SELECT a FROM x ORDER BY a ON DUPLICATE KEY UPDATE a = 1", W, kAllow, kSafe},
    {"INSERT INTO uk1 (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2", W, kAllow, kSafe},
    {"INSERT INTO students (age) VALUES (GET_LOCK('x', 1))", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (SLEEP(0))", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (SYSTEM_USER())", W, kAllow, kUnsafe},
    {"/*!50000 UPDATE students SET name = SYSDATE() */", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) (SELECT name FROM noai)", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (VERSION())", W, kAllow, kUnsafe},
    {"INSERT INTO students (name) VALUES (BINLOG_GTID_POS('b.000001', 4))", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (LASTVAL(s))", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (PREVIOUS VALUE FOR s)", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (NEXT VALUE FOR s)", W, kAllow, kSafe},
    {"INSERT INTO students (age) VALUES (PS_THREAD_ID(1))", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (RAND())", W, kAllow, kSafe},
    {"INSERT INTO noai SELECT j FROM JSON_TABLE('[1]', '$[*]' COLUMNS (j INT PATH '$')) t", W,
     kAllow, kSafe},

    // Session state: applied, except what would change how text is read.
    {"SET @x = 5", S, kRefuse, kSafe},
    {"SET @x := 5, @y = 'a'", S, kRefuse, kSafe},
    {"SET SESSION sql_mode = 'STRICT_TRANS_TABLES'", S, kRefuse, kSafe},
    {"SET sql_mode = 'ANSI_QUOTES'", S, kRefuse, kSafe},
    {"SET @@session.sql_mode = 'NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES'", S, kRefuse, kSafe},
    {"SET sql_mode = CONCAT(@@sql_mode, ',ANSI')", S, kRefuse, kSafe},
    {"SET NAMES utf8mb4", S, kRefuse, kSafe},
    {"SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", S, kRefuse, kSafe},
    {"SET NAMES gbk", S, kRefuse, kSafe},
    {"SET CHARACTER SET sjis", S, kRefuse, kSafe},
    {"SET character_set_client = big5", S, kRefuse, kSafe},
    {"USE school", S, kAllow, kSafe},
    {"USE `school`", S, kAllow, kSafe},
    {"USE mysql", S, kRefuse, kSafe},
    {"use repl_meta", S, kRefuse, kSafe},
    {"SET @x = UUID()", S, kRefuse, kUnsafe},
    {"SET foreign_key_checks = 0", S, kRefuse, kSafe},
    {"SET LOCAL time_zone = '+00:00'", S, kRefuse, kSafe},
    {"SET @@time_zone = 'UTC'", S, kRefuse, kSafe},
    {"SET timestamp = 1700000000", S, kRefuse, kSafe},
    {"SELECT COUNT(*) INTO @n FROM students", S, kRefuse, kSafe},
    {"SET STATEMENT sql_mode='ANSI_QUOTES' FOR INSERT INTO students (name) VALUES (\"x\")", W,
     kAllow, kSafe},
    {"SET @a = (SELECT MAX(id) FROM students)", S, kRefuse, kSafe},
    {"SET unique_checks = 1, @b = 2", S, kRefuse, kSafe},
    {"SET @x = @@hostname", S, kRefuse, kUnsafe},
    {"SET sql_mode = DEFAULT", S, kRefuse, kSafe},

    // Global state: refused.
    {"SET GLOBAL max_connections = 10", G, kRefuse, kSafe},
    {"SET @@global.read_only = 1", G, kRefuse, kSafe},
    {"SET PERSIST max_connections = 10", G, kRefuse, kSafe},
    {"set global general_log = 1", G, kRefuse, kSafe},
    {"SET @x = 1, GLOBAL max_connections = 5", G, kRefuse, kSafe},
    {"SET @@GLOBAL.sql_mode = ''", G, kRefuse, kSafe},
    {"/*!SET GLOBAL x = 1*/", G, kRefuse, kSafe},
    {"SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE", G, kRefuse, kSafe},
    {"SET PERSIST_ONLY back_log = 10", G, kRefuse, kSafe},
    {"SET /* x */ GLOBAL /* y */ event_scheduler = ON", G, kRefuse, kSafe},

    // Transaction control: applied (XA refused).
    {"BEGIN", T, kAllow, kSafe},
    {"BEGIN WORK", T, kAllow, kSafe},
    {"START TRANSACTION", T, kAllow, kSafe},
    {"START TRANSACTION READ ONLY", T, kAllow, kSafe},
    {"COMMIT", T, kAllow, kSafe},
    {"COMMIT WORK", T, kAllow, kSafe},
    {"ROLLBACK", T, kAllow, kSafe},
    {"ROLLBACK TO SAVEPOINT s1", T, kAllow, kSafe},
    {"ROLLBACK TO s1", T, kAllow, kSafe},
    {"SAVEPOINT s1", T, kAllow, kSafe},
    {"RELEASE SAVEPOINT s1", T, kAllow, kSafe},
    {"SET autocommit = 0", T, kAllow, kSafe},
    {"SET autocommit = 1", T, kAllow, kSafe},
    {"SET @@autocommit = OFF", T, kAllow, kSafe},
    {"SET SESSION autocommit = ON", T, kAllow, kSafe},
    {"XA START 'x'", T, kRefuse, kSafe},
    {"XA COMMIT 'x'", T, kRefuse, kSafe},
    {"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", T, kAllow, kSafe},
    {"SET SESSION TRANSACTION READ ONLY", T, kAllow, kSafe},
    {"begin;", T, kAllow, kSafe},

    // DDL: refused, however it is written.
    {"CREATE TABLE t (id INT)", D, kRefuse, kSafe},
    {"CREATE TABLE IF NOT EXISTS t (id INT)", D, kRefuse, kSafe},
    {"CREATE OR REPLACE TABLE t (id INT)", D, kRefuse, kSafe},
    {"CREATE TEMPORARY TABLE t (id INT)", D, kRefuse, kSafe},
    {"create table t select * from students", D, kRefuse, kSafe},
    {"ALTER TABLE students ADD COLUMN x INT", D, kRefuse, kSafe},
    {"ALTER ONLINE TABLE students ADD COLUMN y INT", D, kRefuse, kSafe},
    {"DROP TABLE students", D, kRefuse, kSafe},
    {"DROP TABLE IF EXISTS students", D, kRefuse, kSafe},
    {"DROP TABLES a, b", D, kRefuse, kSafe},
    {"DROP TEMPORARY TABLE t", D, kRefuse, kSafe},
    {"drop table students", D, kRefuse, kSafe},
    {"DrOp TaBlE students", D, kRefuse, kSafe},
    {"/* hi */ DROP TABLE students", D, kRefuse, kSafe},
    {"DROP /* hi */ TABLE students", D, kRefuse, kSafe},
    {"-- c\nDROP TABLE students", D, kRefuse, kSafe},
    {"# c\nDROP TABLE students", D, kRefuse, kSafe},
    {"/*!DROP TABLE students*/", D, kRefuse, kSafe},
    {"/*!50000 DROP TABLE students */", D, kRefuse, kSafe},
    {"/*M!100100 DROP TABLE students */", D, kRefuse, kSafe},
    {"\n\t DROP\n\tTABLE\tstudents", D, kRefuse, kSafe},
    {"DROP DATABASE school", D, kRefuse, kSafe},
    {"DROP SCHEMA school", D, kRefuse, kSafe},
    {"CREATE DATABASE x", D, kRefuse, kSafe},
    {"CREATE SCHEMA IF NOT EXISTS x", D, kRefuse, kSafe},
    {"ALTER DATABASE school CHARACTER SET utf8mb4", D, kRefuse, kSafe},
    {"RENAME TABLE students TO pupils", D, kRefuse, kSafe},
    {"TRUNCATE students", D, kRefuse, kSafe},
    {"TRUNCATE TABLE students", D, kRefuse, kSafe},
    {"CREATE VIEW v AS SELECT 1", D, kRefuse, kSafe},
    {"CREATE OR REPLACE ALGORITHM=MERGE DEFINER=CURRENT_USER SQL SECURITY INVOKER VIEW v AS SELECT "
     "1",
     D, kRefuse, kSafe},
    {"DROP VIEW v", D, kRefuse, kSafe},
    {"CREATE INDEX i ON students (name)", D, kRefuse, kSafe},
    {"CREATE UNIQUE INDEX i ON students (name)", D, kRefuse, kSafe},
    {"DROP INDEX i ON students", D, kRefuse, kSafe},
    {"CREATE TRIGGER trg BEFORE INSERT ON students FOR EACH ROW SET NEW.age = 1", D, kRefuse,
     kSafe},
    {"CREATE DEFINER=`root`@`localhost` TRIGGER trg AFTER DELETE ON students FOR EACH ROW DELETE "
     "FROM mysql.user",
     D, kRefuse, kSafe},
    {"DROP TRIGGER trg", D, kRefuse, kSafe},
    {"CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM students", D, kRefuse, kSafe},
    {"ALTER EVENT e DISABLE", D, kRefuse, kSafe},
    {"DROP EVENT e", D, kRefuse, kSafe},
    {"CREATE PROCEDURE p() BEGIN DELETE FROM students; END", D, kRefuse, kSafe},
    {"DROP PROCEDURE p", D, kRefuse, kSafe},
    {"CREATE FUNCTION f() RETURNS INT RETURN 1", D, kRefuse, kSafe},
    {"CREATE AGGREGATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END", D, kRefuse, kSafe},
    {"DROP FUNCTION f", D, kRefuse, kSafe},
    {"CREATE SEQUENCE s", D, kRefuse, kSafe},
    {"DROP SEQUENCE s", D, kRefuse, kSafe},
    {"CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'x')", D, kRefuse, kSafe},
    {"CREATE TABLESPACE ts ADD DATAFILE 'x'", D, kRefuse, kSafe},
    {"ALTER TABLE `students` DROP COLUMN `age`", D, kRefuse, kSafe},
    {"SET STATEMENT max_statement_time=1 FOR DROP TABLE students", D, kRefuse, kSafe},
    {"create /*!32312 or replace */ table t (i int)", D, kRefuse, kSafe},
    {"(DROP TABLE students)", D, kRefuse, kSafe},
    {"DROP/**/TABLE/**/students", D, kRefuse, kSafe},

    // Accounts and privileges: refused.
    {"CREATE USER 'u'@'%' IDENTIFIED BY 'p'", A, kRefuse, kSafe},
    {"DROP USER 'u'@'%'", A, kRefuse, kSafe},
    {"ALTER USER 'u'@'%' IDENTIFIED BY 'q'", A, kRefuse, kSafe},
    {"RENAME USER 'a' TO 'b'", A, kRefuse, kSafe},
    {"CREATE ROLE r", A, kRefuse, kSafe},
    {"DROP ROLE r", A, kRefuse, kSafe},
    {"GRANT ALL ON *.* TO 'u'@'%'", A, kRefuse, kSafe},
    {"grant select on school.* to u", A, kRefuse, kSafe},
    {"REVOKE ALL PRIVILEGES ON *.* FROM u", A, kRefuse, kSafe},
    {"SET PASSWORD FOR 'u'@'%' = PASSWORD('x')", A, kRefuse, kSafe},
    {"SET PASSWORD = 'x'", A, kRefuse, kSafe},
    {"SET ROLE r", A, kRefuse, kSafe},
    {"SET DEFAULT ROLE r FOR u", A, kRefuse, kSafe},
    {"CREATE OR REPLACE USER u", A, kRefuse, kSafe},

    // Dynamic SQL: cannot be checked, refused.
    {"PREPARE s FROM 'DROP TABLE students'", Y, kRefuse, kSafe},
    {"EXECUTE s", Y, kRefuse, kSafe},
    {"DEALLOCATE PREPARE s", Y, kRefuse, kSafe},
    {"DROP PREPARE s", Y, kRefuse, kSafe},
    {"EXECUTE IMMEDIATE 'DROP TABLE students'", Y, kRefuse, kSafe},
    {"execute immediate concat('DROP ', 'TABLE x')", Y, kRefuse, kSafe},

    // Compound statements: refused.
    {"BEGIN NOT ATOMIC DROP TABLE students; END", C, kRefuse, kSafe},
    {"begin not atomic select 1; end", C, kRefuse, kSafe},
    {"IF 1 = 1 THEN DROP TABLE students; END IF", C, kRefuse, kSafe},
    {"WHILE 1 DO SELECT 1; END WHILE", C, kRefuse, kSafe},
    {"lbl: BEGIN NOT ATOMIC SELECT 1; END", C, kRefuse, kSafe},
    {"REPEAT SELECT 1; UNTIL 1 END REPEAT", C, kRefuse, kSafe},
    {"LOOP LEAVE x; END LOOP", C, kRefuse, kSafe},
    {"CASE WHEN 1 THEN SELECT 1; END CASE", C, kRefuse, kSafe},
    {"/*!BEGIN NOT ATOMIC DROP TABLE students; END*/", C, kRefuse, kSafe},

    // Routine calls: refused.
    {"CALL p()", P, kRefuse, kSafe},
    {"call school.p(1, 'x')", P, kRefuse, kSafe},

    // File access: refused (and flagged at the master).
    {"LOAD DATA INFILE '/etc/passwd' INTO TABLE students", F, kRefuse, kSafe},
    {"LOAD DATA LOCAL INFILE 'x' INTO TABLE students", F, kRefuse, kSafe},
    {"LOAD XML INFILE 'x' INTO TABLE students", F, kRefuse, kSafe},
    {"SELECT * FROM students INTO OUTFILE '/tmp/x'", F, kRefuse, kSafe},
    {"SELECT * INTO DUMPFILE '/tmp/x' FROM students", F, kRefuse, kSafe},
    {"INSERT INTO students (name) VALUES (LOAD_FILE('/etc/passwd'))", F, kRefuse, kUnsafe},
    {"SELECT LOAD_FILE('/etc/passwd')", F, kRefuse, kUnsafe},
    {"UPDATE students SET name = LOAD_FILE('/etc/hosts')", F, kRefuse, kUnsafe},

    // Server administration: refused.
    {"FLUSH PRIVILEGES", M, kRefuse, kSafe},
    {"FLUSH TABLES", M, kRefuse, kSafe},
    {"RESET MASTER", M, kRefuse, kSafe},
    {"KILL 5", M, kRefuse, kSafe},
    {"KILL QUERY 5", M, kRefuse, kSafe},
    {"SHUTDOWN", M, kRefuse, kSafe},
    {"INSTALL PLUGIN x SONAME 'x.so'", M, kRefuse, kSafe},
    {"UNINSTALL SONAME 'x'", M, kRefuse, kSafe},
    {"CHANGE MASTER TO MASTER_HOST = 'x'", M, kRefuse, kSafe},
    {"START SLAVE", M, kRefuse, kSafe},
    {"STOP SLAVE", M, kRefuse, kSafe},
    {"START REPLICA", M, kRefuse, kSafe},
    {"LOCK TABLES students WRITE", M, kRefuse, kSafe},
    {"UNLOCK TABLES", M, kRefuse, kSafe},
    {"HANDLER students OPEN", M, kRefuse, kSafe},
    {"DO SLEEP(1)", M, kRefuse, kSafe},
    {"ANALYZE TABLE students", M, kRefuse, kSafe},
    {"OPTIMIZE TABLE students", M, kRefuse, kSafe},
    {"REPAIR TABLE students", M, kRefuse, kSafe},
    {"CHECK TABLE students", M, kRefuse, kSafe},
    {"PURGE BINARY LOGS BEFORE NOW()", M, kRefuse, kSafe},
    {"CACHE INDEX students IN hot", M, kRefuse, kSafe},
    {"LOAD INDEX INTO CACHE students", M, kRefuse, kSafe},
    {"BINLOG 'xxx'", M, kRefuse, kSafe},
    {"SIGNAL SQLSTATE '45000'", M, kRefuse, kSafe},

    // A second statement in the same text: refused as a whole.
    {"INSERT INTO students (name) VALUES ('a'); DROP TABLE students", W, kRefuse, kSafe},
    {"INSERT INTO students (name) VALUES ('a\\\\'); DROP TABLE students; -- ')", W, kRefuse, kSafe},
    {"SELECT 1; SELECT 2", R, kRefuse, kSafe},
    {"UPDATE students SET name = 'a' WHERE id = 1 /*! ; DROP TABLE students */", W, kRefuse, kSafe},
    {"INSERT INTO students (name) VALUES ('a') -- \n; DROP TABLE students", W, kRefuse, kSafe},
    {"INSERT INTO students (name) VALUES (\"it\\\"s\"); DELETE FROM mysql.user", W, kRefuse, kSafe},
    {"DELETE FROM students WHERE name = 'x' #'\n; DROP TABLE students", W, kRefuse, kSafe},

    // Issue 12: statements the server read differently from us, checked
    // against MariaDB 10.11 (tests/integration/sql_differential_test.cpp).
    // Version gates: MySQL-only and future bodies are discarded, quotes and all.
    {"/*!50700 SET @a = '*/ DROP TABLE t /*!50700 '*/", D, kRefuse, kSafe},
    {"/*!99999 SET @a = '*/ DROP TABLE t /*!99999 '*/", D, kRefuse, kSafe},
    {"/*!999999 SET @a = '*/ DROP TABLE t /*!999999 '*/", D, kRefuse, kSafe},
    {"/*!99999 a /* b */ SET @a = '*/ DROP TABLE t -- '", D, kRefuse, kSafe},
    {"/*!100000 INSERT INTO students (name) VALUES ('x') */", W, kRefuse, kSafe},
    {"/*M!100500 DELETE FROM students */", W, kRefuse, kSafe},
    {"/*M! DELETE FROM students */", W, kRefuse, kSafe},
    {"DELETE FROM students /*!50700 WHERE id = 1 */", W, kRefuse, kSafe},
    {"DELETE FROM students /*!50699 WHERE id = 1 */", W, kAllow, kSafe},
    {"/*!50700 DROP TABLE students */ DELETE FROM students", W, kRefuse, kSafe},
    // "--" before DEL or any control byte is a comment.
    {"SET @a = 1 --\x7f'\n, @@global.max_connections = 77 #'", G, kRefuse, kSafe},
    {"SET @a = 1 --\x01'\n, @@global.max_connections = 77 #'", G, kRefuse, kSafe},
    {"DELETE FROM students WHERE id = 1 --\x7f'\n OR 1 = 1 #'", W, kAllow, kSafe},
    // ODBC escapes: { ident table } writes the table, not the identifier.
    {"UPDATE { x mysql.global_priv } SET Priv = '{}'", W, kRefuse, kSafe},
    {"UPDATE {OJ `mysql` . `global_priv`} SET Priv = '{}'", W, kRefuse, kSafe},
    {"DELETE FROM { x mysql.global_priv } WHERE User = 'u'", W, kRefuse, kSafe},
    {"UPDATE students s, { oj mysql.db } SET s.name = 'a'", W, kRefuse, kSafe},
    {"UPDATE { x students } SET name = 'a'", W, kAllow, kSafe},
    // Variable names as the server resolves them.
    {"SET @@global /**/.max_connections = 77", G, kRefuse, kSafe},
    {"SET @@global .max_connections = 78", G, kRefuse, kSafe},
    {"SET @@global. max_connections = 78", G, kRefuse, kSafe},
    {"SET @@GLOBAL #x\n . `max_connections` = 78", G, kRefuse, kSafe},
    {"SET @@`global`.max_connections = 78", G, kRefuse, kSafe},
    {"SET `sql_mode` = 'ANSI_QUOTES'", S, kRefuse, kSafe},
    {"SET @@`sql_mode` = 'NO_BACKSLASH_ESCAPES'", S, kRefuse, kSafe},
    {"SET @@session /**/ . sql_mode = 'ANSI'", S, kRefuse, kSafe},
    {"SET `autocommit` = 1", T, kAllow, kSafe},
    {"SET @@session . autocommit = 0", T, kAllow, kSafe},
    {"INSERT INTO students (age) VALUES (@@global /**/ . server_id)", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (@@`server_id`)", W, kAllow, kUnsafe},
    {"INSERT INTO students (age) VALUES (@@session . auto_increment_increment)", W, kAllow, kSafe},
    // SET lists: NAMES, CHARACTER SET and PASSWORD are items like any other.
    {"SET NAMES latin1, @@global.max_connections = 77", G, kRefuse, kSafe},
    {"SET CHARACTER SET utf8mb4, GLOBAL max_connections = 78", G, kRefuse, kSafe},
    {"SET NAMES utf8mb4 COLLATE utf8mb4_bin, @@global.max_connections = 79", G, kRefuse, kSafe},
    {"SET @a = 1, NAMES sjis", S, kRefuse, kSafe},
    {"SET @a = 1, CHARSET big5", S, kRefuse, kSafe},
    {"SET @a = 1, PASSWORD = PASSWORD('x')", A, kRefuse, kSafe},
    {"SET @a = 1, PASSWORD FOR root@localhost = PASSWORD('x')", A, kRefuse, kSafe},
    {"SET @a = 1, ROLE NONE", A, kRefuse, kSafe},
    {"SET @a = 1, DEFAULT ROLE NONE FOR victim@localhost", A, kRefuse, kSafe},
    {"SET NAMES utf8mb4 COLLATE utf8mb4_bin, @a = 1", S, kRefuse, kSafe},
    // Bytes >= 0x80 outside strings and quoted names: latin1 reads 0xA0 as space.
    {"INSERT INTO\xA0mysql.user VALUES ()", W, kRefuse, kSafe},
    {"UPDATE\xA0mysql.global_priv SET Priv = '{}'", U, kRefuse, kSafe},  // one word in utf8
    {"SET @a = 1 --\xA0'\n, @@global.max_connections = 77 #'", S, kRefuse, kSafe},
    {"INSERT INTO caf\xC3\xA9 VALUES (1)", W, kRefuse, kSafe},
    {"INSERT INTO `caf\xC3\xA9` VALUES ('\xA0\xC3\xA9')", W, kAllow, kSafe},
    // A name after "." right after a name, even when it starts with a digit.
    {"UPDATE mysql.5abc SET a = 1", W, kRefuse, kSafe},
    // Wrappers: seen through up to kMaxStatementNesting.
    {"ANALYZE ANALYZE DELETE FROM students", W, kAllow, kSafe},
    {"SET STATEMENT max_statement_time = 1 FOR SET STATEMENT max_statement_time = 2 FOR DROP TABLE "
     "t",
     D, kRefuse, kSafe},

    // Nothing recognisable: refused.
    {"FOO BAR", U, kRefuse, kSafe},
    {"12345", U, kRefuse, kSafe},
    {"", E, kRefuse, kSafe},
    {"/* only a comment */", E, kRefuse, kSafe},
    {";", E, kRefuse, kSafe},
};

// Failures show the statement, not the struct's bytes.
void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.sql; }

class Corpus : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(Corpus, KindPolicyAndDeterminism) {
  const CorpusCase& tc = GetParam();
  const Classification c = Classify(tc.sql);
  EXPECT_EQ(KindName(c.kind), std::string(KindName(tc.kind))) << tc.sql;
  const PolicyDecision d = CheckSlavePolicy(c, "school", "repl_meta");
  EXPECT_EQ(d.allowed, tc.allowed) << tc.sql << "\n  reason: " << d.reason;
  if (!d.allowed) {
    EXPECT_FALSE(d.reason.empty()) << tc.sql;
  }
  FakeSchema schema;
  const std::vector<std::string> unsafe = FindNondeterminism(tc.sql, c, "school", &schema);
  EXPECT_EQ(!unsafe.empty(), tc.unsafe)
      << tc.sql << (unsafe.empty() ? "" : "\n  flagged: " + unsafe[0]);
}

INSTANTIATE_TEST_SUITE_P(Statements, Corpus, ::testing::ValuesIn(kCorpus));

TEST(CorpusSize, HoldsAtLeastTwoHundredStatements) {
  EXPECT_GE(std::size(kCorpus), 200u);
}

// The reasons are what an operator reads on the slave's console.
TEST(Policy, ReasonsNameTheProblem) {
  auto reason = [](const char* sql, std::string_view db = "school") {
    return CheckSlavePolicy(Classify(sql), db, "repl_meta").reason;
  };
  EXPECT_EQ(reason("DROP TABLE students"), "DDL is not replicated to slaves: DROP TABLE");
  EXPECT_EQ(reason("drop schema x"), "DDL is not replicated to slaves: DROP SCHEMA");
  EXPECT_EQ(reason("INSERT INTO mysql.user VALUES ()"),
            "writes to system schema mysql are refused");
  EXPECT_EQ(reason("INSERT INTO user VALUES ()", "mysql"),
            "writes to system schema mysql are refused");
  EXPECT_EQ(reason("PREPARE s FROM 'x'"), "dynamic SQL cannot be checked and is refused: PREPARE");
  EXPECT_EQ(reason("GRANT ALL ON *.* TO u"),
            "account and privilege statements are not replicated to slaves: GRANT");
  EXPECT_EQ(reason("SET GLOBAL x = 1"),
            "global server settings are not replicated to slaves: SET GLOBAL");
  EXPECT_EQ(reason("INSERT INTO t VALUES (1); DROP TABLE t"),
            "more than one statement in one text is refused");
  EXPECT_EQ(reason("SET sql_mode = 'ANSI_QUOTES'"),
            "sql_mode ANSI_QUOTES changes how statements are read and is refused");
}

TEST(Classifier, WritesAreResolvedWithSchemas) {
  Classification c = Classify("UPDATE school.students s JOIN `other`.`t` ON 1 SET s.a = 1");
  ASSERT_EQ(c.writes.size(), 2u);
  EXPECT_EQ(c.writes[0], (TableRef{"school", "students"}));
  EXPECT_EQ(c.writes[1], (TableRef{"other", "t"}));
  c = Classify("INSERT INTO `we``ird` VALUES (1)");
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], (TableRef{"", "we`ird"}));
}

TEST(Classifier, ImplicitCommits) {
  EXPECT_TRUE(Classify("CREATE TABLE t (i INT)").implicit_commit);
  EXPECT_FALSE(Classify("CREATE TEMPORARY TABLE t (i INT)").implicit_commit);
  EXPECT_TRUE(Classify("GRANT ALL ON *.* TO u").implicit_commit);
  EXPECT_TRUE(Classify("LOCK TABLES t WRITE").implicit_commit);
  EXPECT_TRUE(Classify("BEGIN").implicit_commit);
  EXPECT_TRUE(Classify("SET autocommit = 1").implicit_commit);
  EXPECT_FALSE(Classify("SET autocommit = 0").implicit_commit);
  EXPECT_FALSE(Classify("INSERT INTO t VALUES (1)").implicit_commit);
  EXPECT_FALSE(Classify("SAVEPOINT a").implicit_commit);
  EXPECT_TRUE(Classify("TRUNCATE t").implicit_commit);
  EXPECT_TRUE(Classify("ANALYZE TABLE t").implicit_commit);
}

TEST(Classifier, TransactionOps) {
  EXPECT_EQ(Classify("START TRANSACTION").transaction, TransactionOp::kBegin);
  EXPECT_EQ(Classify("commit").transaction, TransactionOp::kCommit);
  EXPECT_EQ(Classify("ROLLBACK").transaction, TransactionOp::kRollback);
  EXPECT_EQ(Classify("ROLLBACK WORK TO SAVEPOINT a").transaction,
            TransactionOp::kRollbackToSavepoint);
  EXPECT_EQ(Classify("SET autocommit = OFF").transaction, TransactionOp::kAutocommitOff);
  EXPECT_EQ(Classify("USE school").use_database, "school");
}

TEST(Determinism, ReasonsAreReadable) {
  FakeSchema schema;
  auto reasons = [&](const char* sql) {
    return FindNondeterminism(sql, Classify(sql), "school", &schema);
  };
  EXPECT_EQ(reasons("INSERT INTO t VALUES (UUID())"),
            std::vector<std::string>{"UUID() gives a different value on each server"});
  EXPECT_EQ(reasons("DELETE FROM t LIMIT 1"),
            std::vector<std::string>{
                "DELETE with LIMIT but no ORDER BY may change different rows on each server"});
  EXPECT_EQ(reasons("INSERT INTO t SELECT a FROM x LIMIT 1"),
            std::vector<std::string>{"INSERT ... SELECT with LIMIT but no ORDER BY may insert "
                                     "different rows on each server"});
  EXPECT_EQ(reasons("INSERT IGNORE INTO uk1 SELECT a FROM x"),
            std::vector<std::string>{"INSERT IGNORE ... SELECT without ORDER BY into a table with "
                                     "a unique key may keep different rows on each server"});
  EXPECT_EQ(reasons("REPLACE uk1 SELECT a FROM x"),
            std::vector<std::string>{"REPLACE ... SELECT without ORDER BY into a table with a "
                                     "unique key may keep different rows on each server"});
  EXPECT_EQ(reasons("INSERT uk1 SELECT a FROM x ON DUPLICATE KEY UPDATE a = 1"),
            std::vector<std::string>{"INSERT ... SELECT ... ON DUPLICATE KEY UPDATE without ORDER "
                                     "BY into a table with a unique key may keep different rows "
                                     "on each server"});
  EXPECT_EQ(reasons("INSERT INTO t VALUES (@@hostname)"),
            std::vector<std::string>{"@@hostname can differ between servers"});
  EXPECT_TRUE(FindNondeterminism("INSERT INTO students SELECT * FROM x",
                                 Classify("INSERT INTO students SELECT * FROM x"), "school",
                                 nullptr)
                  .empty());
}

// What a written table's catalog objects call, as FindNondeterminism sees it.
class CatalogDeterminism : public ::testing::Test {
 protected:
  CatalogDeterminism() {
    // school.t: u defaults to UUID(), n to a literal that looks like a call.
    schema_.definitions["school.t"].defaults = {
        {"id", "NULL"}, {"u", "uuid()"}, {"n", "'uuid()'"}, {"ts", "current_timestamp(6)"}};
    schema_.definitions["school.g"].generated = {{"v", "concat('x', sysdate(6))"}};
    schema_.definitions["school.tr"].triggers = {
        {"tr_bi", "INSERT", "SET NEW.u = UUID()", ""},
        {"tr_bu", "UPDATE", "SET NEW.n = @counter", ""},
        {"tr_bd", "DELETE", "INSERT INTO t (id) VALUES (OLD.id)", ""},
        {"tr_ansi", "INSERT", "SET NEW.w = \"CONNECTION_ID\"()", "ANSI_QUOTES"},
        {"tr_plain", "INSERT", "SET NEW.w = \"CONNECTION_ID\"", ""},
    };
    schema_.definitions["school.tc"].triggers = {
        {"tc_ad", "DELETE",
         "BEGIN\n  IF OLD.id > 0 THEN\n    INSERT INTO t (id) VALUES (OLD.id);\n  END IF;\n"
         "  lbl: LOOP UPDATE x SET a = INSERT('ab', 1, 1, 'c') LIMIT 1; LEAVE lbl; END LOOP;\nEND",
         ""}};
    schema_.definitions["school.v"].view_definition =
        "select `school`.`t`.`id` AS `id` from `school`.`t` where `school`.`t`.`id` <> "
        "connection_id()";
    schema_.definitions["school.loop"].view_definition = "select 1 from `school`.`loop`";
  }

  std::vector<std::string> Reasons(const std::string& sql) {
    return FindNondeterminism(sql, Classify(sql), "school", &schema_);
  }
  bool Unsafe(const std::string& sql) { return !Reasons(sql).empty(); }

  FakeSchema schema_;
};

TEST_F(CatalogDeterminism, DefaultCountsOnlyWhenTheWriteLeavesItsColumnOut) {
  EXPECT_EQ(Reasons("INSERT INTO t (id) VALUES (1)"),
            std::vector<std::string>{
                "default of school.t.u: UUID() gives a different value on each server"});
  EXPECT_TRUE(Unsafe("INSERT INTO t SET id = 1"));
  EXPECT_TRUE(Unsafe("INSERT INTO t () VALUES ()"));
  EXPECT_TRUE(Unsafe("INSERT INTO t VALUES ()"));
  EXPECT_TRUE(Unsafe("INSERT INTO t (id, u) VALUES (1, DEFAULT)"));
  EXPECT_TRUE(Unsafe("REPLACE INTO school.t (id) VALUES (1)"));
  EXPECT_TRUE(Unsafe("UPDATE t SET u = DEFAULT"));
  EXPECT_TRUE(
      Unsafe("INSERT INTO t (id, u) VALUES (1, 'x') ON DUPLICATE KEY UPDATE u = DEFAULT(u)"));
  EXPECT_FALSE(Unsafe("INSERT INTO t (id, `U`) VALUES (1, 'x')"));
  EXPECT_FALSE(Unsafe("INSERT INTO t (t.id, t.u) VALUES (1, 'x')"));
  EXPECT_FALSE(Unsafe("INSERT INTO t SET id = 1, u := 'x'"));
  EXPECT_FALSE(Unsafe("INSERT INTO t VALUES (1, 'x', 'n', NOW())"));
  EXPECT_FALSE(Unsafe("INSERT INTO t SELECT * FROM t2 ORDER BY id"));
  EXPECT_FALSE(Unsafe("UPDATE t SET id = 2"));
  EXPECT_FALSE(Unsafe("DELETE FROM t WHERE id = 1"));
  EXPECT_FALSE(Unsafe("INSERT INTO other.t (id) VALUES (1)"));
}

// Rows or a SELECT without a column list give every column but the
// INVISIBLE ones, which take their defaults.
TEST_F(CatalogDeterminism, InvisibleColumnTakesItsDefaultWithoutAColumnList) {
  schema_.definitions["school.inv"].defaults = {{"u", "uuid()", true}};
  const std::vector<std::string> invisible = {
      "default of school.inv.u: UUID() gives a different value on each server"};
  EXPECT_EQ(Reasons("INSERT INTO inv VALUES (1)"), invisible);
  EXPECT_EQ(Reasons("INSERT INTO inv SELECT 1"), invisible);
  EXPECT_EQ(Reasons("REPLACE inv VALUE (1)"), invisible);
  EXPECT_EQ(Reasons("INSERT INTO inv (id) VALUES (1)"), invisible);
  EXPECT_FALSE(Unsafe("INSERT INTO inv (id, u) VALUES (1, 'x')"));
  EXPECT_FALSE(Unsafe("INSERT INTO inv SET id = 1, u = 'x'"));
  EXPECT_FALSE(Unsafe("UPDATE inv SET id = 2"));
}

TEST_F(CatalogDeterminism, GeneratedColumnCountsForEveryWrite) {
  const std::vector<std::string> generated = {
      "generated column school.g.v: SYSDATE() gives a different value on each server"};
  EXPECT_EQ(Reasons("INSERT INTO g (id) VALUES (1)"), generated);
  EXPECT_EQ(Reasons("UPDATE g SET copy = v"), generated);
  EXPECT_EQ(Reasons("DELETE FROM g WHERE v > ''"), generated);
}

TEST_F(CatalogDeterminism, TriggersThatFireAreReadUnderTheirSqlMode) {
  EXPECT_EQ(Reasons("INSERT INTO tr (id) VALUES (1)"),
            (std::vector<std::string>{
                "trigger school.tr_bi: UUID() gives a different value on each server",
                "trigger school.tr_ansi: CONNECTION_ID() gives a different value on each "
                "server"}));
  EXPECT_EQ(Reasons("UPDATE tr SET id = 2"),
            std::vector<std::string>{
                "trigger school.tr_bu: @counter has the value of each server's own session"});
  // Its body writes school.t and leaves u to its default.
  EXPECT_EQ(Reasons("DELETE FROM tr"),
            std::vector<std::string>{"trigger school.tr_bd: default of school.t.u: UUID() gives a "
                                     "different value on each server"});
  EXPECT_EQ(Reasons("REPLACE INTO tr (id) VALUES (1)").size(), 3u);
  EXPECT_EQ(Reasons("INSERT INTO tr (id) VALUES (1) ON DUPLICATE KEY UPDATE id = 2").size(), 3u);
}

TEST_F(CatalogDeterminism, CompoundTriggerBodiesAreFollowedIntoTheTablesTheyWrite) {
  EXPECT_EQ(Reasons("DELETE FROM tc"),
            (std::vector<std::string>{
                "trigger school.tc_ad: default of school.t.u: UUID() gives a different value on "
                "each server",
                "trigger school.tc_ad: UPDATE with LIMIT but no ORDER BY may change different "
                "rows on each server"}));
  EXPECT_FALSE(Unsafe("INSERT INTO tc (id) VALUES (1)"));  // the trigger fires on DELETE only
}

TEST_F(CatalogDeterminism, ViewDefinitionAndTheTablesBehindIt) {
  EXPECT_EQ(
      Reasons("INSERT INTO v (id) VALUES (1)"),
      (std::vector<std::string>{
          "view school.v: CONNECTION_ID() gives a different value on each server",
          "view school.v: default of school.t.u: UUID() gives a different value on each server"}));
  EXPECT_EQ(Reasons("UPDATE v SET id = 2"),
            std::vector<std::string>{
                "view school.v: CONNECTION_ID() gives a different value on each server"});
  EXPECT_FALSE(Unsafe("INSERT INTO loop VALUES (1)"));  // a view of itself ends at the depth limit
  // Read, not written: the rows it gives differ.
  const std::vector<std::string> read = {
      "view school.v: CONNECTION_ID() gives a different value on each server"};
  EXPECT_EQ(Reasons("INSERT INTO t2 SELECT id FROM v"), read);
  EXPECT_EQ(Reasons("UPDATE t2 SET a = 1 WHERE id IN (SELECT id FROM school.v)"), read);
  EXPECT_EQ(Reasons("DELETE t2 FROM t2 JOIN v ON v.id = t2.id"), read);
  EXPECT_EQ(Reasons("INSERT INTO t2 SELECT 1 FROM loop"), std::vector<std::string>{});
}

// An account without TRIGGER sees a trigger's name but not its body, and
// one without SHOW VIEW an empty view definition: unknown, so flagged.
TEST_F(CatalogDeterminism, TriggersAndViewsTheAccountCannotReadAreFlaggedAsUnknown) {
  schema_.definitions["school.ht"].triggers = {{"ht_bi", "INSERT", "", "", /*hidden=*/true}};
  schema_.definitions["school.hv"].view_definition = "";
  const std::string trigger =
      "trigger school.ht_bi: its body cannot be read (the master's account lacks the TRIGGER "
      "privilege), so what it runs is unknown";
  const std::string view =
      "view school.hv: its definition cannot be read (the master's account lacks SHOW VIEW), so "
      "what it runs is unknown";
  EXPECT_EQ(Reasons("INSERT INTO ht (id) VALUES (1)"), std::vector<std::string>{trigger});
  EXPECT_FALSE(Unsafe("DELETE FROM ht"));  // the trigger fires on INSERT only
  EXPECT_EQ(Reasons("UPDATE hv SET id = 2"), std::vector<std::string>{view});
  EXPECT_EQ(Reasons("INSERT INTO t2 SELECT id FROM hv"), std::vector<std::string>{view});
}

TEST_F(CatalogDeterminism, WithoutACatalogOnlyTheTextIsJudged) {
  const std::string sql = "INSERT INTO t (id) VALUES (1)";
  EXPECT_TRUE(FindNondeterminism(sql, Classify(sql), "school", nullptr).empty());
}

// The cached catalog is dropped after anything that may have run DDL,
// whatever its answer.
TEST(Determinism, CatalogIsDroppedAfterWhatMayRunDdl) {
  const std::pair<const char*, bool> cases[] = {
      {"CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.u = UUID()", true},
      {"ALTER TABLE t ADD COLUMN u CHAR(36) DEFAULT (UUID())", true},
      {"DROP VIEW v", true},
      {"EXECUTE IMMEDIATE 'CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.u = 1'",
       true},
      {"PREPARE s FROM 'ALTER TABLE t ADD COLUMN b INT'", true},
      {"EXECUTE s", true},
      {"CALL add_column()", true},
      {"BEGIN NOT ATOMIC ALTER TABLE t ADD COLUMN b INT; END", true},
      {"FROBNICATE t", true},
      {"INSERT INTO t VALUES (1)", false},
      {"SELECT * FROM t", false},
      {"SET @a = 1", false},
      {"COMMIT", false},
  };
  for (const auto& [sql, changes] : cases) {
    EXPECT_EQ(MayChangeCatalog(Classify(sql).kind), changes) << sql;
  }
}

TEST(Classifier, InsertedColumns) {
  Classification c = Classify("INSERT INTO t (a, `B`, t.c) VALUES (1, 2, 3)");
  EXPECT_EQ(c.inserted_columns, (std::vector<std::string>{"a", "B", "c"}));
  EXPECT_FALSE(c.all_columns_named);
  c = Classify("INSERT t SET a = (SELECT 1), b := 2 ON DUPLICATE KEY UPDATE c = 3");
  EXPECT_EQ(c.inserted_columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(Classify("INSERT INTO t VALUES (1)").all_columns_named);
  EXPECT_TRUE(Classify("INSERT INTO t (SELECT 1)").all_columns_named);
  EXPECT_TRUE(Classify("REPLACE t PARTITION (p0) SELECT * FROM u").all_columns_named);
  c = Classify("INSERT INTO t () VALUES ()");
  EXPECT_TRUE(c.inserted_columns.empty());
  EXPECT_FALSE(c.all_columns_named);
}

}  // namespace
}  // namespace sqlrepl::sql
