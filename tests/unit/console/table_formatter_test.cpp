#include "console/table_formatter.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::console {
namespace {

db::QueryResult Students() {
  db::QueryResult r;
  r.has_result_set = true;
  r.columns = {{"id", true}, {"name", false}, {"age", true}};
  r.rows = {{"1", "Ali", "22"}, {"12", "", std::nullopt}};
  return r;
}

TEST(TableFormatter, BorderedTableRightAlignsNumbersAndShowsNull) {
  EXPECT_EQ(FormatTable(Students()),
            "+----+------+------+\n"
            "| id | name | age  |\n"
            "+----+------+------+\n"
            "|  1 | Ali  |   22 |\n"
            "| 12 |      | NULL |\n"
            "+----+------+------+\n");
}

TEST(TableFormatter, WidthsFollowDisplayWidthOfUtf8) {
  db::QueryResult r;
  r.has_result_set = true;
  r.columns = {{"name", false}};
  r.rows = {{"Zoë"}, {"名前"}};
  EXPECT_EQ(FormatTable(r),
            "+------+\n"
            "| name |\n"
            "+------+\n"
            "| Zoë  |\n"
            "| 名前 |\n"
            "+------+\n");
}

TEST(TableFormatter, DisplayWidth) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("Zoë"), 3u);
  EXPECT_EQ(DisplayWidth("e\xCC\x81"), 1u);  // e + combining acute
  EXPECT_EQ(DisplayWidth("日本"), 4u);
  EXPECT_EQ(DisplayWidth("\xFF\xFE"), 2u);  // invalid bytes count one each
  EXPECT_EQ(DisplayWidth("\xE6\x97"), 2u);  // truncated sequence
}

TEST(TableFormatter, Vertical) {
  EXPECT_EQ(FormatVertical(Students()),
            "*************************** 1. row ***************************\n"
            "  id: 1\n"
            "name: Ali\n"
            " age: 22\n"
            "*************************** 2. row ***************************\n"
            "  id: 12\n"
            "name: \n"
            " age: NULL\n");
}

TEST(TableFormatter, Summaries) {
  db::QueryResult r = Students();
  EXPECT_EQ(FormatSummary(r, 0.001), "2 rows in set (0.001 sec)");
  r.rows.resize(1);
  EXPECT_EQ(FormatSummary(r, 0.0), "1 row in set (0.000 sec)");
  r.rows.clear();
  EXPECT_EQ(FormatSummary(r, 0.0), "Empty set (0.000 sec)");
  r.warning_count = 2;
  EXPECT_EQ(FormatSummary(r, 0.0), "Empty set, 2 warnings (0.000 sec)");

  db::QueryResult ok;
  ok.affected_rows = 1;
  EXPECT_EQ(FormatSummary(ok, 0.016), "Query OK, 1 row affected (0.016 sec)");
  ok.affected_rows = 0;
  ok.warning_count = 1;
  EXPECT_EQ(FormatSummary(ok, 0.0), "Query OK, 0 rows affected, 1 warning (0.000 sec)");
  ok.affected_rows = 3;
  ok.warning_count = 0;
  ok.info = "Records: 3  Duplicates: 0  Warnings: 0";
  EXPECT_EQ(FormatSummary(ok, 0.0),
            "Query OK, 3 rows affected (0.000 sec)\nRecords: 3  Duplicates: 0  Warnings: 0");
}

TEST(TableFormatter, ElapsedOverAMinute) { EXPECT_EQ(FormatElapsed(62.5), "(1 min 2.500 sec)"); }

// Issue 19: the mariadb client prints milliseconds; two decimals showed
// most statements as taking no time at all.
TEST(TableFormatter, ElapsedShowsMillisecondsAsTheMariadbClientDoes) {
  EXPECT_EQ(FormatElapsed(0.0014), "(0.001 sec)");
  EXPECT_EQ(FormatElapsed(0.0), "(0.000 sec)");
  EXPECT_EQ(FormatElapsed(12.3456), "(12.346 sec)");
  EXPECT_EQ(FormatElapsed(61.25), "(1 min 1.250 sec)");
}

}  // namespace
}  // namespace sqlrepl::console
