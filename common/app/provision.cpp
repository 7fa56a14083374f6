#include "app/provision.hpp"

#include <fmt/format.h>

#include <map>

#include "app/setup.hpp"
#include "base/strings.hpp"
#include "db/privileges.hpp"
#include "provision/gate.hpp"
#include "provision/loader.hpp"
#include "replication/slave_position.hpp"

namespace sqlrepl::app {

Result<db::Connection> PrepareProvisioning(const config::SlaveConfig& cfg, bool force,
                                           const std::function<void(const std::string&)>& print) {
  Result<db::Connection> admin = ConnectAdministrator(cfg, "slave --provision");
  if (!admin.ok()) return admin.status();
  const std::string& database = cfg.db.database;
  const std::string& meta = cfg.meta_schema;
  // 1. What is there: DB_NAME's tables and views, and the marker.
  Result<bool> set_up = db::TableExists(&*admin, meta, replication::kSlavePositionTable);
  if (!set_up.ok()) return set_up.status();
  if (!*set_up) {
    return Status::FailedPrecondition(fmt::format("{}.{} does not exist: run slave --setup first",
                                                  QuoteName(meta),
                                                  replication::kSlavePositionTable));
  }
  Result<db::QueryResult> objects = admin->Execute(
      "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
      admin->Quote(database) + " ORDER BY TABLE_NAME");
  if (!objects.ok()) return objects.status();
  std::map<std::string, bool> is_view;
  provision::GateFacts facts{database, {}, false, force};
  for (const db::Row& row : objects->rows) {
    const std::string name = row[0].value_or("");
    is_view[name] = row[1].value_or("") == "VIEW";
    facts.tables.push_back(name);
  }
  Result<bool> marker = replication::ProvisioningUnfinished(&*admin, meta);
  if (!marker.ok()) return marker.status();
  facts.marker = *marker;
  const provision::GateDecision gate = provision::DecideGate(facts);
  if (!gate.proceed) return Status::FailedPrecondition(gate.refusal);
  // 2. The marker, committed before anything changes: from here on a
  // slave started on this database refuses until a provisioning finishes.
  if (Status s = admin->Run(replication::ProvisionMarkerInsertSql(meta)); !s.ok()) return s;
  // 3. DB_NAME emptied, in a session readied for loading (foreign keys
  // between the dropped tables are not checked).
  if (Status s = provision::PrepareLoadSession(&*admin); !s.ok()) return s;
  for (const std::string& name : gate.drop) {
    const std::string sql = fmt::format("DROP {} IF EXISTS {}.{}", is_view[name] ? "VIEW" : "TABLE",
                                        QuoteName(database), QuoteName(name));
    if (Status s = admin->Run(sql); !s.ok()) return s;
  }
  if (!gate.drop.empty()) {
    print(fmt::format("Removed {} object{} from database '{}'.", gate.drop.size(),
                      gate.drop.size() == 1 ? "" : "s", database));
  }
  for (const std::string& sql :
       {fmt::format("CREATE DATABASE IF NOT EXISTS {}", QuoteName(database)),
        "USE " + QuoteName(database)}) {
    if (Status s = admin->Run(sql); !s.ok()) return s;
  }
  return admin;
}

}  // namespace sqlrepl::app
