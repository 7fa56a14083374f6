#include "replication/event.hpp"

#include <gtest/gtest.h>

namespace sqlrepl::replication {
namespace {

Event Sample() {
  Event e;
  e.seq = 42;
  e.database = "school";
  EventStatement a;
  a.sql = "INSERT INTO students (name) VALUES ('Ali')";
  a.context.has_timestamp = true;
  a.context.timestamp_us = 1700000000123456;
  a.context.has_insert_id = true;
  a.context.insert_id = 7;
  EventStatement b;
  b.sql = "UPDATE students SET age = FLOOR(RAND() * 10)";
  b.context.has_rand_seeds = true;
  b.context.rand_seed1 = 11;
  b.context.rand_seed2 = 22;
  b.context.has_last_insert_id = true;
  b.context.last_insert_id = 5;
  e.statements = {a, b};
  return e;
}

TEST(Event, RoundTrip) {
  Result<Event> d = DecodeEvent(EncodeEvent(Sample()));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(*d, Sample());
  EXPECT_EQ(*PeekEventSeq(EncodeEvent(Sample())), 42u);
}

TEST(Event, EveryTruncationIsCorruption) {
  const std::string bytes = EncodeEvent(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<Event> d = DecodeEvent(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  }
  EXPECT_FALSE(DecodeEvent(bytes + "!").ok());
}

TEST(Event, HugeStatementCountIsRejectedBeforeReserving) {
  std::string bytes = EncodeEvent(Event{1, "db", {}});
  bytes[bytes.size() - 1] = '\x7f';  // count = 0x7f000000
  Result<Event> d = DecodeEvent(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "event #1 claims 2130706432 statements");
}

TEST(Event, ContextSql) {
  const Event e = Sample();
  EXPECT_EQ(ContextSql(e.statements[0].context, false), "SET timestamp = 1700000000.123456");
  EXPECT_EQ(ContextSql(e.statements[0].context, true),
            "SET timestamp = 1700000000.123456, insert_id = 7");
  EXPECT_EQ(ContextSql(e.statements[1].context, true),
            "SET rand_seed1 = 11, rand_seed2 = 22, last_insert_id = 5");
  EXPECT_EQ(ContextSql(StatementContext{}, true), "");
  StatementContext small;
  small.has_timestamp = true;
  small.timestamp_us = 5;
  EXPECT_EQ(ContextSql(small, false), "SET timestamp = 0.000005");
}

}  // namespace
}  // namespace sqlrepl::replication
