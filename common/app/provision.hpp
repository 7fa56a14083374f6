// The slave's side of `slave --provision` before the copy arrives
// (docs/provisioning.md "The slave's side", steps 1 to 3), as the
// administrator: whether DB_NAME may be replaced (provision::DecideGate),
// the marker of an unfinished provisioning written before anything
// changes, and DB_NAME emptied. What it returns is the session the copy is
// loaded through (provision::SnapshotLoader).
#pragma once

#include <functional>
#include <string>

#include "base/status.hpp"
#include "config/config.hpp"
#include "db/connection.hpp"

namespace sqlrepl::app {

// kFailedPrecondition when DB_NAME holds tables and neither `force` nor the
// marker allows replacing them (the message says to add --force), or when
// `slave --setup` has not been run; the ADMIN_* errors of
// ConnectAdministrator. `print` gets what was dropped.
Result<db::Connection> PrepareProvisioning(const config::SlaveConfig& cfg, bool force,
                                           const std::function<void(const std::string&)>& print);

}  // namespace sqlrepl::app
