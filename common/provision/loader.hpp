// The receiving side of provisioning (docs/provisioning.md): applies a
// snapshot's messages, in the order they come, to the slave's database,
// and at the end sets the slave's position and removes the marker of an
// unfinished provisioning in one transaction. It runs no SQL text it
// received but the checked CREATE TABLE (load_sql.hpp).
//
// Memory: one frame's rows and the INSERTs built from them.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.hpp"
#include "db/session.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "provision/progress.hpp"

namespace sqlrepl::provision {

// Readies the session a SnapshotLoader loads through: TIMESTAMPs in UTC as
// the snapshot carries them, a 0 in an AUTO_INCREMENT column kept as 0, no
// strict-mode refusal of values the master's server already holds (zero
// dates), and no foreign key checks (tables come in name order, and the
// copy is consistent as a whole).
Status PrepareLoadSession(db::Session* session);

class SnapshotLoader {
 public:
  struct Options {
    std::string database;     // DB_NAME: the session's default database
    std::string meta_schema;  // where the slave's position is
    size_t max_statement_bytes = 1024 * 1024;
  };

  // `session`: an administrator's session with `database` selected and
  // readied by PrepareLoadSession, which must outlive the loader; the
  // loader owns its transactions.
  SnapshotLoader(db::Session* session, Options options);

  // One message. kCorruption for a malformed one or one out of order (rows
  // before a table, anything after the end, totals that do not match what
  // was loaded); kInvalidArgument for a definition refused; the server's
  // error otherwise. After an error the loader takes nothing more.
  Status Take(protocol::MessageType type, std::string_view payload);

  bool finished() const { return state_ == State::kFinished; }
  const protocol::SnapshotBegin& begin() const { return begin_; }
  // Rows and bytes loaded so far, against the snapshot's estimate.
  Progress progress() const;

 private:
  enum class State { kWaitingBegin, kLoading, kFinished, kFailed };
  Status Begin(std::string_view payload);
  Status Table(std::string_view payload);
  Status Rows(std::string_view payload);
  Status End(std::string_view payload);
  // Runs `statements` as one transaction.
  Status RunTransaction(const std::vector<std::string>& statements);

  db::Session* session_;
  Options options_;
  State state_ = State::kWaitingBegin;
  protocol::SnapshotBegin begin_;
  protocol::SnapshotTable table_;  // the table rows go to
  bool have_table_ = false;
  uint32_t tables_ = 0;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace sqlrepl::provision
