#include "master/reconnect_rules.hpp"

#include <fmt/format.h>

namespace sqlrepl::master {
namespace {

constexpr size_t kShownStatement = 120;

}  // namespace

WriteOutcome OutcomeFromLog(const InDoubtWrite& write, uint64_t from_seq,
                            const Result<std::vector<std::string>>& rows) {
  if (!rows.ok() || write.seq < from_seq) return WriteOutcome::kUnknown;
  const uint64_t at = write.seq - from_seq;
  // Sequence numbers are gap-free: no row at `seq` means no commit; another
  // row there is another writer's, which took the number ours did not use.
  if (at >= rows->size()) return WriteOutcome::kNotCommitted;
  return (*rows)[at] == write.encoded ? WriteOutcome::kCommitted : WriteOutcome::kNotCommitted;
}

// 1. A statement that committed by itself stands; only its log row was in
//    doubt, and the log says what the slaves get.
// 2. Unknown stays unknown: nothing is run or reported done on a guess.
// 3. An open transaction is never replayed: its outcome is the answer.
// 4. A read runs again; so does a write of the master's own transaction
//    whose log row shows no commit, unless autocommit was off (the new
//    session would commit it at once).
// 5. Anything else is left to the user, who checks first.
AfterLoss DecideAfterLoss(const Loss& loss) {
  const bool committed = loss.write == WriteOutcome::kCommitted;
  if (loss.statement_committed && loss.write) {
    if (committed) return AfterLoss::kDone;
    return loss.write == WriteOutcome::kNotCommitted ? AfterLoss::kNotLogged
                                                     : AfterLoss::kLogUnknown;
  }
  if (loss.write == WriteOutcome::kUnknown) return AfterLoss::kUnknown;
  if (!loss.reconnected) return AfterLoss::kNotReconnected;
  if (loss.in_transaction) {
    if (!committed && !loss.committed_before) return AfterLoss::kTransactionLost;
    return loss.is_commit && committed ? AfterLoss::kDone : AfterLoss::kTransactionCommitted;
  }
  if (loss.statement == LostStatement::kRead) return AfterLoss::kRunAgain;
  if (loss.autocommit_was_off) return AfterLoss::kAutocommitLost;
  if (committed) return AfterLoss::kDone;
  if (loss.statement == LostStatement::kOwnTransaction) return AfterLoss::kRunAgain;
  return AfterLoss::kMayHaveTakenEffect;
}

std::string Summary(const replication::Event& event) {
  if (event.statements.empty()) return "(no statement)";
  std::string first = event.statements.front().sql;
  if (first.size() > kShownStatement) first = first.substr(0, kShownStatement) + "...";
  const size_t more = event.statements.size() - 1;
  if (more == 0) return first;
  return fmt::format("{} (and {} more statement{})", first, more, more == 1 ? "" : "s");
}

}  // namespace sqlrepl::master
