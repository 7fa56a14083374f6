#include "console/write_text.hpp"

#include <fmt/format.h>

namespace sqlrepl::console {
namespace {

using master::NoteCode;

// What a lost session meant for a statement when no new one could be had.
std::string NotReconnectedText(const master::Note& n) {
  std::string meaning = n.code == NoteCode::kNotReconnectedRead ? "it was not run again"
                        : n.code == NoteCode::kNotReconnectedNotCommitted
                            ? "it did not commit"
                            : "it may have taken effect; check before running it again";
  if (n.statements > 0) {
    meaning += fmt::format(", and the open transaction ({} statement{}) was lost with it",
                           n.statements, n.statements == 1 ? "" : "s");
  }
  return fmt::format("reconnecting after the connection was lost: {}; {}", n.detail, meaning);
}

// The groups of NoteCode, in its order.
std::string TransactionText(const master::Note& n) {
  switch (n.code) {
    case NoteCode::kCommittedFirst:
      return "The open transaction was committed first, as the server does before " + n.detail +
             ".";
    case NoteCode::kServerRolledBack:
      return fmt::format(
          "The server rolled the transaction back; none of its {} statement(s) will be replicated.",
          n.statements);
    case NoteCode::kStatementCommittedIt:
      return "This statement committed the open transaction, as the server does.";
    case NoteCode::kStatementRolledItBack:
      return fmt::format(
          "The open transaction was rolled back; none of its {} statement(s) will be replicated.",
          n.statements);
    case NoteCode::kCommitUnknown:
      return "Could not tell whether the open transaction committed: " + n.detail;
    case NoteCode::kNotLogged:
      return "Executed on the master but not logged for the slaves: " + n.detail;
    default:
      return n.detail;
  }
}

std::string SessionText(const master::Note& n) {
  switch (n.code) {
    case NoteCode::kReconnecting:
      return "No connection. Trying to reconnect...";
    case NoteCode::kConnectionId:
      return fmt::format("Connection id:    {}", n.session);
    case NoteCode::kCurrentDatabase:
      return "Current database: " + (n.detail.empty() ? "*** NONE ***" : n.detail);
    case NoteCode::kCommittedBeforeLoss:
      return fmt::format(
          "Write #{} committed before the connection was lost; it is replicated now: {}", n.seq,
          n.statement);
    case NoteCode::kNotCommittedBeforeLoss:
      return fmt::format("Write #{} did not commit before the connection was lost; nothing of it "
                         "is replicated, run it again if it is still wanted: {}",
                         n.seq, n.statement);
    case NoteCode::kAutocommitLost:
      return "SET autocommit = 0 was lost with the session: each statement now commits by itself "
             "until you set it again.";

    case NoteCode::kNotLoggedBeforeLoss:
      return fmt::format(
          "Executed on the master but not logged for the slaves: the connection was lost "
          "before its log row (write #{}) committed.",
          n.seq);
    case NoteCode::kLogUnknown:
      return fmt::format(
          "Executed on the master; whether the slaves get it is unknown: its log row, write #{}, "
          "may have committed (the database could not be asked: {}).",
          n.seq, n.detail);
    default:
      return n.detail;
  }
}

std::string LeftToUserText(const master::Note& n) {
  switch (n.code) {
    case NoteCode::kWriteUnknown:
      return fmt::format("unknown: the write may have committed; check write #{} before running "
                         "it again: {} (the answer was lost and the database could not be asked: "
                         "{})",
                         n.seq, n.statement, n.detail);
    case NoteCode::kTransactionLost:
      return fmt::format(
          "The open transaction was lost with the connection: the server rolled back its {} "
          "statement(s), none of them is replicated, and this statement did not run.",
          n.statements);
    case NoteCode::kTransactionCommitted:
      return fmt::format(
          "The open transaction committed before the connection was lost and is replicated as "
          "write #{}. This statement may have taken effect, in part or in whole, and what it "
          "changed is not replicated: check before running it again.",
          n.seq);
    case NoteCode::kAutocommitNotRunAgain:
      return "The statement was not run again: the new session would commit it at once. Set "
             "autocommit = 0 again, then run it.";
    case NoteCode::kMayHaveTakenEffect:
      return "The statement was not run again: it may have taken effect before the connection was "
             "lost. Check, then run it again if needed.";
    case NoteCode::kNotReconnectedRead:
    case NoteCode::kNotReconnectedNotCommitted:
    case NoteCode::kNotReconnectedMayHaveRun:
      return NotReconnectedText(n);
    default:
      return n.detail;
  }
}

}  // namespace

std::string NoteText(const master::Note& n) {
  if (n.code <= NoteCode::kNotLogged) return TransactionText(n);
  if (n.code <= NoteCode::kLogUnknown) return SessionText(n);
  return LeftToUserText(n);
}

Status ShownError(const master::Executed& e) {
  const Status& s = e.result.status();
  if (!e.error_note) return s;
  switch (e.error_note->code) {
    case NoteCode::kNotReconnectedRead:
    case NoteCode::kNotReconnectedNotCommitted:
    case NoteCode::kNotReconnectedMayHaveRun:
      // The reconnection's own error first, then what it means.
      return s.WithMessage(s.message() + " (" + NoteText(*e.error_note) + ")");
    default:
      return s.WithMessage(NoteText(*e.error_note));
  }
}

}  // namespace sqlrepl::console
