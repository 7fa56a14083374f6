// One replicated event: the statements of one committed transaction on the
// master, each with the context that makes it give the same result on a
// slave (as MySQL's statement-based binary log does). The encoded event is
// both the row stored in the master's log and the payload sent to slaves.
//
//   Event     := seq:u64  database:str  count:u32  Statement[count]
//   Statement := flags:u8  timestamp_us:u64  rand_seed1:u64  rand_seed2:u64
//                insert_id:u64  last_insert_id:u64  [Session]  sql:str
//   flags     := bit 0 timestamp, bit 1 rand seeds, bit 2 insert_id,
//                bit 3 last_insert_id (which fields are meaningful),
//                bit 4 Session present (format 2); other bits: a newer
//                format, refused with a message that says so
//   Session   := n:u16 (name:str value:str)[n]                 -- system variables
//                m:u16 (name:str kind:u8 value:str charset:str)[m]  -- user variables
//
// Format 1 (before the session block) is still read: its statements carry
// no session. The session block holds the values of the carried session
// variables (replication/session_context.hpp lists them, format 2) as the
// statement ran, and of each user variable the statement reads: the slave
// sets exactly these, so no SET statement of the master is ever replicated
// as text.
//
// The database is the one the transaction ran in, so that a slave can start
// at any event (each record is self-contained).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace sqlrepl::replication {

constexpr uint32_t kMaxStatementsPerEvent = 100000;

// A session system variable as the statement saw it: "sql_mode" = "STRICT_TRANS_TABLES,...".
struct SessionVariable {
  std::string name;
  std::string value;
  bool operator==(const SessionVariable&) const = default;
};

// A user variable the statement reads (@name), with its value and type.
struct UserVariable {
  enum Kind : uint8_t { kNull = 0, kInteger = 1, kDecimal = 2, kReal = 3, kString = 4 };
  std::string name;
  Kind kind = kNull;
  std::string value;    // as text; the bytes of a string
  std::string charset;  // of a string ("binary" for bytes)
  bool operator==(const UserVariable&) const = default;
};

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
  bool has_session = false;
  std::vector<SessionVariable> session;     // the carried variables, as they were
  std::vector<UserVariable> user_variables;  // those the statement reads

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
// set in `context`; empty when none is. `observed` adds insert_id (0 when
// none, which clears one left forced) and last_insert_id, which the master
// observes and the slave sets, and the
// session block: the system variables whose value differs from
// `*session_state` (which is then updated; null: all of them) and the user
// variables.
std::string ContextSql(const StatementContext& context, bool observed,
                       std::map<std::string, std::string>* session_state = nullptr);

}  // namespace sqlrepl::replication
