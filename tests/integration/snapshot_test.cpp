// Provisioning's snapshot on a real server (docs/provisioning.md): what
// ReadSnapshot sends, loaded by the slave's SnapshotLoader, gives the same
// tables byte for byte and sets the position; a snapshot taken
// while a writer commits data and log rows together holds exactly the
// events up to its position; what cannot be copied is refused or listed.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "feed/snapshot_reader.hpp"
#include "mariadb_server.hpp"
#include "protocol/messages.hpp"
#include "provision/loader.hpp"
#include "replication/slave_position.hpp"
#include "wait_for.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;
using ::testing::Contains;
using ::testing::HasSubstr;

struct SnapshotServers {
  static constexpr const char* kNames[] = {"snapshot"};
};

// Loads the messages into database `copy` with the slave's loader, and
// keeps what went by.
struct Loader {
  explicit Loader(db::Connection* into) : loader(into, {"school", "repl_meta"}) {}

  bool Take(protocol::MessageType type, const std::string& payload) {
    largest_payload = std::max(largest_payload, payload.size());
    if (type == protocol::MessageType::kSnapshotRows) ++row_frames;
    if (type == protocol::MessageType::kSnapshotTable) {
      protocol::SnapshotTable t;
      if (protocol::Decode(payload, &t).ok()) tables.push_back(t);
    }
    if (type == protocol::MessageType::kSnapshotEnd) (void)protocol::Decode(payload, &end);
    const Status s = loader.Take(type, payload);
    if (!s.ok()) error = s.ToString();
    return s.ok();
  }
  bool ended() const { return loader.finished(); }
  const protocol::SnapshotBegin& begin() const { return loader.begin(); }

  provision::SnapshotLoader loader;
  std::vector<protocol::SnapshotTable> tables;
  protocol::SnapshotEnd end;
  size_t row_frames = 0;
  size_t largest_payload = 0;
  std::string error;
};

class SnapshotTest : public ServersTest<SnapshotServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 1u) << "the MariaDB server did not start";
    ASSERT_TRUE(server_
                    ->Exec("DROP DATABASE IF EXISTS school; DROP DATABASE IF EXISTS repl_meta;"
                           "DROP DATABASE IF EXISTS copy; CREATE DATABASE school;"
                           "CREATE DATABASE copy; CREATE DATABASE repl_meta;"
                           "CREATE TABLE repl_meta.log_info (id INT PRIMARY KEY, "
                           "replication_id VARCHAR(64)) ENGINE=InnoDB;"
                           "INSERT INTO repl_meta.log_info VALUES (1, 'log-3f2a');"
                           "CREATE TABLE repl_meta.log (seq BIGINT UNSIGNED PRIMARY KEY, "
                           "event BLOB) ENGINE=InnoDB;" +
                           replication::SlavePositionTableDdl("repl_meta") + ";" +
                           replication::ProvisionMarkerInsertSql("repl_meta"))
                    .ok());
  }

  // Reads the snapshot of `school` and loads it into `copy`.
  Status Snapshot(Loader* loader, size_t frame_bytes = 1 << 20) {
    Result<db::Connection> reader = server_->Connect();
    if (!reader.ok()) return reader.status();
    feed::SnapshotOptions options{"school", "repl_meta", frame_bytes};
    return feed::ReadSnapshot(&*reader, options,
                              [&](protocol::MessageType type, std::string payload) {
                                return loader->Take(type, payload);
                              });
  }

  std::string Checksum(const std::string& table) const {
    Result<db::Connection> c = server_->Connect();
    if (!c.ok()) return c.status().ToString();
    Result<db::QueryResult> r = c->Execute("CHECKSUM TABLE " + table);
    if (!r.ok()) return r.status().ToString();
    return r->rows.empty() ? "(no row)" : r->rows[0][1].value_or("NULL");
  }
};

TEST_F(SnapshotTest, EveryKindOfValueIsCopiedByteForByte) {
  ASSERT_TRUE(server_
                  ->Exec(R"(CREATE TABLE school.kinds (
                      id INT PRIMARY KEY, s VARCHAR(50) CHARACTER SET utf8mb4,
                      l VARCHAR(50) CHARACTER SET latin1, b VARBINARY(20), bits BIT(5),
                      d DECIMAL(20,6), f DOUBLE, fl FLOAT, dt DATETIME(6), t TIME, y YEAR,
                      j JSON, e ENUM('a','b'), st SET('x','y'), g INT AS (id * 2) VIRTUAL,
                      hidden INT INVISIBLE DEFAULT 7, ts TIMESTAMP(3) NULL,
                      z DATE NULL) ENGINE=InnoDB;
                    SET SESSION time_zone = '+05:30', sql_mode = '';
                    INSERT INTO school.kinds (id, s, l, b, bits, d, f, fl, dt, t, y, j, e, st,
                      hidden, ts, z) VALUES
                      (1, 'سارة 😀', 'café', X'00FF275C', b'10101', 12345.678901, 0.1, 1.1,
                       '2024-02-29 12:34:56.789012', '-838:59:59', 2024, '{"a": [1, 2]}', 'b',
                       'x,y', 9, '2024-03-31 02:30:00.125', '0000-00-00'),
                      (0, '', '', '', b'0', -0.000001, -1e300, 3.4e38, '1000-01-01 00:00:00',
                       '00:00:00', 1901, 'null', 'a', '', NULL, '1970-01-01 05:30:01', NULL),
                      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                       NULL, NULL, 1, NULL, NULL);
                    CREATE TABLE school.auto (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;
                    SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';
                    INSERT INTO school.auto VALUES (0), (5);
                    CREATE TABLE school.empty (id INT PRIMARY KEY) ENGINE=InnoDB)")
                  .ok());
  Result<db::Connection> into = server_->Connect("copy");
  ASSERT_TRUE(into.ok());
  ASSERT_TRUE(provision::PrepareLoadSession(&*into).ok());
  Loader loader(&*into);
  const Status s = Snapshot(&loader);
  ASSERT_TRUE(s.ok()) << s.ToString() << " " << loader.error;
  ASSERT_TRUE(loader.ended()) << loader.error;
  EXPECT_EQ(loader.begin().replication_id, "log-3f2a");
  EXPECT_EQ(loader.begin().position, 0u);
  EXPECT_EQ(loader.begin().table_count, 3u);
  EXPECT_EQ(loader.end.tables, 3u);
  EXPECT_EQ(loader.end.rows, 5u);
  ASSERT_EQ(loader.tables.size(), 3u);
  EXPECT_THAT(loader.tables[2].columns, Contains("hidden"));
  EXPECT_THAT(loader.tables[2].columns, ::testing::Not(Contains("g")));
  EXPECT_EQ(Checksum("copy.kinds"), Checksum("school.kinds"));
  EXPECT_EQ(Checksum("copy.auto"), Checksum("school.auto"));
  EXPECT_EQ(server_->QueryValue("SELECT GROUP_CONCAT(id ORDER BY id) FROM copy.auto"), "0,5");
  EXPECT_EQ(server_->QueryValue("SELECT CONCAT(HEX(s), HEX(l), HEX(b), hidden) FROM copy.kinds "
                                "WHERE id = 1"),
            server_->QueryValue("SELECT CONCAT(HEX(s), HEX(l), HEX(b), hidden) FROM "
                                "school.kinds WHERE id = 1"));
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM copy.empty"), "0");
  // The position and the marker's end, together.
  EXPECT_EQ(server_->QueryValue("SELECT CONCAT(replication_id, '/', applied_seq) FROM "
                                "repl_meta.slave_position WHERE id = 1"),
            "log-3f2a/0");
  EXPECT_EQ(server_->QueryValue(replication::ProvisionMarkerSelectSql("repl_meta")), "0");
}

TEST_F(SnapshotTest, ASnapshotUnderWritesHoldsExactlyTheEventsUpToItsPosition) {
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE school.counter (id BIGINT PRIMARY KEY, "
                         "pad VARCHAR(200)) ENGINE=InnoDB")
                  .ok());
  // The master's write path in miniature: each event's row and its log row
  // commit together.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> committed{0};
  // The error is the writer's until join(); the flag is what the wait reads.
  std::string writer_error;
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    db::ThreadEndGuard thread_end;
    Result<db::Connection> c = server_->Connect();
    if (!c.ok()) {
      writer_error = c.status().ToString();
      writer_failed = true;
      return;
    }
    for (uint64_t seq = 1; !stop; ++seq) {
      for (const std::string& sql :
           {std::string("START TRANSACTION"),
            fmt::format("INSERT INTO school.counter VALUES ({}, REPEAT('x', 200))", seq),
            fmt::format("INSERT INTO repl_meta.log VALUES ({}, '')", seq), std::string("COMMIT")}) {
        if (Status s = c->Run(sql); !s.ok()) {
          writer_error = s.ToString();
          writer_failed = true;
          return;
        }
      }
      committed = seq;
    }
  });
  const bool enough = WaitFor([&] { return committed >= 300 || writer_failed; }, seconds(120));
  Result<db::Connection> into = server_->Connect("copy");
  ASSERT_TRUE(into.ok());
  ASSERT_TRUE(provision::PrepareLoadSession(&*into).ok());
  Loader loader(&*into);
  const Status s = enough ? Snapshot(&loader, 4096) : Status::Unavailable("writer too slow");
  const uint64_t before_stop = committed;
  stop = true;
  writer.join();
  ASSERT_TRUE(writer_error.empty()) << writer_error;
  ASSERT_TRUE(s.ok()) << s.ToString() << " " << loader.error;
  const uint64_t position = loader.begin().position;
  EXPECT_GE(position, 300u);
  EXPECT_LE(position, before_stop);
  EXPECT_EQ(server_->QueryValue("SELECT COUNT(*) FROM copy.counter"), std::to_string(position));
  EXPECT_EQ(server_->QueryValue("SELECT MAX(id) FROM copy.counter"), std::to_string(position));
  EXPECT_EQ(server_->QueryValue("SELECT applied_seq FROM repl_meta.slave_position WHERE id = 1"),
            std::to_string(position));
  // Bounded frames: many of them, none much above the size asked for.
  EXPECT_GT(loader.row_frames, 10u);
  EXPECT_LT(loader.largest_payload, 4096u + 512u);
}

TEST_F(SnapshotTest, NonTransactionalTablesAreRefusedByNameAndViewsListed) {
  ASSERT_TRUE(server_
                  ->Exec("CREATE TABLE school.a (i INT PRIMARY KEY) ENGINE=InnoDB;"
                         "CREATE VIEW school.v AS SELECT i FROM school.a;"
                         "CREATE TABLE school.m (i INT) ENGINE=MyISAM;"
                         "CREATE TABLE school.mem (i INT) ENGINE=MEMORY")
                  .ok());
  Result<db::Connection> into = server_->Connect("copy");
  ASSERT_TRUE(into.ok());
  ASSERT_TRUE(provision::PrepareLoadSession(&*into).ok());
  Loader loader(&*into);
  Status s = Snapshot(&loader);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("not transactional: `m` (MyISAM), `mem` (MEMORY)"));
  EXPECT_FALSE(loader.ended());

  ASSERT_TRUE(server_->Exec("DROP TABLE school.m, school.mem").ok());
  s = Snapshot(&loader);
  ASSERT_TRUE(s.ok()) << s.ToString() << " " << loader.error;
  EXPECT_THAT(loader.begin().not_copied, Contains("view `v`"));
}

TEST_F(SnapshotTest, AReceiverThatIsGoneStopsTheRead) {
  // 5,000 rows of 200 bytes: far more than the three frames taken.
  std::string rows;
  for (int i = 1; i <= 5000; ++i)
    rows += fmt::format("{}({}, REPEAT('y', 200))", i > 1 ? ", " : "", i);
  const Status made = server_->Exec(
      "CREATE TABLE school.big (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB;"
      "INSERT INTO school.big VALUES " +
      rows);
  ASSERT_TRUE(made.ok()) << made.ToString();
  Result<db::Connection> reader = server_->Connect();
  ASSERT_TRUE(reader.ok());
  size_t frames = 0;
  const Status s = feed::ReadSnapshot(
      &*reader, {"school", "repl_meta", 4096}, [&](protocol::MessageType type, const std::string&) {
        return type != protocol::MessageType::kSnapshotRows || ++frames < 3;
      });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(frames, 3u);
}

}  // namespace
}  // namespace sqlrepl::testing
