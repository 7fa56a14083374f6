// The payloads of the frames in frame.hpp, field by field (little-endian;
// str := u32 length, bytes):
//
//   Hello     := version:u16  slave_id:str  replication_id:str  applied_seq:u64
//                slave_nonce:bytes[32]                     -- version 2 on
//                purpose:u8                                -- version 3 on
//   Challenge := master_nonce:bytes[32]  proof:bytes[32]   -- the master proves REPL_TOKEN
//   Auth      := mac:bytes[32]                             -- the slave proves REPL_TOKEN
//   Welcome   := replication_id:str  from_seq:u64  last_seq:u64
//   Reject    := code:u8  reason:str
//
// (proof, mac and the session keys: replication/handshake.hpp.) Welcome and
// every later frame are sealed (protocol/frame_mac.hpp); a Reject is sealed
// when the master has keys for the session (after a valid Auth), and a
// slave acts only on a sealed one.
//   Event     := see replication/event.hpp (the log row's bytes, as stored)
//   Ack       := seq:u64  outcome:u8  errno:u32  message:str
//   Heartbeat := seq:u64              -- master: last committed; slave: last applied
//   Verify    := request_id:u64  database:str  count:u32  table:str[count]
//   VerifyResult := request_id:u64  count:u32  (table:str  checksum:str  error:str)[count]
//                -- the request's tables first, in its order; then the slave's
//                   other base tables of the database, each with an empty
//                   checksum and error (an answer always has one of the two).
//                   A master that predates them reads only the entries it
//                   asked for, so either side may be the older.
//
// Provisioning (docs/provisioning.md), sealed like every frame after Welcome:
//   SnapshotBegin := replication_id:str  position:u64  database:str  table_count:u32
//                    rows_estimate:u64  bytes_estimate:u64
//                    not_copied_count:u32  not_copied:str[not_copied_count]
//   SnapshotTable := name:str  create_sql:str  rows_estimate:u64  bytes_estimate:u64
//                    column_count:u16  column:str[column_count]  -- the columns copied
//   SnapshotRows  := count:u32  Row[count]        -- rows of the last SnapshotTable
//   Row           := columns:u16  (null:u8  value:str)[columns]
//   SnapshotEnd   := tables:u32  rows:u64  bytes:u64
//   SnapshotProgress := rows:u64  bytes:u64       -- slave -> master
//
// Every decoder rejects a short payload, trailing bytes, and strings over
// their limit, without allocating for them. The Hello, read before the peer
// is authenticated, also limits its ids to kMaxIdLength characters of
// printable ASCII without spaces, so they can be logged as they are.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace sqlrepl::protocol {

// 2: mutual authentication and sealed frames. 3: the Hello's purpose
// (provisioning). A master accepts both; a slave says 2 when it follows,
// so that it can follow a master of either version, and 3 only to be
// provisioned. Version 1 peers are refused with a message that says so
// (the version is the Hello's first field in every version).
constexpr uint16_t kProtocolVersion = 3;
constexpr uint16_t kOldestProtocolVersion = 2;
constexpr size_t kNonceSize = 32;
constexpr size_t kMacSize = 32;
constexpr uint32_t kMaxNameLength = 256;       // slave ids, replication ids
constexpr uint32_t kMaxMessageLength = 64 * 1024;  // reasons and error texts
constexpr uint32_t kMaxIdLength = 64;              // slave and replication ids in a Hello

// What a connection is for: following the log, or a snapshot of the
// database (docs/provisioning.md).
enum class HelloPurpose : uint8_t { kFollow = 0, kProvision = 1 };

struct Hello {
  uint16_t version = kProtocolVersion;
  std::string slave_id;
  std::string replication_id;  // empty: the slave has applied nothing yet
  uint64_t applied_seq = 0;
  std::array<uint8_t, kNonceSize> slave_nonce{};
  HelloPurpose purpose = HelloPurpose::kFollow;  // on the wire from version 3
};

// The version a slave's Hello for `purpose` carries.
constexpr uint16_t HelloVersion(HelloPurpose purpose) {
  return purpose == HelloPurpose::kFollow ? kOldestProtocolVersion : kProtocolVersion;
}

struct Challenge {
  std::array<uint8_t, kNonceSize> nonce{};
  std::array<uint8_t, kMacSize> proof{};
};

struct Auth {
  std::array<uint8_t, kMacSize> mac{};
};

struct Welcome {
  std::string replication_id;
  uint64_t from_seq = 1;  // the first event that will be sent
  uint64_t last_seq = 0;  // the master's last committed event
};

enum class RejectCode : uint8_t {
  kBadAuth = 1,
  kVersion = 2,
  kReplicationIdMismatch = 3,
  kPurged = 4,
  kAhead = 5,
  kDuplicateSlaveId = 6,
  kTooManySlaves = 7,  // try again later
  kTlsRequired = 8,    // a TLS master answering a plain slave, unsealed
  kSnapshotFailed = 9,  // a provisioning's snapshot could not be read
};

struct Reject {
  RejectCode code = RejectCode::kBadAuth;
  std::string reason;
};

enum class AckOutcome : uint8_t { kApplied = 1, kRefused = 2, kError = 3 };

struct Ack {
  uint64_t seq = 0;
  AckOutcome outcome = AckOutcome::kApplied;
  uint32_t sql_errno = 0;
  std::string message;  // refusal reason or error text
};

struct Heartbeat {
  uint64_t seq = 0;
};

struct Verify {
  uint64_t request_id = 0;
  std::string database;
  std::vector<std::string> tables;
};

struct TableChecksum {
  std::string table;
  std::string checksum;  // as CHECKSUM TABLE prints it; empty with an error
  std::string error;
};

struct VerifyResult {
  uint64_t request_id = 0;
  std::vector<TableChecksum> tables;  // the request's tables, in its order
  // The slave's base tables of the database that the request did not name.
  // Empty from a slave that predates them. (The initializer lets a brace
  // list of the first two fields pass -Wmissing-field-initializers.)
  std::vector<std::string> other_tables = {};
};

constexpr uint32_t kMaxVerifyTables = 10000;  // entries of a VerifyResult, other tables included

// The snapshot a provisioning copies: its position is the highest log
// sequence number visible in it.
struct SnapshotBegin {
  std::string replication_id;
  uint64_t position = 0;
  std::string database;
  uint32_t table_count = 0;
  uint64_t rows_estimate = 0;   // information_schema's, for progress only
  uint64_t bytes_estimate = 0;
  std::vector<std::string> not_copied;  // "view `v`", "trigger `t`": said at the end
};

struct SnapshotTable {
  std::string name;
  std::string create_sql;  // SHOW CREATE TABLE; checked by the slave before it runs
  uint64_t rows_estimate = 0;
  uint64_t bytes_estimate = 0;
  // The columns each row carries, in order: every column but the generated
  // ones (the server computes those), invisible ones included.
  std::vector<std::string> columns;
};

// One column value: nullopt for NULL, else the exact bytes the master's
// server returned (read with SET NAMES binary).
using SnapshotValue = std::optional<std::string>;
using SnapshotRow = std::vector<SnapshotValue>;

struct SnapshotRows {
  std::vector<SnapshotRow> rows;
};

// What a row's values take in a SnapshotRows payload (null:u8, length:u32
// and the bytes, per value): the size frames are cut by and the bytes both
// sides count.
inline uint64_t SnapshotRowBytes(const SnapshotRow& row) {
  uint64_t bytes = 0;
  for (const SnapshotValue& v : row) bytes += 5 + (v ? v->size() : 0);
  return bytes;
}

struct SnapshotEnd {
  uint32_t tables = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

struct SnapshotProgress {
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

constexpr uint32_t kMaxSnapshotNotCopied = 100000;
constexpr uint16_t kMaxSnapshotColumns = 4096;  // MariaDB's limit per table

std::string Encode(const Hello& m);
std::string Encode(const Challenge& m);
std::string Encode(const Auth& m);
std::string Encode(const Welcome& m);
std::string Encode(const Reject& m);
std::string Encode(const Ack& m);
std::string Encode(const Heartbeat& m);
std::string Encode(const Verify& m);
std::string Encode(const VerifyResult& m);
std::string Encode(const SnapshotBegin& m);
std::string Encode(const SnapshotTable& m);
std::string Encode(const SnapshotRows& m);
std::string Encode(const SnapshotEnd& m);
std::string Encode(const SnapshotProgress& m);

// True for 1 to kMaxIdLength characters of printable ASCII, no spaces.
bool IsValidId(std::string_view id);

// The protocol version a Hello of any version starts with.
Status PeekVersion(std::string_view hello_payload, uint16_t* version);

// `text` made safe for a terminal or a log line: control characters,
// backslashes and bytes outside ASCII escaped (\n, \x1b, ...), and cut to
// about `max_length` characters. For anything a peer sent.
std::string EscapeForLog(std::string_view text, size_t max_length = 200);

// kCorruption with the message's name on any malformed payload.
Status Decode(std::string_view payload, Hello* m);
Status Decode(std::string_view payload, Challenge* m);
Status Decode(std::string_view payload, Auth* m);
Status Decode(std::string_view payload, Welcome* m);
Status Decode(std::string_view payload, Reject* m);
Status Decode(std::string_view payload, Ack* m);
Status Decode(std::string_view payload, Heartbeat* m);
Status Decode(std::string_view payload, Verify* m);
Status Decode(std::string_view payload, VerifyResult* m);
Status Decode(std::string_view payload, SnapshotBegin* m);
Status Decode(std::string_view payload, SnapshotTable* m);
Status Decode(std::string_view payload, SnapshotRows* m);
Status Decode(std::string_view payload, SnapshotEnd* m);
Status Decode(std::string_view payload, SnapshotProgress* m);

}  // namespace sqlrepl::protocol
