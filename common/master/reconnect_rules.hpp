// What the master does after losing its session to the local database
// (docs/replication.md, "Reconnect rules"), as pure functions that
// can be tested as a table without a server.
//
// When the answer to a COMMIT is lost, the write's outcome is unknown until
// the replication log says which: its log row commits with it or not at all
// (master_log.hpp). The master keeps the write in doubt, asks the log once
// it reconnects, and reports exactly one outcome: committed #N, not
// committed, or, while it cannot ask, unknown #N. Never "rolled back" on a
// guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "db/query_result.hpp"
#include "replication/event.hpp"

namespace sqlrepl::master {

// A write whose COMMIT was sent and whose answer was lost.
struct InDoubtWrite {
  uint64_t seq = 0;
  // Its log row's bytes, had it committed: its timestamp and RAND seeds make
  // them this write's own, so a row at `seq` with other bytes is not it.
  std::string encoded;
  std::string statement;  // names it to the user (Summary())
  Status cause;           // the error that lost the answer
  // The statement committed by itself before its log row was sent (DDL):
  // only its replication is in doubt.
  bool statement_committed = false;
  // The statement's own answer, when it came before the loss: what is
  // reported if the write committed.
  std::optional<db::QueryResult> answer;
  bool said_unknown = false;  // the user was told "unknown": the outcome is owed
};

enum class WriteOutcome { kCommitted, kNotCommitted, kUnknown };

// What the log says about `write`, from the rows read from `from_seq` on
// (an error: they could not be read).
WriteOutcome OutcomeFromLog(const InDoubtWrite& write, uint64_t from_seq,
                            const Result<std::vector<std::string>>& rows);

// The statement that lost the session, as far as running it again goes.
enum class LostStatement {
  kRead,            // a read or an empty statement: nothing to undo
  kOwnTransaction,  // a write run in the master's own transaction: it committed only with its log
                    // row
  kOther,           // commits by itself, or may (DDL, CALL, USE, ...)
};

// What is known once the master tried to reconnect.
struct Loss {
  LostStatement statement = LostStatement::kRead;
  bool is_commit = false;           // the statement is COMMIT
  bool in_transaction = false;      // an open transaction was lost with the session
  bool autocommit_was_off = false;  // SET autocommit = 0 was in force
  bool reconnected = false;         // a new session holds the log's lock
  bool committed_before =
      false;  // the statement committed an event before the loss (implicit commit)
  std::optional<WriteOutcome> write;  // the write in doubt, if the statement left one
  bool statement_committed = false;   // InDoubtWrite::statement_committed
};

enum class AfterLoss {
  kRunAgain,              // on the new session
  kDone,                  // the log shows it committed
  kUnknown,               // the log could not be asked: "check write #N"
  kNotReconnected,        // nothing in doubt: the reconnection's error is the answer
  kTransactionLost,       // rolled back with the session; the statement did not run
  kTransactionCommitted,  // committed before the loss; the statement may have taken effect
  kAutocommitLost,        // not run again: the new session would commit it at once
  kMayHaveTakenEffect,    // not run again: the user checks first
  kNotLogged,             // it ran on the master; its log row did not commit
  kLogUnknown,            // it ran on the master; whether its log row committed is unknown
};

AfterLoss DecideAfterLoss(const Loss& loss);

// Names an event for the user: its first statement, shortened, and how many
// follow.
std::string Summary(const replication::Event& event);

}  // namespace sqlrepl::master
