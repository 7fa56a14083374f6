#include "http/http_rules.hpp"

#include <gtest/gtest.h>

#include "http/json_views.hpp"
#include "http/metrics_text.hpp"

namespace sqlrepl::http {
namespace {

TEST(CheckListenTest, PlainTextOnlyOnLoopbackUnlessAllowed) {
  struct Row {
    const char* host;
    bool tls;
    bool allow;
    bool ok;
  };
  const Row rows[] = {
      {"127.0.0.1", false, false, true}, {"::1", false, false, true},
      {"0.0.0.0", false, false, false},  {"10.1.2.3", false, false, false},
      {"localhost", false, false, false},  // a name may resolve to anything
      {"0.0.0.0", true, false, true},    {"0.0.0.0", false, true, true},
  };
  for (const Row& r : rows) {
    const Status s = CheckListen(r.host, r.tls, r.allow);
    EXPECT_EQ(s.ok(), r.ok) << r.host << " tls=" << r.tls << " allow=" << r.allow;
    if (!s.ok()) {
      EXPECT_NE(s.message().find("HTTP_ALLOW_PLAINTEXT=1"), std::string::npos);
    }
  }
}

TEST(TokenMatchesTest, OnlyTheExactBearerToken) {
  const std::string token = "0123456789abcdef";
  EXPECT_TRUE(TokenMatches("Bearer 0123456789abcdef", token));
  EXPECT_FALSE(TokenMatches("", token));
  EXPECT_FALSE(TokenMatches("Bearer", token));
  EXPECT_FALSE(TokenMatches("Bearer 0123456789abcdeF", token));
  EXPECT_FALSE(TokenMatches("Bearer 0123456789abcde", token));
  EXPECT_FALSE(TokenMatches("Bearer 0123456789abcdef0", token));
  EXPECT_FALSE(TokenMatches("bearer 0123456789abcdef", token));
  EXPECT_FALSE(TokenMatches("Basic 0123456789abcdef", token));
  EXPECT_FALSE(TokenMatches("Bearer ", ""));  // no token configured: nothing matches
}

TEST(ParseSqlRequestTest, ReasonsForEveryBadBody) {
  struct Row {
    const char* body;
    const char* error;  // empty: accepted
  };
  const Row rows[] = {
      {R"({"sql": "SELECT 1"})", ""},
      {R"({"sql": ["SELECT 1", "SELECT 2"], "force": true})", ""},
      {R"({"sql": "SELECT 1")", "not valid JSON"},
      {"", "not valid JSON"},
      {R"(["SELECT 1"])", "must be a JSON object"},
      {R"({"query": "SELECT 1"})", "missing field \"sql\""},
      {R"({"sql": 1})", "\"sql\" must be a string"},
      {R"({"sql": []})", "\"sql\" must be a string"},
      {R"({"sql": ["SELECT 1", 2]})", "\"sql\" must be a string"},
      {R"({"sql": "SELECT 1", "force": "yes"})", "\"force\" must be true or false"},
      {R"({"sql": "SELECT 1;\nDELIMITER \nSELECT 2"})", "DELIMITER must be followed"},
  };
  for (const Row& r : rows) {
    Result<SqlRequest> parsed = ParseSqlRequest(r.body);
    if (*r.error == '\0') {
      EXPECT_TRUE(parsed.ok()) << r.body << ": " << parsed.status().message();
    } else {
      ASSERT_FALSE(parsed.ok()) << r.body;
      EXPECT_NE(parsed.status().message().find(r.error), std::string::npos)
          << r.body << ": " << parsed.status().message();
    }
  }
  Result<SqlRequest> list = ParseSqlRequest(R"({"sql": ["SELECT 1", "SELECT 2"], "force": true})");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->statements, (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  EXPECT_TRUE(list->force);
  // Split as the prompt splits a script: one statement each, blanks left out.
  Result<SqlRequest> script = ParseSqlRequest(
      R"({"sql": ["SELECT 1; SELECT ';'", "-- nothing", "DELIMITER //\nDO 1 //"]})");
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_EQ(script->statements, (std::vector<std::string>{"SELECT 1", "SELECT ';'", "DO 1"}));
}

TEST(ParseCountTest, WholeNumbersOnly) {
  EXPECT_EQ(*ParseCount("after", std::nullopt, 7), 7u);
  EXPECT_EQ(*ParseCount("after", "42", 0), 42u);
  EXPECT_FALSE(ParseCount("after", "", 0).ok());
  EXPECT_FALSE(ParseCount("after", "-1", 0).ok());
  EXPECT_FALSE(ParseCount("after", "4x", 0).ok());
  EXPECT_FALSE(ParseCount("after", "99999999999999999999999", 0).ok());
}

TEST(ResultJsonTest, NullIsNullAndBinaryIsBase64) {
  db::QueryResult r;
  r.has_result_set = true;
  r.columns = {{"id", true, db::ValueKind::kInteger},
               {"name", false, db::ValueKind::kString, "utf8mb4"},
               {"blob", false, db::ValueKind::kString, "binary"}};
  r.rows = {{"1", std::nullopt, std::string("\x00\xff", 2)}};
  const nlohmann::json j = ResultJson(r);
  EXPECT_EQ(j["columns"][0]["type"], "integer");
  EXPECT_EQ(j["columns"][2]["type"], "binary");
  EXPECT_EQ(j["rows"][0][0], "1");
  EXPECT_TRUE(j["rows"][0][1].is_null());
  EXPECT_EQ(j["rows"][0][2], "AP8=");
  EXPECT_EQ(Base64("abc"), "YWJj");
  EXPECT_EQ(Base64(""), "");
}

TEST(MetricsTextTest, HistogramBucketsAreCumulativeAndLabelsEscaped) {
  Histogram h;
  h.Observe({{"slave", "a\"b"}}, 0.003);
  h.Observe({{"slave", "a\"b"}}, 100);
  const std::string text = h.Samples("x_seconds");
  EXPECT_NE(text.find("x_seconds_bucket{slave=\"a\\\"b\",le=\"0.0025\"} 0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("x_seconds_bucket{slave=\"a\\\"b\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{slave=\"a\\\"b\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_count{slave=\"a\\\"b\"} 2\n"), std::string::npos);
}

// What a request could leave behind in the session the master's API shares
// with the prompt: refused, naming it; what is undone or leaves nothing
// runs. Found by review: EXECUTE IMMEDIATE, compound statements, HANDLER
// and FLUSH TABLES WITH READ LOCK passed a deny-list.
TEST(SessionChangeRefusalTest, OnlyWhatLeavesTheSessionAsItWasRuns) {
  struct Row {
    const char* sql;
    const char* names;  // in the refusal; empty: it runs
  };
  const Row rows[] = {
      {"SET @a = 1", "user variable (@a)"},
      {"SET sql_mode = ''", "SET"},
      {"SET NAMES latin1", "SET NAMES"},
      {"SET SESSION time_zone = '+01:00'", "SET"},
      {"SET autocommit = 0", "SET autocommit"},
      {"SET autocommit = 1", "SET autocommit"},
      {"SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET"},
      {"SET ROLE r", "SET ROLE"},
      {"LOCK TABLES students WRITE", "LOCK TABLES"},
      {"UNLOCK TABLES", "UNLOCK TABLES"},
      {"FLUSH TABLES WITH READ LOCK", "FLUSH"},
      {"BACKUP STAGE START", "BACKUP"},
      {"HANDLER notes OPEN", "HANDLER"},
      {"CREATE TEMPORARY TABLE t (id INT)", "temporary table"},
      {"DROP TEMPORARY TABLE t", "temporary table"},
      {"PREPARE s FROM 'SELECT 1'", "PREPARE"},
      {"DEALLOCATE PREPARE s", "DEALLOCATE"},
      {"EXECUTE IMMEDIATE 'SET SESSION div_precision_increment = 9'", "EXECUTE IMMEDIATE"},
      {"BEGIN NOT ATOMIC SET SESSION div_precision_increment = 8; END", "BEGIN NOT ATOMIC"},
      {"CALL p()", "CALL"},
      {"SELECT 1 INTO @x", "@x"},
      {"SELECT @x := 5", "@x"},
      {"INSERT INTO t VALUES (@x)", "@x"},
      {"SELECT GET_LOCK('job', 0)", "GET_LOCK"},
      {"USE other", ""},
      {"BEGIN", ""},
      {"SAVEPOINT a", ""},
      {"COMMIT", ""},
      {"INSERT INTO t VALUES (1)", ""},
      {"SELECT * FROM t", ""},
      {"SHOW TABLES", ""},
      {"CREATE TABLE t (id INT)", ""},
      {"CREATE USER 'bob'@'localhost' IDENTIFIED BY 'x'", ""},
      {"GRANT SELECT ON school.* TO bob@localhost", ""},
      {"SET GLOBAL max_connections = 100", ""},
      {"SELECT '@x', `@y` FROM t", ""},
  };
  for (const Row& r : rows) {
    const std::string why = SessionChangeRefusal(sql::Classify(r.sql));
    if (*r.names == '\0') {
      EXPECT_EQ(why, "") << r.sql;
    } else {
      EXPECT_NE(why.find(r.names), std::string::npos) << r.sql << ": " << why;
      EXPECT_NE(why.find("not run over the API"), std::string::npos) << r.sql << ": " << why;
    }
  }
}

}  // namespace
}  // namespace sqlrepl::http
