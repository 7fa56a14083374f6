// What a node tells its HTTP server: one implementation per role
// (http/master_api.hpp, http/slave_api.hpp). Called on the server's worker
// threads, several at once: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "http/http_rules.hpp"

namespace sqlrepl::http {

// An HTTP status with its JSON body.
struct Answer {
  int status = 200;
  nlohmann::json body;
};

// {"error": message} with `status`.
inline Answer ErrorAnswer(int status, const std::string& message) {
  return Answer{status, nlohmann::json{{"error", message}}};
}

class NodeApi {
 public:
  virtual ~NodeApi() = default;
  // GET /api/status (docs/api.md).
  virtual nlohmann::json Status() = 0;
  // GET /primary: this node takes writes.
  virtual bool IsPrimary() = 0;
  // GET /replica: a slave connected to its master and at most `max_lag`
  // events behind; *why says otherwise.
  virtual bool IsReplica(uint64_t max_lag, std::string* why) = 0;
  // GET /metrics, Prometheus text format.
  virtual std::string Metrics() = 0;
  // GET /api/events?after=N&limit=K.
  virtual Answer Events(uint64_t after, size_t limit) = 0;
  // POST /api/sql.
  virtual Answer Sql(const SqlRequest& request) = 0;
};

}  // namespace sqlrepl::http
