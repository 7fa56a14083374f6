// The copy of `slave --provision` (docs/provisioning.md, steps 4 and 5):
// a MasterLink on an I/O thread of its own receives the snapshot into a
// queue of at most kMaxQueued messages, and the calling thread loads them
// with a provision::SnapshotLoader, printing the progress line every
// second and telling the master how far it is every few seconds. While the
// queue is full the link stops reading, so TCP pushes back to the master.
#pragma once

#include <functional>
#include <string>

#include "base/status.hpp"
#include "db/session.hpp"
#include "provision/loader.hpp"
#include "slave/master_link.hpp"

namespace sqlrepl::slave {

struct ProvisionResult {
  protocol::SnapshotBegin begin;  // the log, the position and what was not copied
  provision::Progress progress;   // rows and bytes loaded
};

inline constexpr size_t kMaxQueuedSnapshotMessages = 8;

// Loads a snapshot of the master's database through `session`.
// `before_loading` runs once the master has welcomed the provisioning and
// before the first message is loaded: it readies `session`
// (provision::PrepareLoadSession, DB_NAME emptied and selected), so that a
// master that is down or refuses leaves the database as it was.
// `link_options.print` gets the progress lines. The error says what
// failed: the master's refusal or its reason for giving up, the link,
// `before_loading`, or the load.
Result<ProvisionResult> CopySnapshot(db::Session* session,
                                     provision::SnapshotLoader::Options loader_options,
                                     MasterLink::Options link_options,
                                     const std::function<Status()>& before_loading);

}  // namespace sqlrepl::slave
