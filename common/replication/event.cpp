#include "replication/event.hpp"

#include <fmt/format.h>

#include "base/coding.hpp"
#include "base/strings.hpp"
#include "protocol/frame.hpp"

namespace sqlrepl::replication {
namespace {

constexpr uint8_t kTimestamp = 1;
constexpr uint8_t kRandSeeds = 2;
constexpr uint8_t kInsertId = 4;
constexpr uint8_t kLastInsertId = 8;
constexpr uint8_t kSession = 16;
constexpr uint8_t kKnownFlags = kTimestamp | kRandSeeds | kInsertId | kLastInsertId | kSession;
constexpr uint32_t kMaxName = 256;
constexpr uint32_t kMaxValue = 64 * 1024;

void PutSession(std::string* out, const StatementContext& c) {
  PutFixed16(out, static_cast<uint16_t>(c.session.size()));
  for (const SessionVariable& v : c.session) {
    PutString(out, v.name);
    PutString(out, v.value);
  }
  PutFixed16(out, static_cast<uint16_t>(c.user_variables.size()));
  for (const UserVariable& v : c.user_variables) {
    PutString(out, v.name);
    PutFixed8(out, v.kind);
    PutString(out, v.value);
    PutString(out, v.charset);
  }
}

bool GetSession(std::string_view* in, StatementContext* c) {
  uint16_t n = 0;
  if (!GetFixed16(in, &n)) return false;
  for (uint16_t i = 0; i < n; ++i) {
    SessionVariable v;
    if (!GetString(in, &v.name, kMaxName) || !GetString(in, &v.value, kMaxValue)) return false;
    c->session.push_back(std::move(v));
  }
  if (!GetFixed16(in, &n)) return false;
  for (uint16_t i = 0; i < n; ++i) {
    UserVariable v;
    uint8_t kind = 0;
    if (!GetString(in, &v.name, kMaxName) || !GetFixed8(in, &kind) ||
        kind > UserVariable::kString || !GetString(in, &v.value, protocol::kMaxFrameSize) ||
        !GetString(in, &v.charset, kMaxName)) {
      return false;
    }
    v.kind = static_cast<UserVariable::Kind>(kind);
    c->user_variables.push_back(std::move(v));
  }
  return true;
}

// 'text' for a value that is not a plain number; the carried values never
// hold a backslash (checked on arrival), so doubling quotes is enough under
// any sql_mode.
std::string SqlValue(const std::string& value) {
  const bool number = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
  if (number) return value;
  std::string out = "'";
  for (char ch : value) {
    if (ch == '\'') out += '\'';
    out += ch;
  }
  return out + "'";
}

std::string UserVariableSql(const UserVariable& v) {
  std::string name = "@`";
  for (char ch : v.name) {
    if (ch == '`') name += '`';
    name += ch;
  }
  name += "` = ";
  switch (v.kind) {
    case UserVariable::kNull: return name + "NULL";
    case UserVariable::kInteger:
    case UserVariable::kDecimal: return name + v.value;
    case UserVariable::kReal: return name + "CAST(X'" + Hex(v.value) + "' AS DOUBLE)";
    case UserVariable::kString:
      if (v.charset.empty() || v.charset == "binary") return name + "X'" + Hex(v.value) + "'";
      return name + "CONVERT(X'" + Hex(v.value) + "' USING " + v.charset + ")";
  }
  return name + "NULL";
}
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
    if (c.has_session) flags |= kSession;
    PutFixed8(&out, flags);
    PutFixed64(&out, c.timestamp_us);
    PutFixed64(&out, c.rand_seed1);
    PutFixed64(&out, c.rand_seed2);
    PutFixed64(&out, c.insert_id);
    PutFixed64(&out, c.last_insert_id);
    if (c.has_session) PutSession(&out, c);
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
        !GetFixed64(&in, &c.insert_id) || !GetFixed64(&in, &c.last_insert_id)) {
      return Status::Corruption(fmt::format("malformed statement {} in event #{}", i + 1, e.seq));
    }
    if ((flags & ~kKnownFlags) != 0) {
      return Status::Corruption(fmt::format(
          "event #{} was written by a newer sqlrepl (unknown flags {:#x}): upgrade this program",
          e.seq, flags & ~kKnownFlags));
    }
    c.has_session = (flags & kSession) != 0;
    if ((c.has_session && !GetSession(&in, &c)) ||
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

std::string ContextSql(const StatementContext& c, bool observed,
                       std::map<std::string, std::string>* session_state) {
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
  // Always set: a forced insert id stays in the session until a statement
  // generates one, and 0 clears it. Left from an earlier event (an explicit
  // id is reported as the insert id), it would number a later trigger's row.
  if (observed) add(fmt::format("insert_id = {}", c.has_insert_id ? c.insert_id : 0));
  if (observed && c.has_last_insert_id) add(fmt::format("last_insert_id = {}", c.last_insert_id));
  if (observed && c.has_session) {
    for (const SessionVariable& v : c.session) {
      if (session_state != nullptr) {
        auto it = session_state->find(v.name);
        if (it != session_state->end() && it->second == v.value) continue;
        (*session_state)[v.name] = v.value;
      }
      add(fmt::format("@@session.{} = {}", v.name, SqlValue(v.value)));
    }
    for (const UserVariable& v : c.user_variables) add(UserVariableSql(v));
  }
  return assignments;
}

}  // namespace sqlrepl::replication
