#include "replication/event.hpp"

#include <fmt/format.h>

#include "base/coding.hpp"
#include "protocol/frame.hpp"

namespace sqlrepl::replication {
namespace {

constexpr uint8_t kTimestamp = 1;
constexpr uint8_t kRandSeeds = 2;
constexpr uint8_t kInsertId = 4;
constexpr uint8_t kLastInsertId = 8;
constexpr uint32_t kMaxDatabaseName = 256;

}  // namespace

std::string EncodeEvent(const Event& e) {
  std::string out;
  PutFixed64(&out, e.seq);
  PutString(&out, e.database);
  PutFixed32(&out, static_cast<uint32_t>(e.statements.size()));
  for (const EventStatement& s : e.statements) {
    const StatementContext& c = s.context;
    uint8_t flags = 0;
    if (c.has_timestamp) flags |= kTimestamp;
    if (c.has_rand_seeds) flags |= kRandSeeds;
    if (c.has_insert_id) flags |= kInsertId;
    if (c.has_last_insert_id) flags |= kLastInsertId;
    PutFixed8(&out, flags);
    PutFixed64(&out, c.timestamp_us);
    PutFixed64(&out, c.rand_seed1);
    PutFixed64(&out, c.rand_seed2);
    PutFixed64(&out, c.insert_id);
    PutFixed64(&out, c.last_insert_id);
    PutString(&out, s.sql);
  }
  return out;
}

Result<Event> DecodeEvent(std::string_view in) {
  Event e;
  uint32_t count = 0;
  if (!GetFixed64(&in, &e.seq) || !GetString(&in, &e.database, kMaxDatabaseName) ||
      !GetFixed32(&in, &count)) {
    return Status::Corruption("malformed event header");
  }
  // Each statement takes at least 45 bytes: a count larger than the rest
  // allows is corruption, found before reserving anything.
  constexpr size_t kMinStatementSize = 1 + 5 * 8 + 4;
  if (count > kMaxStatementsPerEvent || count > in.size() / kMinStatementSize) {
    return Status::Corruption(fmt::format("event #{} claims {} statements", e.seq, count));
  }
  e.statements.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    EventStatement s;
    StatementContext& c = s.context;
    uint8_t flags = 0;
    if (!GetFixed8(&in, &flags) || !GetFixed64(&in, &c.timestamp_us) ||
        !GetFixed64(&in, &c.rand_seed1) || !GetFixed64(&in, &c.rand_seed2) ||
        !GetFixed64(&in, &c.insert_id) || !GetFixed64(&in, &c.last_insert_id) ||
        !GetString(&in, &s.sql, protocol::kMaxFrameSize)) {
      return Status::Corruption(fmt::format("malformed statement {} in event #{}", i + 1, e.seq));
    }
    c.has_timestamp = (flags & kTimestamp) != 0;
    c.has_rand_seeds = (flags & kRandSeeds) != 0;
    c.has_insert_id = (flags & kInsertId) != 0;
    c.has_last_insert_id = (flags & kLastInsertId) != 0;
    e.statements.push_back(std::move(s));
  }
  if (!in.empty()) return Status::Corruption(fmt::format("trailing bytes after event #{}", e.seq));
  return e;
}

Result<uint64_t> PeekEventSeq(std::string_view in) {
  uint64_t seq = 0;
  if (!GetFixed64(&in, &seq)) return Status::Corruption("event too short for its sequence number");
  return seq;
}

std::string ContextSql(const StatementContext& c, bool observed) {
  std::string assignments;
  auto add = [&](std::string part) {
    assignments += assignments.empty() ? "SET " : ", ";
    assignments += part;
  };
  if (c.has_timestamp) {
    add(fmt::format("timestamp = {}.{:06}", c.timestamp_us / 1000000, c.timestamp_us % 1000000));
  }
  if (c.has_rand_seeds) {
    add(fmt::format("rand_seed1 = {}, rand_seed2 = {}", c.rand_seed1, c.rand_seed2));
  }
  if (observed && c.has_insert_id) add(fmt::format("insert_id = {}", c.insert_id));
  if (observed && c.has_last_insert_id) add(fmt::format("last_insert_id = {}", c.last_insert_id));
  return assignments;
}

}  // namespace sqlrepl::replication
