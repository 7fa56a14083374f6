// Status and Result<T>: errors as values, in the style of abseil's status.h.
//
// The core never throws: a refused statement, a lost server or a slave that
// went away are ordinary events, and the caller decides whether to retry
// (kUnavailable) or stop and say why (kFailedPrecondition).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace sqlrepl {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // bad input or configuration; do not retry
  kCorruption,          // a byte stream that cannot be decoded
  kIoError,             // a local file or socket failed
  kUnavailable,         // peer or server gone; retry with backoff
  kFailedPrecondition,  // state must be fixed first (log id mismatch, gap)
  kSqlError,            // the database answered with an error
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  // A database error: errno and SQLSTATE as the server reported them.
  static Status SqlError(unsigned sql_errno, std::string sqlstate, std::string m) {
    Status s(StatusCode::kSqlError, std::move(m));
    s.sql_errno_ = sql_errno;
    s.sqlstate_ = std::move(sqlstate);
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  unsigned sql_errno() const { return sql_errno_; }
  const std::string& sqlstate() const { return sqlstate_; }

  // "ERROR 1146 (42S02): Table ... doesn't exist" for SQL errors, as the
  // mysql client prints them; the bare message otherwise.
  std::string ToString() const;

  // The same error (code, errno, SQLSTATE) told in other words.
  Status WithMessage(std::string m) const {
    Status s = *this;
    s.message_ = std::move(m);
    return s;
  }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  unsigned sql_errno_ = 0;
  std::string sqlstate_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "a Result made from a Status must carry an error");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace sqlrepl
