// What the slave runs to load a snapshot: the master's CREATE TABLE only
// when it is one plain CREATE TABLE of the announced table, and INSERTs in
// which every value is a hex literal, cut to a size.
#include "provision/load_sql.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace sqlrepl::provision {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kStudents =
    "CREATE TABLE `students` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `name` varchar(100) "
    "NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT "
    "CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";

TEST(CheckCreateTable, Table) {
  struct Row {
    std::string sql;
    std::string table;
    std::string why;  // empty: accepted
  };
  const std::vector<Row> rows = {
      {kStudents, "students", ""},
      {"CREATE TABLE `t` (`a` int) ENGINE=InnoDB /*!50100 PARTITION BY HASH (`a`) PARTITIONS 2 */",
       "t", ""},
      {"create table t (a int)", "t", ""},
      {kStudents, "teachers", "creates another table"},
      {"CREATE TABLE `mysql`.`students` (`id` int)", "mysql", "creates another table"},
      {"DROP TABLE `students`", "students", "not a CREATE TABLE"},
      {"CREATE TABLE `t` (`a` int); GRANT ALL ON *.* TO x", "t", "more than one statement"},
      {"CREATE TABLE `t` LIKE `mysql`.`user`", "t", "copies another table"},
      {"CREATE TABLE `t` (LIKE `mysql`.`user`)", "t", "copies another table"},
      {"create table t ( like other.x )", "t", "copies another table"},
      {"CREATE TABLE `t` (`a` varchar(9), CHECK (`a` LIKE 'x%')) ENGINE=InnoDB", "t", ""},
      {"CREATE TABLE `t` ENGINE=InnoDB SELECT * FROM mysql.user", "t", "copies another table"},
      {"CREATE TABLE `t` (`a` int) ENGINE=InnoDB DATA DIRECTORY='/etc'", "t", "places files"},
      {"CREATE TABLE `t` (`a` int) ENGINE=MyISAM", "t", "not InnoDB"},
      {"CREATE TABLE `t` (`a` int) ENGINE=CONNECT TABLE_TYPE=MYSQL", "t", "not InnoDB"},
      {"CREATE TABLE `t` (`a` varchar(9) DEFAULT 'x; SELECT') ENGINE=InnoDB", "t", ""},
  };
  for (const Row& r : rows) {
    const Status s = CheckCreateTable(r.sql, r.table);
    if (r.why.empty()) {
      EXPECT_TRUE(s.ok()) << r.sql << ": " << s.message();
    } else {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << r.sql;
      EXPECT_THAT(s.message(), HasSubstr(r.why)) << r.sql;
    }
  }
}

TEST(BinaryLiteral, EveryByteIsHex) {
  EXPECT_EQ(BinaryLiteral(""), "_binary X''");
  EXPECT_EQ(BinaryLiteral(std::string("a'\0\\", 4)), "_binary X'6127005C'");
}

TEST(BuildInserts, ValuesAndNullsInColumnOrder) {
  Result<std::vector<std::string>> sql =
      BuildInserts("t", {"id", "name"},
                   {{protocol::SnapshotValue("1"), protocol::SnapshotValue()},
                    {protocol::SnapshotValue("2"), protocol::SnapshotValue("b")}},
                   1 << 20);
  ASSERT_TRUE(sql.ok());
  EXPECT_THAT(*sql, ElementsAre("INSERT INTO `t` (`id`, `name`) VALUES (_binary X'31', NULL), "
                                "(_binary X'32', _binary X'62')"));
}

TEST(BuildInserts, CutToTheSizeAndALongRowAlone) {
  std::vector<protocol::SnapshotRow> rows;
  for (int i = 0; i < 10; ++i) rows.push_back({protocol::SnapshotValue("x")});
  rows.push_back({protocol::SnapshotValue(std::string(500, 'y'))});
  Result<std::vector<std::string>> sql = BuildInserts("t", {"c"}, rows, 100);
  ASSERT_TRUE(sql.ok());
  size_t tuples = 0;
  for (const std::string& s : *sql) {
    if (s.size() <= 100) {
      tuples += static_cast<size_t>(std::count(s.begin(), s.end(), '(')) - 1;
    } else {
      EXPECT_THAT(s, HasSubstr("7979"));
      EXPECT_EQ(std::count(s.begin(), s.end(), '('), 2) << "a long row goes alone";
      ++tuples;
    }
  }
  EXPECT_EQ(tuples, rows.size());
  EXPECT_GT(sql->size(), 2u);
}

TEST(BuildInserts, ARowWithTheWrongNumberOfValuesIsCorruption) {
  Result<std::vector<std::string>> sql =
      BuildInserts("t", {"a", "b"}, {{protocol::SnapshotValue("1")}}, 1024);
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(sql.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace sqlrepl::provision
