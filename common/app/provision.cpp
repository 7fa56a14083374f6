#include "app/provision.hpp"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "app/setup.hpp"
#include "base/strings.hpp"
#include "db/privileges.hpp"
#include "provision/gate.hpp"
#include "provision/loader.hpp"
#include "replication/slave_position.hpp"

namespace sqlrepl::app {

Result<ProvisionPlan> PlanProvisioning(const config::SlaveConfig& cfg, bool force) {
  Result<db::Connection> admin = ConnectAdministrator(cfg, "slave --provision");
  if (!admin.ok()) return admin.status();
  const std::string& database = cfg.db.database;
  const std::string& meta = cfg.meta_schema;
  // What is there: DB_NAME's tables and views, and the marker.
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
  std::set<std::string> views;
  provision::GateFacts facts{database, {}, false, force};
  for (const db::Row& row : objects->rows) {
    const std::string name = row[0].value_or("");
    if (row[1].value_or("") == "VIEW") views.insert(name);
    facts.tables.push_back(name);
  }
  Result<bool> marker = replication::ProvisioningUnfinished(&*admin, meta);
  if (!marker.ok()) return marker.status();
  facts.marker = *marker;
  const provision::GateDecision gate = provision::DecideGate(facts);
  if (!gate.proceed) return Status::FailedPrecondition(gate.refusal);
  ProvisionPlan plan{std::move(admin).value(), {}, {}};
  for (const std::string& name : gate.drop) {
    (views.count(name) > 0 ? plan.views : plan.tables).push_back(name);
  }
  return plan;
}

Status ClearForProvisioning(const config::SlaveConfig& cfg, ProvisionPlan* plan,
                            const std::function<void(const std::string&)>& print) {
  db::Connection& admin = plan->admin;
  const std::string& database = cfg.db.database;
  // 2. The marker, committed before anything changes: from here on a
  // slave started on this database refuses until a provisioning finishes.
  if (Status s = admin.Run(replication::ProvisionMarkerInsertSql(cfg.meta_schema)); !s.ok()) {
    return s;
  }
  // 3. DB_NAME emptied, in a session readied for loading (foreign keys
  // between the dropped tables are not checked).
  if (Status s = provision::PrepareLoadSession(&admin); !s.ok()) return s;
  for (const auto& [kind, names] : {std::pair{"VIEW", &plan->views}, {"TABLE", &plan->tables}}) {
    for (const std::string& name : *names) {
      const std::string sql =
          fmt::format("DROP {} IF EXISTS {}.{}", kind, QuoteName(database), QuoteName(name));
      if (Status s = admin.Run(sql); !s.ok()) return s;
    }
  }
  const size_t dropped = plan->views.size() + plan->tables.size();
  if (dropped > 0) {
    print(fmt::format("Removed {} object{} from database '{}'.", dropped, dropped == 1 ? "" : "s",
                      database));
  }
  for (const std::string& sql :
       {fmt::format("CREATE DATABASE IF NOT EXISTS {}", QuoteName(database)),
        "USE " + QuoteName(database)}) {
    if (Status s = admin.Run(sql); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<db::Connection> PrepareProvisioning(const config::SlaveConfig& cfg, bool force,
                                           const std::function<void(const std::string&)>& print) {
  Result<ProvisionPlan> plan = PlanProvisioning(cfg, force);
  if (!plan.ok()) return plan.status();
  if (Status s = ClearForProvisioning(cfg, &*plan, print); !s.ok()) return s;
  return std::move(plan->admin);
}

}  // namespace sqlrepl::app
