#include "replication/event.hpp"

#include <gtest/gtest.h>

#include "base/coding.hpp"

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

// Format 2: a statement with its session block.
Event WithSession() {
  Event e = Sample();
  StatementContext& c = e.statements[1].context;
  c.has_session = true;
  c.session = {{"sql_mode", "NO_AUTO_VALUE_ON_ZERO"}, {"time_zone", "+05:00"}};
  c.user_variables = {{"n", UserVariable::kInteger, "42", ""},
                      {"s", UserVariable::kString, "Zo\xc3\xab", "utf8mb4"},
                      {"z", UserVariable::kNull, "", ""}};
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
  // Without an insert id of its own, a statement clears any left forced.
  EXPECT_EQ(ContextSql(e.statements[1].context, true),
            "SET rand_seed1 = 11, rand_seed2 = 22, insert_id = 0, last_insert_id = 5");
  EXPECT_EQ(ContextSql(StatementContext{}, true), "SET insert_id = 0");
  EXPECT_EQ(ContextSql(StatementContext{}, false), "");
  StatementContext small;
  small.has_timestamp = true;
  small.timestamp_us = 5;
  EXPECT_EQ(ContextSql(small, false), "SET timestamp = 0.000005");
}

TEST(Event, SessionBlockRoundTripsAndEveryTruncationIsCorruption) {
  const std::string bytes = EncodeEvent(WithSession());
  Result<Event> d = DecodeEvent(bytes);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(*d, WithSession());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeEvent(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
}

// A log written before the session block (format 1) is still read.
TEST(Event, FormatOneStatementsAreStillRead) {
  std::string v1;
  PutFixed64(&v1, 9);
  PutString(&v1, "school");
  PutFixed32(&v1, 1);
  PutFixed8(&v1, 1);  // timestamp only
  for (uint64_t field :
       {uint64_t{1700000000000000}, uint64_t{0}, uint64_t{0}, uint64_t{0}, uint64_t{0}}) {
    PutFixed64(&v1, field);
  }
  PutString(&v1, "DELETE FROM t");
  Result<Event> d = DecodeEvent(v1);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->statements[0].sql, "DELETE FROM t");
  EXPECT_FALSE(d->statements[0].context.has_session);
}

TEST(Event, UnknownFlagsSayANewerProgramWroteTheEvent) {
  std::string bytes = EncodeEvent(Sample());
  const size_t flags_at = 8 + 4 + std::string("school").size() + 4;
  bytes[flags_at] = static_cast<char>(bytes[flags_at] | 0x80);
  Result<Event> d = DecodeEvent(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("newer sqlrepl"), std::string::npos) << d.status().message();
}

TEST(Event, SlaveSetsOnlySessionValuesThatDiffer) {
  const Event e = WithSession();
  const StatementContext& c = e.statements[1].context;
  std::map<std::string, std::string> state = {{"sql_mode", "NO_AUTO_VALUE_ON_ZERO"}};
  const std::string sql = ContextSql(c, /*observed=*/true, &state);
  EXPECT_EQ(sql.find("sql_mode"), std::string::npos) << sql;
  EXPECT_NE(sql.find("@@session.time_zone = '+05:00'"), std::string::npos) << sql;
  EXPECT_NE(sql.find("@`n` = 42"), std::string::npos) << sql;
  EXPECT_NE(sql.find("@`s` = CONVERT(X'5A6FC3AB' USING utf8mb4)"), std::string::npos) << sql;
  EXPECT_NE(sql.find("@`z` = NULL"), std::string::npos) << sql;
  EXPECT_EQ(state["time_zone"], "+05:00");
  EXPECT_EQ(ContextSql(c, true, &state).find("time_zone"), std::string::npos);  // set once
}

}  // namespace
}  // namespace sqlrepl::replication
