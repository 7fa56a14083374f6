#include "protocol/messages.hpp"

#include <fmt/format.h>

#include <cstring>

#include "base/coding.hpp"
#include "protocol/frame.hpp"

namespace sqlrepl::protocol {
namespace {

Status Malformed(const char* what) {
  return Status::Corruption(std::string("malformed ") + what + " message");
}

// Decoding succeeded only if every field was read and nothing is left over.
Status Finish(bool ok, std::string_view rest, const char* what) {
  return ok && rest.empty() ? Status::Ok() : Malformed(what);
}

template <size_t N>
bool GetBytes(std::string_view* in, std::array<uint8_t, N>* out) {
  if (in->size() < N) return false;
  std::memcpy(out->data(), in->data(), N);
  in->remove_prefix(N);
  return true;
}

template <size_t N>
std::string Bytes(const std::array<uint8_t, N>& a) {
  return std::string(reinterpret_cast<const char*>(a.data()), N);
}

}  // namespace

std::string Encode(const Hello& m) {
  std::string out;
  PutFixed16(&out, m.version);
  PutString(&out, m.slave_id);
  PutString(&out, m.replication_id);
  PutFixed64(&out, m.applied_seq);
  out += Bytes(m.slave_nonce);
  if (m.version >= 3) out.push_back(static_cast<char>(m.purpose));
  return out;
}

std::string Encode(const Challenge& m) { return Bytes(m.nonce) + Bytes(m.proof); }
std::string Encode(const Auth& m) { return Bytes(m.mac); }

std::string Encode(const Welcome& m) {
  std::string out;
  PutString(&out, m.replication_id);
  PutFixed64(&out, m.from_seq);
  PutFixed64(&out, m.last_seq);
  return out;
}

std::string Encode(const Reject& m) {
  std::string out;
  PutFixed8(&out, static_cast<uint8_t>(m.code));
  PutString(&out, m.reason);
  return out;
}

std::string Encode(const Ack& m) {
  std::string out;
  PutFixed64(&out, m.seq);
  PutFixed8(&out, static_cast<uint8_t>(m.outcome));
  PutFixed32(&out, m.sql_errno);
  PutString(&out, m.message);
  return out;
}

std::string Encode(const Heartbeat& m) {
  std::string out;
  PutFixed64(&out, m.seq);
  return out;
}

std::string Encode(const Verify& m) {
  std::string out;
  PutFixed64(&out, m.request_id);
  PutString(&out, m.database);
  PutFixed32(&out, static_cast<uint32_t>(m.tables.size()));
  for (const std::string& t : m.tables) PutString(&out, t);
  return out;
}

std::string Encode(const VerifyResult& m) {
  std::string out;
  PutFixed64(&out, m.request_id);
  PutFixed32(&out, static_cast<uint32_t>(m.tables.size() + m.other_tables.size()));
  for (const TableChecksum& t : m.tables) {
    PutString(&out, t.table);
    PutString(&out, t.checksum);
    PutString(&out, t.error);
  }
  for (const std::string& t : m.other_tables) {
    PutString(&out, t);
    PutString(&out, "");
    PutString(&out, "");
  }
  return out;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

Status PeekVersion(std::string_view in, uint16_t* version) {
  return GetFixed16(&in, version) ? Status::Ok() : Malformed("hello");
}

std::string EscapeForLog(std::string_view text, size_t max_length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_length) {
      out += fmt::format("... ({} bytes more)", text.size() - i);
      break;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Status Decode(std::string_view in, Hello* m) {
  const bool ok = GetFixed16(&in, &m->version) && GetString(&in, &m->slave_id, kMaxIdLength) &&
                  GetString(&in, &m->replication_id, kMaxIdLength) &&
                  GetFixed64(&in, &m->applied_seq) && GetBytes(&in, &m->slave_nonce);
  m->purpose = HelloPurpose::kFollow;
  if (ok && m->version >= 3) {
    uint8_t purpose = 0;
    if (!GetFixed8(&in, &purpose) || purpose > static_cast<uint8_t>(HelloPurpose::kProvision)) {
      return Status::Corruption("malformed hello message: bad purpose");
    }
    m->purpose = static_cast<HelloPurpose>(purpose);
  }
  Status s = Finish(ok, in, "hello");
  if (!s.ok()) return s;
  if (!IsValidId(m->slave_id)) return Status::Corruption("malformed hello message: bad slave id");
  if (!m->replication_id.empty() && !IsValidId(m->replication_id)) {
    return Status::Corruption("malformed hello message: bad replication id");
  }
  return s;
}

Status Decode(std::string_view in, Challenge* m) {
  return Finish(GetBytes(&in, &m->nonce) && GetBytes(&in, &m->proof), in, "challenge");
}
Status Decode(std::string_view in, Auth* m) { return Finish(GetBytes(&in, &m->mac), in, "auth"); }

Status Decode(std::string_view in, Welcome* m) {
  const bool ok = GetString(&in, &m->replication_id, kMaxNameLength) &&
                  GetFixed64(&in, &m->from_seq) && GetFixed64(&in, &m->last_seq);
  return Finish(ok, in, "welcome");
}

Status Decode(std::string_view in, Reject* m) {
  uint8_t code = 0;
  const bool ok = GetFixed8(&in, &code) && GetString(&in, &m->reason, kMaxMessageLength);
  m->code = static_cast<RejectCode>(code);
  return Finish(ok, in, "reject");
}

Status Decode(std::string_view in, Ack* m) {
  uint8_t outcome = 0;
  const bool ok = GetFixed64(&in, &m->seq) && GetFixed8(&in, &outcome) &&
                  GetFixed32(&in, &m->sql_errno) && GetString(&in, &m->message, kMaxMessageLength);
  if (ok && (outcome < 1 || outcome > 3)) return Malformed("ack");
  m->outcome = static_cast<AckOutcome>(outcome);
  return Finish(ok, in, "ack");
}

Status Decode(std::string_view in, Heartbeat* m) {
  return Finish(GetFixed64(&in, &m->seq), in, "heartbeat");
}

}  // namespace sqlrepl::protocol

namespace sqlrepl::protocol {

Status Decode(std::string_view in, Verify* m) {
  uint32_t count = 0;
  bool ok = GetFixed64(&in, &m->request_id) && GetString(&in, &m->database, kMaxNameLength) &&
            GetFixed32(&in, &count) && count <= kMaxVerifyTables;
  m->tables.clear();
  for (uint32_t i = 0; ok && i < count; ++i) {
    std::string t;
    ok = GetString(&in, &t, kMaxNameLength);
    m->tables.push_back(std::move(t));
  }
  return Finish(ok, in, "verify");
}

Status Decode(std::string_view in, VerifyResult* m) {
  uint32_t count = 0;
  bool ok = GetFixed64(&in, &m->request_id) && GetFixed32(&in, &count) && count <= kMaxVerifyTables;
  m->tables.clear();
  m->other_tables.clear();
  for (uint32_t i = 0; ok && i < count; ++i) {
    TableChecksum t;
    ok = GetString(&in, &t.table, kMaxNameLength) && GetString(&in, &t.checksum, kMaxNameLength) &&
         GetString(&in, &t.error, kMaxMessageLength);
    if (t.checksum.empty() && t.error.empty()) {
      m->other_tables.push_back(std::move(t.table));
    } else {
      ok = ok && m->other_tables.empty();  // answers come before the other tables
      m->tables.push_back(std::move(t));
    }
  }
  return Finish(ok, in, "verify result");
}

std::string Encode(const SnapshotBegin& m) {
  std::string out;
  PutString(&out, m.replication_id);
  PutFixed64(&out, m.position);
  PutString(&out, m.database);
  PutFixed32(&out, m.table_count);
  PutFixed64(&out, m.rows_estimate);
  PutFixed64(&out, m.bytes_estimate);
  PutFixed32(&out, static_cast<uint32_t>(m.not_copied.size()));
  for (const std::string& n : m.not_copied) PutString(&out, n);
  return out;
}

std::string Encode(const SnapshotTable& m) {
  std::string out;
  PutString(&out, m.name);
  PutString(&out, m.create_sql);
  PutFixed64(&out, m.rows_estimate);
  PutFixed64(&out, m.bytes_estimate);
  PutFixed16(&out, static_cast<uint16_t>(m.columns.size()));
  for (const std::string& c : m.columns) PutString(&out, c);
  return out;
}

std::string Encode(const SnapshotRows& m) {
  std::string out;
  PutFixed32(&out, static_cast<uint32_t>(m.rows.size()));
  for (const SnapshotRow& row : m.rows) {
    PutFixed16(&out, static_cast<uint16_t>(row.size()));
    for (const SnapshotValue& v : row) {
      PutFixed8(&out, v ? 0 : 1);
      PutString(&out, v ? *v : std::string_view());
    }
  }
  return out;
}

std::string Encode(const SnapshotEnd& m) {
  std::string out;
  PutFixed32(&out, m.tables);
  PutFixed64(&out, m.rows);
  PutFixed64(&out, m.bytes);
  return out;
}

std::string Encode(const SnapshotProgress& m) {
  std::string out;
  PutFixed64(&out, m.rows);
  PutFixed64(&out, m.bytes);
  return out;
}

Status Decode(std::string_view in, SnapshotBegin* m) {
  uint32_t count = 0;
  bool ok = GetString(&in, &m->replication_id, kMaxNameLength) && GetFixed64(&in, &m->position) &&
            GetString(&in, &m->database, kMaxNameLength) && GetFixed32(&in, &m->table_count) &&
            GetFixed64(&in, &m->rows_estimate) && GetFixed64(&in, &m->bytes_estimate) &&
            GetFixed32(&in, &count) && count <= kMaxSnapshotNotCopied;
  m->not_copied.clear();
  for (uint32_t i = 0; ok && i < count; ++i) {
    std::string n;
    ok = GetString(&in, &n, kMaxNameLength);
    m->not_copied.push_back(std::move(n));
  }
  return Finish(ok, in, "snapshot begin");
}

Status Decode(std::string_view in, SnapshotTable* m) {
  uint16_t columns = 0;
  bool ok = GetString(&in, &m->name, kMaxNameLength) &&
            GetString(&in, &m->create_sql, kMaxFrameSize) && GetFixed64(&in, &m->rows_estimate) &&
            GetFixed64(&in, &m->bytes_estimate) && GetFixed16(&in, &columns) &&
            columns <= kMaxSnapshotColumns;
  m->columns.clear();
  for (uint16_t i = 0; ok && i < columns; ++i) {
    std::string c;
    ok = GetString(&in, &c, kMaxNameLength);
    m->columns.push_back(std::move(c));
  }
  return Finish(ok, in, "snapshot table");
}

Status Decode(std::string_view in, SnapshotRows* m) {
  uint32_t count = 0;
  // Each row takes at least its 2-byte column count: a count the payload
  // cannot hold is refused before anything is allocated for it.
  bool ok = GetFixed32(&in, &count) && count <= in.size() / 2;
  m->rows.clear();
  m->rows.reserve(ok ? count : 0);
  for (uint32_t r = 0; ok && r < count; ++r) {
    uint16_t columns = 0;
    ok = GetFixed16(&in, &columns) && columns <= kMaxSnapshotColumns;
    SnapshotRow row;
    for (uint16_t c = 0; ok && c < columns; ++c) {
      uint8_t null = 0;
      std::string value;
      ok = GetFixed8(&in, &null) && null <= 1 && GetString(&in, &value, kMaxFrameSize) &&
           (null == 0 || value.empty());
      row.push_back(null ? SnapshotValue() : SnapshotValue(std::move(value)));
    }
    m->rows.push_back(std::move(row));
  }
  return Finish(ok, in, "snapshot rows");
}

Status Decode(std::string_view in, SnapshotEnd* m) {
  const bool ok =
      GetFixed32(&in, &m->tables) && GetFixed64(&in, &m->rows) && GetFixed64(&in, &m->bytes);
  return Finish(ok, in, "snapshot end");
}

Status Decode(std::string_view in, SnapshotProgress* m) {
  const bool ok = GetFixed64(&in, &m->rows) && GetFixed64(&in, &m->bytes);
  return Finish(ok, in, "snapshot progress");
}

}  // namespace sqlrepl::protocol
