// What the master prints about replication, as pure functions.
#pragma once

#include <string>
#include <vector>

#include "feed/slave_registry.hpp"
#include "master/verifier.hpp"

namespace sqlrepl::console {

// The lines after a replicated statement, e.g.
//   Replicated to 2/2 slaves (0.8 ms)
//   Refused by 2/2 slaves: DDL is not replicated to slaves: DROP TABLE
//   slave2: ERROR 1146 (42S02): Table 'school.x' doesn't exist
//   slave1: no acknowledgement within 5000 ms, it will catch up
//   slave3: lagging, not waited for
//   slave4: offline (applied #3 of #7), it will catch up from the log
// The last kind names each slave of `known` (the registry's snapshot) that
// is offline and was not asked: the first line counts only those that were.
std::string FormatOutcomes(uint64_t seq, const std::vector<feed::SlaveOutcome>& outcomes,
                           double elapsed_ms, int ack_timeout_ms,
                           const std::vector<feed::SlaveInfo>& known = {});

// One line per lag transition, e.g.
//   slave2 is lagging: no acknowledgement within 5000 ms; writes no longer wait for it
//   slave2 has caught up; writes wait for it again
std::string FormatLagChanges(const std::vector<feed::LagChange>& changes, int ack_timeout_ms);

// The \slaves table: id, address, state (", lagging" when writes do not
// wait for it), applied, lag, refused, failed, last error.
std::string FormatSlaves(const std::vector<feed::SlaveInfo>& slaves, uint64_t last_seq);

// What the master says as it exits while slaves have not applied up to
// `last_seq`: they get the rest only from a master that runs again. "" when
// every slave it knows is there.
//   master: exiting while 1 slave is behind; it gets the rest when a master
//   runs again (master --env-file ... with no input, or another script):
//     slave1: applied #4 of #600 (596 events behind), live
std::string FormatBehindAtExit(const std::vector<feed::SlaveInfo>& slaves, uint64_t last_seq);

// The \verify report: one row per table and one column per slave, a line
// per table that only a slave holds, and the verdict, e.g.
//   slave1: table notes exists only on this slave
//   Verified 4 tables on 2 slaves: 1 table only on a slave.
// `wait_seconds`: how long slaves had to answer.
std::string FormatVerifyReport(const master::VerifyReport& report, long wait_seconds);

}  // namespace sqlrepl::console
