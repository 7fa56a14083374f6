// Whether the previous master on this log stopped cleanly. A master killed
// with -9 may have committed its last writes (logged and replicated)
// without reporting them to the person; one that ended by `\q`, the end of
// its script or SIGTERM reported every write. The next master warns only
// after the first kind.
//
// META_SCHEMA.master_run holds one row: the last sequence number of a run
// that stopped cleanly, NULL while a run goes on (or after one that died).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/status.hpp"
#include "db/session.hpp"

namespace sqlrepl::master {

// Whether some of the writes up to `last_seq` may have gone unreported:
// unless the previous run said it stopped cleanly at exactly `last_seq`.
bool MayHaveUnreportedWrites(std::optional<uint64_t> clean_stop_seq, uint64_t last_seq);

// At start: the previous run's clean stop (nullopt: none recorded), and
// this run marked as going on.
Result<std::optional<uint64_t>> BeginRun(db::Session* conn, std::string_view meta);

// At a clean stop, after every write was reported.
Status EndRunCleanly(db::Session* conn, std::string_view meta, uint64_t last_seq);

}  // namespace sqlrepl::master
