// The master's answers to its HTTP API (docs/api.md). POST /api/sql runs
// on the one write path, the prompt's executor, taken in turn with the
// prompt through `write_path`: the same splitter, classifier, unsafe rule,
// log and reconnect rules, one statement at a time, in one order.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "db/connection.hpp"
#include "feed/slave_registry.hpp"
#include "http/node_api.hpp"
#include "http/replication_stats.hpp"
#include "log/replication_log.hpp"
#include "master/master_executor.hpp"

namespace sqlrepl::http {

class MasterApi : public NodeApi {
 public:
  struct Options {
    std::string node;         // "master"
    std::string replication;  // the slaves' address, LISTEN_HOST:LISTEN_PORT
    bool tls = false;         // the HTTP server's
    int ack_timeout_ms = 5000;
    std::string meta_schema;
    db::ConnectOptions db;  // a session of its own reads the log
  };

  // Every pointer must outlive the API. `write_path` is held by whoever
  // uses `executor` (the prompt, this API).
  MasterApi(Options options, master::MasterExecutor* executor, std::timed_mutex* write_path,
            feed::SlaveRegistry* registry, const log::ReplicationLog* log,
            const ReplicationStats* stats);

  nlohmann::json Status() override;
  bool IsPrimary() override { return true; }
  bool IsReplica(uint64_t, std::string* why) override;
  std::string Metrics() override;
  Answer Events(uint64_t after, size_t limit) override;
  Answer Sql(const SqlRequest& request) override;

 private:
  using Clock = std::chrono::steady_clock;
  // One statement run: its JSON, and the events to wait for.
  struct Ran {
    nlohmann::json json;
    std::vector<uint64_t> committed;
    Clock::time_point committed_at;
    bool ok = false;
  };
  // Runs the request's statements on the write path (held).
  // Why a whole request is refused before anything of it runs.
  struct Refusal {
    int status = 0;  // 0: none
    std::string why;
  };
  std::vector<Ran> RunHeld(const SqlRequest& request, Refusal* refusal);
  // Why none of the request's statements may run, if one of them would
  // change the session the API shares with the prompt (status 0: none).
  Refusal CheckSession(const SqlRequest& request) const;
  Ran RunOne(const std::string& text, std::string* database);
  // {"summary", "slaves": [{"id", "outcome", "message"}]} once the slaves
  // answered `ran`'s events or ACK_TIMEOUT_MS passed.
  nlohmann::json AwaitReplication(const Ran& ran);
  // Runs `sql` on the reading session, opened (again) as needed. Requires reader_mu_.
  Result<db::QueryResult> Read(const std::string& sql);

  Options options_;
  master::MasterExecutor* executor_;
  std::timed_mutex* write_path_;
  feed::SlaveRegistry* registry_;
  const log::ReplicationLog* log_;
  const ReplicationStats* stats_;
  const Clock::time_point started_ = Clock::now();
  std::mutex reader_mu_;
  std::optional<db::Connection> reader_;
  std::string server_version_;  // MariaDB's, read with the first status
};

}  // namespace sqlrepl::http
