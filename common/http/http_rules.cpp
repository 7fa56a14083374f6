#include "http/http_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "app/startup.hpp"

namespace sqlrepl::http {

Status CheckListen(const std::string& host, bool tls, bool allow_plaintext) {
  if (tls || allow_plaintext || app::IsLoopback(host)) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "HTTP_LISTEN is {}, not a loopback address, and TLS_CERT/TLS_KEY are not set: the API "
      "token and every result would cross the network readable. Set TLS_CERT and TLS_KEY "
      "(HTTPS), listen on 127.0.0.1, or set HTTP_ALLOW_PLAINTEXT=1 to accept that",
      host));
}

bool TokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || authorization.size() != kScheme.size() + token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < authorization.size(); ++i) {
    const char want = i < kScheme.size() ? kScheme[i] : token[i - kScheme.size()];
    diff |= static_cast<unsigned char>(authorization[i] ^ want);
  }
  return diff == 0;
}

Result<SqlRequest> ParseSqlRequest(std::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("the body is not valid JSON");
  if (!doc.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  SqlRequest request;
  const auto sql = doc.find("sql");
  if (sql == doc.end()) return Status::InvalidArgument("missing field \"sql\"");
  if (sql->is_string()) {
    request.statements.push_back(sql->get<std::string>());
  } else if (sql->is_array() && !sql->empty()) {
    for (const nlohmann::json& s : *sql) {
      if (!s.is_string()) {
        return Status::InvalidArgument("\"sql\" must be a string or a list of strings");
      }
      request.statements.push_back(s.get<std::string>());
    }
  } else {
    return Status::InvalidArgument("\"sql\" must be a string or a non-empty list of strings");
  }
  const auto force = doc.find("force");
  if (force != doc.end()) {
    if (!force->is_boolean()) return Status::InvalidArgument("\"force\" must be true or false");
    request.force = force->get<bool>();
  }
  return request;
}

std::string SessionChangeRefusal(const sql::Classification& c) {
  using sql::StatementKind;
  using sql::TransactionOp;
  const auto calls = [&c](const char* f) {
    return std::find(c.functions.begin(), c.functions.end(), f) != c.functions.end();
  };
  std::string what;
  if (c.kind == StatementKind::kSessionState && c.use_database.empty()) {
    what = c.verb;
  } else if (c.transaction == TransactionOp::kAutocommitOn ||
             c.transaction == TransactionOp::kAutocommitOff ||
             c.transaction == TransactionOp::kSetTransaction) {
    what = c.verb;
  } else if (c.kind == StatementKind::kAdmin &&
             (c.verb.rfind("LOCK ", 0) == 0 || c.verb.rfind("UNLOCK ", 0) == 0)) {
    what = c.verb;
  } else if (c.kind == StatementKind::kDdl && c.temporary) {
    what = "a temporary table";
  } else if (c.kind == StatementKind::kDynamicSql && (c.verb == "PREPARE" || c.verb == "DEALLOCATE")) {
    what = c.verb;
  } else if (!c.user_variables.empty()) {
    what = "a user variable (@" + c.user_variables.front() + ")";
  } else if (calls("GET_LOCK")) {
    what = "GET_LOCK()";
  }
  if (what.empty()) return "";
  return what + " changes the session, which the master's API shares with its prompt and every "
                "request; not run over the API (run it at the prompt)";
}

Result<uint64_t> ParseCount(const std::string& name, const std::optional<std::string>& value,
                            uint64_t fallback) {
  if (!value) return fallback;
  uint64_t out = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, out);
  if (value->empty() || ec != std::errc() || ptr != end) {
    return Status::InvalidArgument(
        fmt::format("{} must be a whole number of 0 or more, got '{}'", name, *value));
  }
  return out;
}

}  // namespace sqlrepl::http
