// One replicated event: the statements of one committed transaction on the
// master, each with the context that makes it give the same result on a
// slave (as MySQL's statement-based binary log does). The encoded event is
// both the row stored in the master's log and the payload sent to slaves.
//
//   Event     := seq:u64  database:str  count:u32  Statement[count]
//   Statement := flags:u8  timestamp_us:u64  rand_seed1:u64  rand_seed2:u64
//                insert_id:u64  last_insert_id:u64  sql:str
//   flags     := bit 0 timestamp, bit 1 rand seeds, bit 2 insert_id,
//                bit 3 last_insert_id (which fields are meaningful)
//
// The database is the one the transaction ran in, so that a slave can start
// at any event (each record is self-contained).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace sqlrepl::replication {

constexpr uint32_t kMaxStatementsPerEvent = 100000;

struct StatementContext {
  bool has_timestamp = false;
  uint64_t timestamp_us = 0;  // microseconds since the epoch: SET timestamp
  bool has_rand_seeds = false;
  uint64_t rand_seed1 = 0;
  uint64_t rand_seed2 = 0;
  bool has_insert_id = false;
  uint64_t insert_id = 0;  // first AUTO_INCREMENT value the statement generated
  bool has_last_insert_id = false;
  uint64_t last_insert_id = 0;  // LAST_INSERT_ID() before the statement ran

  bool operator==(const StatementContext&) const = default;
};

struct EventStatement {
  StatementContext context;
  std::string sql;
  bool operator==(const EventStatement&) const = default;
};

struct Event {
  uint64_t seq = 0;
  std::string database;
  std::vector<EventStatement> statements;
  bool operator==(const Event&) const = default;
};

std::string EncodeEvent(const Event& event);
// kCorruption on a short, oversized or trailing-garbage payload.
Result<Event> DecodeEvent(std::string_view payload);
// The sequence number alone, without decoding the rest.
Result<uint64_t> PeekEventSeq(std::string_view payload);

// "SET timestamp = 1700000000.123456, rand_seed1 = 1, ..." for the fields
// set in `context`; empty when none is. `observed` adds insert_id and
// last_insert_id, which the master observes and the slave sets.
std::string ContextSql(const StatementContext& context, bool observed);

}  // namespace sqlrepl::replication
