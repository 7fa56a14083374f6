// Our types as the API's JSON (docs/api.md): the one place that knows how
// a result set, an event or an outcome is spelled.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.hpp"
#include "db/query_result.hpp"

namespace sqlrepl::http {

// {"columns":[{"name","type"}], "rows":[[...]], "affected_rows", "insert_id",
// "warnings":[{"level","code","message"}]}; NULL as null, a binary column's
// values in base64; the result sets after the first under "more_results".
nlohmann::json ResultJson(const db::QueryResult& result);

// {"ok": false, "error": text, "errno": N, "sqlstate": "..."} fields of a failed statement.
void AddError(const Status& error, nlohmann::json* out);

std::string Base64(std::string_view bytes);

}  // namespace sqlrepl::http
