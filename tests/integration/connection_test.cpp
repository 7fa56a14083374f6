// db::Connection on a real server over its Unix socket, whose buffers
// (about 208 KB each way) are the smallest a session meets: a pipelined
// batch far larger than they are is answered whole and in order.
#include "db/connection.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <optional>

#include "http/json_views.hpp"
#include "mariadb_server.hpp"

namespace sqlrepl::testing {
namespace {

struct ConnectionTestServer {
  static constexpr const char* kNames[] = {"connection"};
};

class ConnectionTest : public ServersTest<ConnectionTestServer> {
 protected:
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    db::ConnectOptions options = server_->Options();
    ASSERT_FALSE(options.socket.empty());
    // A pipeline that hangs fails the test rather than blocking it for good.
    options.read_timeout_s = 30;
    options.write_timeout_s = 30;
    Result<db::Connection> c = db::Connection::Open(options);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_.emplace(std::move(c).value());
  }

  std::optional<db::Connection> conn_;
};

TEST_F(ConnectionTest, ThirtyThousandSmallStatementsAreAnsweredInOrder) {
  std::vector<std::string> batch;
  for (int i = 0; i < 30000; ++i) {
    batch.push_back(i % 2 == 0 ? fmt::format("SELECT {}", i) : "DO 1");
  }
  const uint64_t before = conn_->round_trips();
  std::vector<Result<db::QueryResult>> results = conn_->ExecutePipelined(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (size_t i = 0; i < results.size(); i += 2) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    ASSERT_EQ(results[i]->rows.at(0).at(0), std::to_string(i));
    ASSERT_TRUE(results[i + 1].ok()) << i + 1 << ": " << results[i + 1].status().ToString();
  }
  EXPECT_GT(conn_->round_trips() - before, 1u) << "the batch went in one piece";
}

// Both directions at once: statements and answers of 100 KB each, and a
// failure in the middle that keeps its place.
TEST_F(ConnectionTest, LargeStatementsWithLargeAnswersAndAFailureKeepTheirPlaces) {
  std::vector<std::string> batch;
  for (int i = 0; i < 40; ++i) {
    batch.push_back(i == 17 ? "SELECT no_such_column"
                            : fmt::format("SELECT LENGTH('{}'), REPEAT('{}', 100000)",
                                          std::string(100000, 'x'), char('a' + i % 26)));
  }
  std::vector<Result<db::QueryResult>> results = conn_->ExecutePipelined(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (i == 17) {
      EXPECT_EQ(results[i].status().sql_errno(), 1054u) << results[i].status().ToString();
      continue;
    }
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    EXPECT_EQ(results[i]->rows.at(0).at(0), "100000");
    EXPECT_EQ(results[i]->rows.at(0).at(1), std::string(100000, char('a' + i % 26))) << i;
  }
}

// The server marks temporal columns with the binary character set (63), as
// it does blobs: a date must still reach the API as its text, and only
// byte strings as base64 (found by review: dates came out as base64).
TEST_F(ConnectionTest, TemporalColumnsAreTextAndOnlyByteStringsAreBinary) {
  Result<db::QueryResult> r = conn_->Execute(
      "SELECT DATE'2024-01-02' AS d, TIMESTAMP'2024-01-02 03:04:05' AS ts, TIME'10:11:12' AS t, "
      "CAST('2024-01-02 03:04:05' AS DATETIME) AS dt, X'00FF' AS bytes, 'abc' AS text, "
      "CAST('x' AS BINARY(2)) AS padded");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const nlohmann::json j = http::ResultJson(*r);
  EXPECT_EQ(j["rows"][0], nlohmann::json({"2024-01-02", "2024-01-02 03:04:05", "10:11:12",
                                          "2024-01-02 03:04:05", "AP8=", "abc", "eAA="}))
      << j.dump();
  for (int i : {0, 1, 2, 3, 5}) EXPECT_EQ(j["columns"][i]["type"], "string") << j.dump();
  EXPECT_EQ(j["columns"][4]["type"], "binary");
  EXPECT_EQ(j["columns"][6]["type"], "binary");
}

}  // namespace
}  // namespace sqlrepl::testing
