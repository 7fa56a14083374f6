#include "db/connection.hpp"

#include <errmsg.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <cstdlib>

#include "db/pipeline.hpp"

namespace sqlrepl::db {
namespace {

ValueKind KindOf(enum_field_types t) {
  switch (t) {
    case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_LONG: case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_YEAR:
      return ValueKind::kInteger;
    case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL:
      return ValueKind::kDecimal;
    case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE:
      return ValueKind::kReal;
    default:
      return ValueKind::kString;
  }
}

// Dates and times: text, although the server gives them the binary
// character set (63), as it does byte strings.
bool IsTemporalType(enum_field_types t) {
  switch (t) {
    case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE: case MYSQL_TYPE_TIME: case MYSQL_TYPE_TIME2:
    case MYSQL_TYPE_DATETIME: case MYSQL_TYPE_DATETIME2: case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIMESTAMP2:
      return true;
    default:
      return false;
  }
}

std::string CharsetName(unsigned number) {
  const MARIADB_CHARSET_INFO* info = mariadb_get_charset_by_nr(number);
  return info != nullptr && info->csname != nullptr ? info->csname : "binary";
}

bool IsNumericType(enum_field_types t) {
  switch (t) {
    case MYSQL_TYPE_DECIMAL: case MYSQL_TYPE_NEWDECIMAL: case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT: case MYSQL_TYPE_LONG: case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE: case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_YEAR: case MYSQL_TYPE_BIT:
      return true;
    default:
      return false;
  }
}

struct ResultCloser {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using ResultPtr = std::unique_ptr<MYSQL_RES, ResultCloser>;

}  // namespace

bool QueryResult::in_transaction() const { return (server_status & SERVER_STATUS_IN_TRANS) != 0; }
bool QueryResult::autocommit() const { return (server_status & SERVER_STATUS_AUTOCOMMIT) != 0; }

LibraryGuard::LibraryGuard() { mysql_library_init(0, nullptr, nullptr); }
LibraryGuard::~LibraryGuard() { mysql_library_end(); }

Result<Connection> Connection::Open(const ConnectOptions& o) {
  std::unique_ptr<MYSQL, Closer> handle(mysql_init(nullptr));
  if (!handle) return Status::IoError("mysql_init failed: out of memory");
  MYSQL* m = handle.get();
  const my_bool no = 0;
  mysql_options(m, MYSQL_OPT_RECONNECT, &no);
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &o.connect_timeout_s);
  if (o.read_timeout_s > 0) mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &o.read_timeout_s);
  if (o.write_timeout_s > 0) mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &o.write_timeout_s);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Do not read ~/.my.cnf or /etc/mysql: the .env file is the whole truth.
  const bool use_socket = !o.socket.empty();
  if (use_socket) {
    const unsigned proto = MYSQL_PROTOCOL_SOCKET;
    mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
  } else {
    const unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
  }
  std::string endpoint =
      use_socket ? fmt::format("socket {}", o.socket) : fmt::format("{}:{}", o.host, o.port);
  const char* db = o.database.empty() ? nullptr : o.database.c_str();
  // CLIENT_MULTI_RESULTS lets CALL return its result sets; multi-statements stay off.
  if (mysql_real_connect(m, use_socket ? nullptr : o.host.c_str(), o.user.c_str(),
                         o.password.Reveal().c_str(), db, use_socket ? 0 : o.port,
                         use_socket ? o.socket.c_str() : nullptr,
                         CLIENT_MULTI_RESULTS) == nullptr) {
    return Status::SqlError(mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
  }
  return Connection(std::move(handle), std::move(endpoint), o);
}

Status Connection::Reconnect() {
  // The old handle stays on failure: it keeps answering "gone away".
  Result<Connection> fresh = Open(options_);
  if (!fresh.ok()) return fresh.status();
  handle_ = std::move(fresh->handle_);
  socket_ = fresh->socket_;
  endpoint_ = std::move(fresh->endpoint_);
  return Status::Ok();
}

void Connection::Abort() {
  if (!handle_) return;
  // Closed later with a reset, not a FIN: a server blocked writing a result
  // to this socket would otherwise wait on a peer that never reads, for as
  // long as its net_write_timeout (a snapshot's reader sets a year).
  const linger reset{1, 0};
  ::setsockopt(socket_, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::shutdown(socket_, SHUT_RDWR);
}

Status Connection::LastError() const {
  MYSQL* m = handle_.get();
  return Status::SqlError(mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
}

Result<QueryResult> Connection::Execute(std::string_view sql) {
  if (!handle_) return Status::SqlError(CR_SERVER_GONE_ERROR, "HY000", "not connected");
  ++round_trips_;
  if (mysql_real_query(handle_.get(), sql.data(), sql.size()) != 0) return LastError();
  return StoreResult(capture_warnings_);
}

Status Connection::StreamRows(std::string_view sql, const RowFn& row) {
  if (!handle_) return Status::SqlError(CR_SERVER_GONE_ERROR, "HY000", "not connected");
  MYSQL* m = handle_.get();
  ++round_trips_;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return LastError();
  ResultPtr res(mysql_use_result(m));
  if (!res) return mysql_field_count(m) == 0 ? Status::Ok() : LastError();
  const unsigned n = mysql_num_fields(res.get());
  Row values(n);
  while (MYSQL_ROW fetched = mysql_fetch_row(res.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(res.get());
    for (unsigned i = 0; i < n; ++i) {
      if (fetched[i] == nullptr) {
        values[i].reset();
      } else {
        values[i].emplace(fetched[i], lengths[i]);
      }
    }
    if (!row(values)) {
      // Freeing the result would read the rest of it first.
      Abort();
      return Status::Unavailable("the reader of the rows stopped");
    }
  }
  return mysql_errno(m) != 0 ? LastError() : Status::Ok();
}

std::vector<Result<QueryResult>> Connection::ExecutePipelined(
    const std::vector<std::string>& statements) {
  std::vector<Result<QueryResult>> out;
  if (!handle_) {
    out.assign(statements.size(), Status::SqlError(CR_SERVER_GONE_ERROR, "HY000", "not connected"));
    return out;
  }
  out.reserve(statements.size());
  Status lost = Status::Ok();
  for (size_t from = 0; from < statements.size() && lost.ok();) {
    const size_t end = PipelineChunkEnd(statements, from);
    lost = RunChunk(statements, from, end, &out);
    from = end;
  }
  // Not sent, or their answers lost with the connection.
  while (out.size() < statements.size()) out.push_back(lost);
  return out;
}

Status Connection::RunChunk(const std::vector<std::string>& statements, size_t from, size_t end,
                            std::vector<Result<QueryResult>>* out) {
  MYSQL* m = handle_.get();
  ++round_trips_;
  size_t sent = from;
  while (sent < end && mysql_send_query(m, statements[sent].data(), statements[sent].size()) == 0) {
    ++sent;
  }
  const Status unsent = sent < end ? LastError() : Status::Ok();
  for (size_t i = from; i < sent; ++i) {
    if (mysql_read_query_result(m) != 0) {
      out->push_back(LastError());
      if (IsConnectionLost(out->back().status())) return out->back().status();
      continue;
    }
    // Warnings can be asked for only once no answer is pending.
    out->push_back(StoreResult(capture_warnings_ && i + 1 == statements.size()));
  }
  return unsent;
}

Result<QueryResult> Connection::StoreOne() {
  MYSQL* m = handle_.get();
  QueryResult out;
  ResultPtr res(mysql_store_result(m));
  if (res) {
    out.has_result_set = true;
    const unsigned n = mysql_num_fields(res.get());
    MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
    out.columns.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      const ValueKind kind = KindOf(fields[i].type);
      out.columns.push_back({std::string(fields[i].name, fields[i].name_length),
                             IsNumericType(fields[i].type), kind,
                             kind == ValueKind::kString && !IsTemporalType(fields[i].type)
                                 ? CharsetName(fields[i].charsetnr)
                                 : ""});
    }
    out.rows.reserve(mysql_num_rows(res.get()));
    while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
      const unsigned long* lengths = mysql_fetch_lengths(res.get());
      Row r;
      r.reserve(n);
      for (unsigned i = 0; i < n; ++i) {
        if (row[i] == nullptr) {
          r.emplace_back(std::nullopt);
        } else {
          r.emplace_back(std::string(row[i], lengths[i]));
        }
      }
      out.rows.push_back(std::move(r));
    }
  } else if (mysql_field_count(m) != 0) {
    return LastError();  // a result set was due but could not be read
  } else {
    out.affected_rows = mysql_affected_rows(m);
    out.insert_id = mysql_insert_id(m);
    if (const char* info = mysql_info(m)) out.info = info;
  }
  out.warning_count = mysql_warning_count(m);
  out.server_status = m->server_status;
  return out;
}

Result<QueryResult> Connection::StoreResult(bool capture_warnings) {
  MYSQL* m = handle_.get();
  Result<QueryResult> first = StoreOne();
  if (!first.ok()) return first;
  QueryResult out = std::move(first).value();
  // A CALL answers with one result set per SELECT it ran, then a status.
  for (int more = mysql_next_result(m); more == 0; more = mysql_next_result(m)) {
    Result<QueryResult> next = StoreOne();
    if (!next.ok()) return next.status();
    out.more_results.push_back(std::move(next).value());
  }
  if (mysql_errno(m) != 0) return LastError();
  out.server_status = m->server_status;
  if (!out.more_results.empty()) out.warning_count = out.more_results.back().warning_count;
  if (capture_warnings && out.warning_count > 0) out.warnings = FetchWarnings();
  return out;
}

std::vector<Warning> Connection::FetchWarnings() {
  std::vector<Warning> out;
  MYSQL* m = handle_.get();
  ++round_trips_;
  if (mysql_real_query(m, "SHOW WARNINGS", 13) != 0) return out;
  Result<QueryResult> r = StoreOne();
  while (mysql_next_result(m) == 0) ResultPtr drop(mysql_store_result(m));
  return r.ok() ? WarningsFrom(*r) : out;
}

std::vector<Warning> WarningsFrom(const QueryResult& show_warnings) {
  std::vector<Warning> out;
  for (const Row& row : show_warnings.rows) {
    if (row.size() < 3) continue;
    out.push_back({row[0].value_or(""),
                   static_cast<unsigned>(std::strtoul(row[1].value_or("0").c_str(), nullptr, 10)),
                   row[2].value_or("")});
  }
  return out;
}

std::string Connection::Quote(std::string_view text) {
  std::string out(text.size() * 2 + 3, '\0');
  out[0] = '\'';
  const unsigned long n =
      mysql_real_escape_string(handle_.get(), out.data() + 1, text.data(), text.size());
  out.resize(n + 1);
  out += '\'';
  return out;
}

unsigned Connection::server_status() const { return handle_ ? handle_->server_status : 0; }
unsigned long Connection::thread_id() const { return handle_ ? mysql_thread_id(handle_.get()) : 0; }

bool IsConnectionLost(const Status& status) {
  if (status.code() != StatusCode::kSqlError) return status.code() == StatusCode::kUnavailable;
  switch (status.sql_errno()) {
    case CR_CONNECTION_ERROR: case CR_CONN_HOST_ERROR: case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST: case CR_SERVER_LOST_EXTENDED:
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
      return true;
    default:
      return false;
  }
}

}  // namespace sqlrepl::db
