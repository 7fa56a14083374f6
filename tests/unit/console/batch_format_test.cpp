// The master's -B output and \W lines, in the mysql client's formats.
#include <gtest/gtest.h>

#include "console/line_source.hpp"
#include "console/table_formatter.hpp"

namespace sqlrepl::console {
namespace {

db::QueryResult TwoColumns() {
  db::QueryResult r;
  r.has_result_set = true;
  r.columns = {{"id", true}, {"name", false}};
  r.rows = {{std::string("1"), std::string("a\tb")}, {std::string("2"), std::nullopt}};
  return r;
}

TEST(BatchFormat, RowsAreTabSeparatedWithColumnNamesFirst) {
  EXPECT_EQ(FormatTabSeparated(TwoColumns(), true), "id\tname\n1\ta\\tb\n2\tNULL\n");
}

TEST(BatchFormat, SkipColumnNamesLeavesOnlyRows) {
  EXPECT_EQ(FormatTabSeparated(TwoColumns(), false), "1\ta\\tb\n2\tNULL\n");
}

TEST(BatchFormat, TabNewlineBackslashAndNulAreEscapedAsTheMysqlClientDoes) {
  EXPECT_EQ(EscapeBatchField(std::string("a\tb\nc\\d\0e", 9)), "a\\tb\\nc\\\\d\\0e");
  EXPECT_EQ(EscapeBatchField("plain"), "plain");
}

TEST(BatchFormat, WarningsPrintOneLineEach) {
  EXPECT_EQ(FormatWarnings({{"Warning", 1265, "Data truncated for column 'name' at row 1"},
                            {"Note", 1050, "Table 't' already exists"}}),
            "Warning (Code 1265): Data truncated for column 'name' at row 1\n"
            "Note (Code 1050): Table 't' already exists\n");
}

TEST(History, LinesWithPasswordsStayOut) {
  EXPECT_TRUE(TerminalLineSource::KeepOutOfHistory("CREATE USER u IDENTIFIED BY 'x'"));
  EXPECT_TRUE(TerminalLineSource::KeepOutOfHistory("set password for u = password('x')"));
  EXPECT_TRUE(TerminalLineSource::KeepOutOfHistory("ALTER USER u identified via ed25519"));
  EXPECT_FALSE(TerminalLineSource::KeepOutOfHistory("SELECT * FROM students"));
}

}  // namespace
}  // namespace sqlrepl::console
