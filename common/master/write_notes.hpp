// What the write path tells the user, as codes with their data. The text is
// built in console/write_text.hpp, the same for the prompt and the HTTP
// API; docs/replication.md ("Reconnect rules") says when each is said.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sqlrepl::master {

// In groups, in this order (console/write_text.cpp renders by group).
enum class NoteCode {
  // After the result: what became of the open transaction.
  kCommittedFirst,         // detail: what commits implicitly ("CREATE TABLE")
  kServerRolledBack,       // the server rolled it back (deadlock); `statements` of it
  kStatementCommittedIt,   // a CALL or the like committed it
  kStatementRolledItBack,  // a CALL or the like rolled it back; `statements` of it
  kCommitUnknown,          // detail: why the log could not say
  kNotLogged,              // detail: why the statement's log row failed

  // Before the result: the lost session and the new one.
  kReconnecting,
  kConnectionId,            // `session`: the new session's id
  kCurrentDatabase,         // detail: the database, empty for none
  kCommittedBeforeLoss,     // write #seq, named by `statement`, is replicated now
  kNotCommittedBeforeLoss,  // write #seq, said unknown before, did not commit
  kAutocommitLost,          // SET autocommit = 0 went with the session

  // After the result of a statement that committed by itself, its log row
  // in doubt when the session was lost.
  kNotLoggedBeforeLoss,  // write #seq's log row did not commit
  kLogUnknown,           // write #seq's log row may have; detail: why the log could not be asked

  // Why a statement that lost the session has no result: its error.
  kWriteUnknown,           // write #seq, named by `statement`; detail: why the log could not say
  kTransactionLost,        // rolled back with the session: `statements` of it
  kTransactionCommitted,   // committed before the loss as write #seq
  kAutocommitNotRunAgain,  // the new session would commit the statement at once
  kMayHaveTakenEffect,     // a statement that commits by itself, or may
  // Reconnecting failed, after the session was lost (detail: how); the
  // open transaction's `statements` were lost with it. The statement was...
  kNotReconnectedRead,          // a read: not run again
  kNotReconnectedNotCommitted,  // a write of the master's own transaction: not committed
  kNotReconnectedMayHaveRun,    // anything else: it may have taken effect
};

struct Note {
  NoteCode code = NoteCode::kReconnecting;
  uint64_t seq = 0;         // the write it is about
  size_t statements = 0;    // of the open transaction
  std::string statement{};  // names the write for the user (Summary())
  std::string detail{};     // as each code says
  unsigned long session = 0;

  bool operator==(const Note&) const = default;
};

}  // namespace sqlrepl::master
