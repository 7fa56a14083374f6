// The slave's side of `slave --provision` before the copy arrives
// (docs/provisioning.md "The slave's side", steps 1 to 3), as the
// administrator: whether DB_NAME may be replaced (provision::DecideGate),
// the marker of an unfinished provisioning written before anything
// changes, and DB_NAME emptied. What it returns is the session the copy is
// loaded through (provision::SnapshotLoader).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "config/config.hpp"
#include "db/connection.hpp"

namespace sqlrepl::app {

// Step 1, which changes nothing: the administrator's session, and what
// provisioning will drop from DB_NAME.
struct ProvisionPlan {
  db::Connection admin;
  std::vector<std::string> tables;  // DB_NAME's tables, then its views
  std::vector<std::string> views;
};

// kFailedPrecondition when DB_NAME holds tables and neither `force` nor the
// marker allows replacing them (the message says to add --force), or when
// `slave --setup` has not been run; the ADMIN_* errors of
// ConnectAdministrator.
Result<ProvisionPlan> PlanProvisioning(const config::SlaveConfig& cfg, bool force);

// Steps 2 and 3: the marker, then DB_NAME emptied and selected in a session
// readied for loading. Run once the master has welcomed the provisioning,
// so that a master that is down or refuses leaves the database as it was.
// `print` gets what was dropped.
Status ClearForProvisioning(const config::SlaveConfig& cfg, ProvisionPlan* plan,
                            const std::function<void(const std::string&)>& print);

// Both, one after the other: the session the copy is loaded through.
Result<db::Connection> PrepareProvisioning(const config::SlaveConfig& cfg, bool force,
                                           const std::function<void(const std::string&)>& print);

}  // namespace sqlrepl::app
