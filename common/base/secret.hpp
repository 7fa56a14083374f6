// Secret: a string that cannot be printed by accident.
//
// Passwords and tokens travel in this type so that no stream operator,
// format call or log line can show them; the one way out is Reveal(), which
// stands out in review.
#pragma once

#include <string>
#include <utility>

namespace sqlrepl {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

 private:
  std::string value_;
};

}  // namespace sqlrepl
