// The character-set rule of sql/charsets.hpp against a real server: for
// every character set the server knows, the server itself says whether a
// quote or backslash byte can be part of a wider character, whether the
// bytes below 0x80 are ASCII, and whether a connection can read statements
// in it at all; our verdict must agree. Every collation's character set is
// the one our rule reads from its name.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "mariadb_server.hpp"
#include "sql/charsets.hpp"

namespace sqlrepl::testing {
namespace {

struct CharsetRuleServer {
  static constexpr const char* kNames[] = {"charsets"};
};

class CharsetRuleTest : public ServersTest<CharsetRuleServer> {
 protected:
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  long Count(const std::string& sql) {
    const std::optional<std::string> v = server_->QueryValue(sql);
    EXPECT_TRUE(v.has_value()) << sql;
    return v ? std::stol(*v) : -1;
  }

  // What the server does with text in `charset`: kUnsafe when a lead byte
  // >= 0x80 joins a quote, backslash or backtick into one character, when a
  // byte below 0x80 is not its ASCII character, or when no connection may
  // use it for statements.
  sql::CharsetReading ServerVerdict(const std::string& charset) {
    const long hiding = Count(fmt::format(
        "WITH RECURSIVE b(n) AS (SELECT 128 UNION ALL SELECT n + 1 FROM b WHERE n < 255) "
        "SELECT COUNT(*) FROM b, (SELECT '5C' t UNION SELECT '27' UNION SELECT '22' UNION SELECT "
        "'60') tr "
        "WHERE CHAR_LENGTH(CONVERT(UNHEX(CONCAT(HEX(n), t)) USING {})) = 1",
        charset));
    const long not_ascii = Count(
        fmt::format("WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM b WHERE n < 127) "
                    "SELECT COUNT(*) FROM b WHERE HEX(CONVERT(CONVERT(UNHEX(LPAD(HEX(n), 2, '0')) "
                    "USING {}) USING "
                    "utf8mb4)) <> LPAD(HEX(n), 2, '0')",
                    charset));
    Result<db::Connection> c = server_->Connect();
    EXPECT_TRUE(c.ok());
    const bool client_may_use = c.ok() && c->Run("SET NAMES " + charset).ok();
    return hiding == 0 && not_ascii == 0 && client_may_use ? sql::CharsetReading::kSafe
                                                           : sql::CharsetReading::kUnsafe;
  }
};

TEST_F(CharsetRuleTest, VerdictForEveryCharacterSetAgreesWithTheServer) {
  Result<db::Connection> c = server_->Connect();
  ASSERT_TRUE(c.ok());
  Result<db::QueryResult> r =
      c->Execute("SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->rows.size(), 30u);
  int safe = 0;
  for (const db::Row& row : r->rows) {
    const std::string charset = row[0].value_or("");
    const sql::CharsetReading ours = sql::JudgeCharset(charset);
    ASSERT_NE(ours, sql::CharsetReading::kUnknown)
        << charset << " is missing from sql/charsets.cpp";
    EXPECT_EQ(ours, ServerVerdict(charset)) << charset;
    safe += ours == sql::CharsetReading::kSafe ? 1 : 0;
  }
  EXPECT_GT(safe, 25);  // latin2, cp1251, ... are all read safely
}

TEST_F(CharsetRuleTest, CollationNamesStartWithTheirCharacterSet) {
  Result<db::Connection> c = server_->Connect();
  ASSERT_TRUE(c.ok());
  Result<db::QueryResult> r = c->Execute(
      "SELECT FULL_COLLATION_NAME, CHARACTER_SET_NAME FROM "
      "information_schema.COLLATION_CHARACTER_SET_APPLICABILITY");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->rows.size(), 300u);
  for (const db::Row& row : r->rows) {
    EXPECT_EQ(sql::CharsetOfCollation(row[0].value_or("")), row[1].value_or(""))
        << row[0].value_or("");
  }
}

}  // namespace
}  // namespace sqlrepl::testing
