// The slave's answers to its HTTP API (docs/api.md): its link and applier
// as `status` at its prompt shows them, and reads on a read-only session of
// its own, as its prompt runs them; anything else is refused (403) with
// the line that names the master.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "db/connection.hpp"
#include "http/node_api.hpp"
#include "slave/applier.hpp"
#include "slave/master_link.hpp"

namespace sqlrepl::http {

class SlaveApi : public NodeApi {
 public:
  struct Options {
    std::string slave_id;
    std::string database;
    std::string master;  // MASTER_HOST:MASTER_PORT
    bool tls = false;    // the HTTP server's
    db::ConnectOptions db;
  };

  // `link` and `applier` must outlive the API.
  SlaveApi(Options options, const slave::MasterLink* link, const slave::Applier* applier)
      : options_(std::move(options)), link_(link), applier_(applier) {}

  nlohmann::json Status() override;
  bool IsPrimary() override { return false; }
  bool IsReplica(uint64_t max_lag, std::string* why) override;
  std::string Metrics() override;
  Answer Events(uint64_t after, size_t limit) override;
  Answer Sql(const SqlRequest& request) override;

 private:
  using Clock = std::chrono::steady_clock;
  // Runs one read on the session, opened (read-only) as needed. Requires session_mu_.
  Result<db::QueryResult> Read(const std::string& sql);

  Options options_;
  const slave::MasterLink* link_;
  const slave::Applier* applier_;
  const Clock::time_point started_ = Clock::now();
  std::mutex session_mu_;
  std::optional<db::Connection> session_;
};

}  // namespace sqlrepl::http
