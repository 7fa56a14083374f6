// The slave's snapshot loader against a session that records what it is
// sent: messages in order become the checked CREATE TABLE, one transaction
// per frame of rows, and at the end the position and the marker's removal
// in one transaction; anything out of order, mismatched or refused stops it
// before the position is set.
#include "provision/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sqlrepl::provision {
namespace {

using protocol::MessageType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class RecordingSession : public db::Session {
 public:
  Result<db::QueryResult> Execute(std::string_view sql) override {
    statements.emplace_back(sql);
    return db::QueryResult{};
  }
  std::vector<Result<db::QueryResult>> ExecutePipelined(
      const std::vector<std::string>& batch) override {
    std::vector<Result<db::QueryResult>> out;
    for (const std::string& sql : batch) out.push_back(Execute(sql));
    return out;
  }
  Status Reconnect() override { return Status::Ok(); }
  std::string Quote(std::string_view text) override { return "'" + std::string(text) + "'"; }
  unsigned server_status() const override { return 0; }
  unsigned long thread_id() const override { return 1; }

  std::vector<std::string> statements;
};

const protocol::SnapshotBegin kBegin{"log-1", 42, "school", 1, 2, 100, {}};
const protocol::SnapshotTable kTable{
    "t", "CREATE TABLE `t` (`a` int) ENGINE=InnoDB", 2, 100, {"a"}};
const protocol::SnapshotRows kRows{{{protocol::SnapshotValue("1")}, {protocol::SnapshotValue()}}};

class SnapshotLoaderTest : public ::testing::Test {
 protected:
  RecordingSession session_;
  SnapshotLoader loader_{&session_, {"school", "repl_meta"}};
};

TEST_F(SnapshotLoaderTest, InOrderItLoadsThenSetsThePositionAndEndsTheMarkerTogether) {
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotBegin, protocol::Encode(kBegin)).ok());
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotTable, protocol::Encode(kTable)).ok());
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotRows, protocol::Encode(kRows)).ok());
  EXPECT_FALSE(loader_.finished());
  const Status s =
      loader_.Take(MessageType::kSnapshotEnd, protocol::Encode(protocol::SnapshotEnd{1, 2, 15}));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(loader_.finished());
  EXPECT_THAT(session_.statements,
              ElementsAre(kTable.create_sql, "START TRANSACTION",
                          "INSERT INTO `t` (`a`) VALUES (_binary X'31'), (NULL)", "COMMIT",
                          "START TRANSACTION",
                          StartsWith("INSERT INTO `repl_meta`.slave_position (id, replication_id, "
                                     "applied_seq) VALUES (1, 'log-1', 42)"),
                          "DELETE FROM `repl_meta`.slave_position WHERE id = 2", "COMMIT"));
  EXPECT_EQ(loader_.progress().rows, 2u);
  EXPECT_EQ(Percent(loader_.progress()), 100);
}

TEST_F(SnapshotLoaderTest, MessagesOutOfOrderAreCorruptionAndStopIt) {
  EXPECT_EQ(loader_.Take(MessageType::kSnapshotRows, protocol::Encode(kRows)).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(loader_.Take(MessageType::kSnapshotBegin, protocol::Encode(kBegin)).code(),
            StatusCode::kCorruption)
      << "nothing is taken after an error";
  EXPECT_TRUE(session_.statements.empty());
}

TEST_F(SnapshotLoaderTest, RowsBeforeAnyTableAreCorruption) {
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotBegin, protocol::Encode(kBegin)).ok());
  EXPECT_EQ(loader_.Take(MessageType::kSnapshotRows, protocol::Encode(kRows)).code(),
            StatusCode::kCorruption);
}

TEST_F(SnapshotLoaderTest, AnotherDatabaseIsRefused) {
  protocol::SnapshotBegin other = kBegin;
  other.database = "shop";
  const Status s = loader_.Take(MessageType::kSnapshotBegin, protocol::Encode(other));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("'shop'"));
}

TEST_F(SnapshotLoaderTest, ARefusedDefinitionRunsNothing) {
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotBegin, protocol::Encode(kBegin)).ok());
  protocol::SnapshotTable evil = kTable;
  evil.create_sql = "CREATE TABLE `t` (`a` int); DROP DATABASE mysql";
  EXPECT_EQ(loader_.Take(MessageType::kSnapshotTable, protocol::Encode(evil)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(session_.statements.empty());
}

TEST_F(SnapshotLoaderTest, TotalsThatDoNotMatchLeaveThePositionAlone) {
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotBegin, protocol::Encode(kBegin)).ok());
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotTable, protocol::Encode(kTable)).ok());
  ASSERT_TRUE(loader_.Take(MessageType::kSnapshotRows, protocol::Encode(kRows)).ok());
  const size_t before = session_.statements.size();
  EXPECT_EQ(
      loader_.Take(MessageType::kSnapshotEnd, protocol::Encode(protocol::SnapshotEnd{1, 3, 15}))
          .code(),
      StatusCode::kCorruption);
  EXPECT_EQ(session_.statements.size(), before);
  EXPECT_FALSE(loader_.finished());
}

}  // namespace
}  // namespace sqlrepl::provision
