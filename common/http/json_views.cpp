#include "http/json_views.hpp"

#include <openssl/evp.h>

namespace sqlrepl::http {
namespace {

const char* TypeName(const db::Column& c) {
  switch (c.kind) {
    case db::ValueKind::kInteger:
      return "integer";
    case db::ValueKind::kDecimal:
      return "decimal";
    case db::ValueKind::kReal:
      return "real";
    case db::ValueKind::kString:
      break;
  }
  return c.charset == "binary" ? "binary" : "string";
}

}  // namespace

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

nlohmann::json ResultJson(const db::QueryResult& r) {
  nlohmann::json out = nlohmann::json::object();
  if (r.has_result_set) {
    nlohmann::json columns = nlohmann::json::array();
    for (const db::Column& c : r.columns)
      columns.push_back({{"name", c.name}, {"type", TypeName(c)}});
    nlohmann::json rows = nlohmann::json::array();
    for (const db::Row& row : r.rows) {
      nlohmann::json cells = nlohmann::json::array();
      for (size_t i = 0; i < row.size(); ++i) {
        const bool binary = i < r.columns.size() && r.columns[i].charset == "binary" &&
                            r.columns[i].kind == db::ValueKind::kString;
        if (!row[i]) {
          cells.push_back(nullptr);
        } else {
          cells.push_back(binary ? Base64(*row[i]) : *row[i]);
        }
      }
      rows.push_back(std::move(cells));
    }
    out["columns"] = std::move(columns);
    out["rows"] = std::move(rows);
  }
  out["affected_rows"] = r.affected_rows;
  out["insert_id"] = r.insert_id;
  nlohmann::json warnings = nlohmann::json::array();
  for (const db::Warning& w : r.warnings) {
    warnings.push_back({{"level", w.level}, {"code", w.code}, {"message", w.message}});
  }
  out["warnings"] = std::move(warnings);
  if (!r.more_results.empty()) {
    nlohmann::json more = nlohmann::json::array();
    for (const db::QueryResult& m : r.more_results) more.push_back(ResultJson(m));
    out["more_results"] = std::move(more);
  }
  return out;
}

void AddError(const Status& error, nlohmann::json* out) {
  (*out)["ok"] = false;
  (*out)["error"] = error.ToString();
  if (error.code() == StatusCode::kSqlError) {
    (*out)["errno"] = error.sql_errno();
    (*out)["sqlstate"] = error.sqlstate();
  }
}

}  // namespace sqlrepl::http
