#include "base/status.hpp"

#include <fmt/format.h>

namespace sqlrepl {

std::string Status::ToString() const {
  if (code_ == StatusCode::kSqlError) {
    return fmt::format("ERROR {} ({}): {}", sql_errno_, sqlstate_, message_);
  }
  return message_;
}

}  // namespace sqlrepl
