#include "http/http_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "app/startup.hpp"
#include "sql/splitter.hpp"

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

namespace {

// Each of `text`'s statements onto `out`, as the prompt splits them.
Status AppendStatements(const std::string& text, std::vector<std::string>* out) {
  sql::StatementSplitter splitter;
  splitter.Feed(text);
  splitter.Finish();
  while (std::optional<sql::SplitStatement> st = splitter.Next()) {
    if (!st->error.empty()) return Status::InvalidArgument(st->error);
    if (!st->text.empty()) out->push_back(std::move(st->text));
  }
  return Status::Ok();
}

}  // namespace

Result<SqlRequest> ParseSqlRequest(std::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("the body is not valid JSON");
  if (!doc.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  SqlRequest request;
  const auto sql = doc.find("sql");
  if (sql == doc.end()) return Status::InvalidArgument("missing field \"sql\"");
  if (sql->is_string()) {
    if (Status s = AppendStatements(sql->get<std::string>(), &request.statements); !s.ok()) {
      return s;
    }
  } else if (sql->is_array() && !sql->empty()) {
    for (const nlohmann::json& text : *sql) {
      if (!text.is_string()) {
        return Status::InvalidArgument("\"sql\" must be a string or a list of strings");
      }
      if (Status s = AppendStatements(text.get<std::string>(), &request.statements); !s.ok()) {
        return s;
      }
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

namespace {

// What a statement is, as the refusal names it; empty when the API may run
// it. An allow-list: what is not known to leave the session as it was is
// refused, so that a kind of statement added later is refused too.
std::string OutlastingPart(const sql::Classification& c) {
  using sql::StatementKind;
  using sql::TransactionOp;
  if (!c.user_variables.empty()) {
    return "a statement with a user variable (@" + c.user_variables.front() + ")";
  }
  if (std::find(c.functions.begin(), c.functions.end(), "GET_LOCK") != c.functions.end()) {
    return "GET_LOCK()";
  }
  switch (c.kind) {
    case StatementKind::kEmpty:
    case StatementKind::kRead:
    case StatementKind::kDataChange:
    case StatementKind::kGlobalState:
    case StatementKind::kFileAccess:
      return "";
    case StatementKind::kDdl:
      return c.temporary ? "a temporary table" : "";
    case StatementKind::kAccount:
      return c.verb == "SET ROLE" ? c.verb : "";
    case StatementKind::kSessionState:
      return c.use_database.empty() ? c.verb : "";  // USE is undone after the request
    case StatementKind::kTransaction:
      switch (c.transaction) {
        case TransactionOp::kBegin:
        case TransactionOp::kCommit:
        case TransactionOp::kRollback:
        case TransactionOp::kSavepoint:
        case TransactionOp::kRollbackToSavepoint:
        case TransactionOp::kReleaseSavepoint:
          return "";  // an open transaction is rolled back after the request
        default:
          return c.verb;
      }
    case StatementKind::kAdmin:
    case StatementKind::kDynamicSql:
    case StatementKind::kCompound:
    case StatementKind::kRoutineCall:
    case StatementKind::kUnknown:
      break;
  }
  return c.verb.empty() ? "this statement" : c.verb;
}

}  // namespace

std::string SessionChangeRefusal(const sql::Classification& c) {
  const std::string what = OutlastingPart(c);
  if (what.empty()) return "";
  return what + " is not run over the API: it could change the database session that the "
                "master's API shares with its prompt and every request (run it at the prompt)";
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
