// What the master knows of the transaction open on its session, as one
// value with named transitions (MasterExecutor holds one). The write path
// asks it what is open and tells it what happened; it does no I/O.
//
//   autocommit on, nothing kept --Begin--> open, explicit
//   open --Add(statement)--> kept until COMMIT; --Staged--> its log row is written
//   open --Committed / RolledBack--> nothing kept; open again at once if autocommit is off
//   any --SessionLost--> autocommit on, nothing kept (the server rolled back)
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "replication/event.hpp"

namespace sqlrepl::master {

class TransactionState {
 public:
  bool autocommit() const { return autocommit_; }
  // Statements are kept until COMMIT (a transaction is open, or autocommit
  // is off so that the next statement opens one).
  bool open() const { return open_; }
  bool has_pending() const { return !pending_.empty(); }
  size_t pending_count() const { return pending_.size(); }
  bool staged() const { return staged_; }
  // An open transaction that a lost session takes with it: begun
  // explicitly, or holding statements.
  bool LostWithSession() const { return open_ && (explicit_ || !pending_.empty()); }
  // The kept statements as the event that COMMIT logs (seq still 0).
  replication::Event PendingEvent() const { return replication::Event{0, database_, pending_}; }

  // BEGIN or START TRANSACTION ran (after the open one was committed).
  void Begin() {
    Ended();
    explicit_ = true;
    open_ = true;
  }
  // A statement of the open transaction ran in `database`.
  void Add(replication::EventStatement st, const std::string& database) {
    if (pending_.empty()) database_ = database;
    pending_.push_back(std::move(st));
  }
  // The open transaction's log row is written (and may be replaced).
  void Staged() { staged_ = true; }
  // The server reports the autocommit setting (an OK answer carries it).
  void SetAutocommit(bool on) { autocommit_ = on; }
  void AutocommitOff() {
    autocommit_ = false;
    open_ = true;
  }
  void AutocommitOn() {
    autocommit_ = true;
    Ended();
  }
  void Committed() { Ended(); }
  void RolledBack() { Ended(); }
  // A statement ended the transaction (CALL, EXECUTE IMMEDIATE, ...); the
  // server says whether another one is open now.
  void EndedByStatement(bool server_open) {
    Ended();
    open_ = server_open || !autocommit_;
  }
  // The server rolled it back by itself (deadlock), reporting `autocommit`.
  void RolledBackByServer(bool autocommit) {
    autocommit_ = autocommit;
    Ended();
  }
  // A new session starts from the server's defaults.
  void SessionLost() { AutocommitOn(); }

  void Savepoint(const std::string& name) { savepoints_[name] = pending_.size(); }
  void ReleaseSavepoint(const std::string& name) { savepoints_.erase(name); }
  // Drops what followed savepoint `name`, and the savepoints set since.
  void RollbackToSavepoint(const std::string& name) {
    auto it = savepoints_.find(name);
    if (it == savepoints_.end() || it->second > pending_.size()) return;
    pending_.resize(it->second);
    for (auto sp = savepoints_.begin(); sp != savepoints_.end();) {
      sp = sp->second > it->second ? savepoints_.erase(sp) : std::next(sp);
    }
  }

 private:
  void Ended() {
    pending_.clear();
    savepoints_.clear();
    database_.clear();
    staged_ = false;
    explicit_ = false;
    open_ = !autocommit_;
  }

  bool autocommit_ = true;
  bool explicit_ = false;  // after BEGIN / START TRANSACTION
  bool open_ = false;
  bool staged_ = false;
  std::string database_;  // of the first kept statement
  std::vector<replication::EventStatement> pending_;
  std::map<std::string, size_t> savepoints_;  // name -> pending_.size() at the savepoint
};

}  // namespace sqlrepl::master
