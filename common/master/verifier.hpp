// \verify: compares CHECKSUM TABLE of tables on the master with every
// connected slave, after the slaves have applied everything logged so far.
//
// 1. Wait until every connected slave has applied the log's last event.
// 2. Compute the master's checksums, then ask the slaves over the
//    replication link; each answers after every event before the request.
// 3. Report one comparison per table, and, when every table was compared,
//    the tables that exist only on a slave.
//
// Runs on the prompt's thread; blocks for at most kWait per step.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "db/connection.hpp"
#include "feed/server.hpp"
#include "feed/slave_registry.hpp"
#include "log/replication_log.hpp"

namespace sqlrepl::master {

struct TableComparison {
  std::string table;
  std::string master;               // checksum, or "missing"
  std::vector<std::string> slaves;  // per slave of the report: checksum, "missing" or "no answer"
  bool same = false;        // every slave answered with the master's checksum
  bool different = false;   // some slave answered with another (or the master's is missing)
  bool unanswered = false;  // some slave did not answer: nothing is known of its copy
};

// A base table a slave holds in the database and the master does not.
struct SlaveOnlyTable {
  std::string slave;
  std::string table;
};

struct VerifyReport {
  std::vector<std::string> slaves;
  std::vector<TableComparison> tables;
  size_t differences = 0;              // tables some slave answered differently for
  std::vector<std::string> unanswered;  // slaves that did not answer in time
  // Only when every table was compared (none named); by slave, then table.
  std::vector<SlaveOnlyTable> slave_only;
};

class Verifier {
 public:
  // All must outlive the verifier. `conn` reads the master's checksums and
  // must see only committed data (not the prompt's open transaction).
  Verifier(db::Connection* conn, feed::SlaveRegistry* registry, feed::ReplicationServer* server,
           const log::ReplicationLog* log)
      : conn_(conn), registry_(registry), server_(server), log_(log) {}

  // Compares `tables` of `database` (every base table when empty, and then
  // also names the base tables that only a slave holds).
  // kFailedPrecondition when no slave is connected or there is no table;
  // kUnavailable when `stop` (asked when the registry is woken: Ctrl-C)
  // ended a wait.
  Result<VerifyReport> Run(const std::string& database, std::vector<std::string> tables,
                           const std::function<bool()>& stop = nullptr);

  static constexpr auto kWait = std::chrono::seconds(60);

 private:
  Status ListTables(const std::string& database, std::vector<std::string>* tables);
  std::string MasterChecksum(const std::string& database, const std::string& table);

  db::Connection* conn_;
  feed::SlaveRegistry* registry_;
  feed::ReplicationServer* server_;
  const log::ReplicationLog* log_;
  uint64_t next_request_id_ = 1;
};

}  // namespace sqlrepl::master
