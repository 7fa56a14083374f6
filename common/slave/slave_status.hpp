// What `status` (`\s`) at the slave's prompt shows, as (name, value) lines:
// a pure function of what the link and the applier report, so that it can
// be tested without either.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "slave/applier.hpp"
#include "slave/master_link.hpp"

namespace sqlrepl::slave {

// Lag is counted in events: the master's last event as last heard (its
// welcome, heartbeats and events) minus the last one applied here. The slave
// has no clock of the master's to compare with, so it does not claim seconds;
// it says how old its knowledge of the master is instead.
std::vector<std::pair<std::string, std::string>> DescribeStatus(
    const std::string& master, const MasterLink::State& link, const Applier::Counters& applier,
    std::chrono::steady_clock::time_point now);

}  // namespace sqlrepl::slave
