// The slave's applier: a thread that owns the slave's database session and
// applies events in order, exactly once.
//
// Each event (or group of consecutive data-only events on transactional
// tables, when the slave is behind) is applied in one transaction together
// with the update of
//   META_SCHEMA.slave_position (id = 1, replication_id, applied_seq)
// so that a crash can neither lose nor repeat an event. After any reconnect
// the stored position is read again and what it covers is dropped from the
// queue: a COMMIT whose outcome was lost with the session is never
// repeated. An event is refused as a whole if any statement in it fails the
// slave policy; refused and failed events advance the position too
// (ON_APPLY_ERROR=skip), or stop the slave (stop). Errors that waiting can
// cure (lock wait timeout, deadlock, interrupted query, statement timeout, a
// full table or disk, memory or connections running out:
// db/server_errors.hpp) are retried with backoff instead, whatever
// ON_APPLY_ERROR says, except in an event that writes to a
// table without transactions: that one stops the slave, since its rollback
// kept those writes and a retry would apply them twice. If the local
// database goes away, applying pauses and resumes after reconnecting.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "config/defaults.hpp"
#include "db/connection.hpp"
#include "protocol/messages.hpp"
#include "replication/event.hpp"
#include "slave/apply_session.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::slave {

struct SlavePosition {
  std::string replication_id;  // empty: nothing applied yet
  uint64_t applied_seq = 0;
};

// Creates META_SCHEMA and its position table when missing and reads the
// position.
Result<SlavePosition> OpenSlavePosition(db::Connection* conn, const std::string& meta_schema);

// Where the applier's results go; called from the applier thread, in the
// order of the events, each ack only after its transaction committed.
class ApplyReports {
 public:
  virtual ~ApplyReports() = default;
  virtual void SendAck(const protocol::Ack& ack) = 0;
  virtual void SendVerifyResult(const protocol::VerifyResult& result) = 0;
};

class Applier {
 public:
  struct Options {
    std::string meta_schema{config::kDefaultMetaSchema};
    std::string database;  // the database a new session starts in (DB_NAME)
    config::ApplyErrorPolicy on_error = config::ApplyErrorPolicy::kSkip;
    // Backoff for errors that waiting can cure: doubles up to the maximum.
    std::chrono::milliseconds retry_first{100};
    std::chrono::milliseconds retry_max{2000};
    // Pause between attempts to reach the local database.
    std::chrono::milliseconds reconnect_pause{1000};
    // How long Stop() lets the statement being applied finish before it
    // ends the session (a heartbeat: a lock wait may last 50 s or more).
    std::chrono::milliseconds stop_grace{1000};
    std::function<void(const std::string&)> print;     // console lines
    // The operational log (SLAVE_LOG): refusals, failures, the local
    // database's outages, the fatal stop; never the statements' text.
    std::function<void(const std::string&)> log;
    std::function<void(const std::string&)> on_fatal;  // the applier stopped for good
  };

  static constexpr size_t kMaxGroup = 200;
  // Events held decoded (with their session values and classification,
  // about 2 KB each in the slave's heap): the link stops reading past this.
  // Ten groups of kMaxGroup keep the applier busy while the link refills.
  static constexpr size_t kMaxQueued = 2000;

  // `reports` must outlive the applier.
  Applier(Options options, ApplySessionFactory open_session, ApplyReports& reports,
          SlavePosition start);
  ~Applier();
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  void Start();
  // Stops the thread. What it is applying may finish within
  // Options::stop_grace; after that its session is ended (Abort), and the
  // stored position says at the next start whether that commit got through.
  void Stop();

  // The log the master welcomed us into (any thread); saved with the
  // position from then on.
  void SetReplicationId(const std::string& replication_id);
  // Queues an event received from the master (any thread). An event already
  // held is ignored; one that skips a sequence number is kCorruption.
  Status Enqueue(replication::Event event);
  // Queues a checksum request, answered after every event queued before it.
  void EnqueueVerify(protocol::Verify request);
  size_t queued() const;
  // Where to resume: the last event applied or already queued.
  SlavePosition ResumePosition() const;

  // What the slave's `status` shows (any thread).
  struct Counters {
    std::string replication_id;
    uint64_t applied_seq = 0;  // the last event applied, refused or failed
    size_t queued = 0;         // received, not applied yet
    uint64_t refused = 0;      // since start
    uint64_t failed = 0;       // since start
    std::string last_error;    // the last refusal or failure, with its event
    std::string waiting;       // why the next event waits (a lock, a full disk); empty if not
  };
  Counters counters() const;

 private:
  struct Item {
    replication::Event event;
    std::optional<protocol::Verify> verify;  // a checksum request instead of an event
    // Filled by Read() on the applier thread, just before the item is applied.
    std::vector<sql::Classification> classes;  // one per statement, read under its session
    // Per statement, the statement whose session values it runs under: its
    // own, or the nearest earlier one that carries some; -1: none does, the
    // slave session's own values (base_session_).
    std::vector<int> session_of;
    std::vector<sql::TableRef> writes;  // written tables, schema resolved
    bool data_only = false;  // only data changes: may share a transaction with others
  };
  struct Outcome {
    protocol::Ack ack;
    std::vector<std::string> lines;  // console echo
  };
  enum class Step { kDone, kSessionLost, kStopped, kFatal };

  void Loop();
  // Reads each statement of `item` once, under the sql_mode of the session
  // values it runs under (Item::session_of), and fills what follows from it.
  void Read(Item* item) const;
  // The session values statement `k` of `item` runs under.
  const std::vector<replication::SessionVariable>& SessionOf(const Item& item, size_t k) const;
  // Blocks until the queue holds something; false when stopping.
  bool WaitForWork();
  // Replaces the session where Stop() can end it (applier thread); the old
  // one is destroyed after.
  void SetSession(std::unique_ptr<ApplySession> session);
  // Opens a session if there is none and re-reads the stored position;
  // reports the outage once while the database stays away. kDone when
  // ready, kSessionLost when the database is away.
  Step EnsureSession();
  // Reads the carried session variables the session has now into
  // session_state_ (and base_session_ too, `as_base`: a new session).
  Status ReadSessionState(bool as_base);
  // Drops queued events the stored position covers (applied before the
  // session was lost) and acknowledges them.
  Status Resync();
  // The front of the queue: one item, or a group of data-only events that
  // write only transactional tables.
  std::vector<Item> NextBatch();
  bool WritesOnlyTransactional(const Item& item);
  struct NonTransactionalWrite {
    std::string table;  // "schema.table"
    std::string why;    // "whose engine has no transactions", ...
    Status lookup;      // not ok: the catalog could not be asked
  };
  // The first table the item writes whose engine has no transactions or
  // could not be looked up (a view, a table the catalog does not list);
  // none when every one is transactional. `fresh`: ask the catalog again
  // rather than trust what it said before (engines can be changed by hand).
  std::optional<NonTransactionalWrite> FirstNonTransactionalWrite(const Item& item, bool fresh);

  Step AnswerVerify(const protocol::Verify& request);
  Step ApplyBatch(const std::vector<Item>& items);
  // Applies one event, retrying errors that waiting can cure; `status`
  // shows why it waits meanwhile (Counters::waiting).
  Step ApplySingle(const Item& item);
  Step ApplyWaitingOut(const Item& item);
  void SetWaiting(std::string why);
  // Applies items as one transaction with the position; the failure (and
  // nothing applied) otherwise.
  Status TryGroup(const std::vector<Item>& items, std::vector<Outcome>* outcomes);
  // The SET that statement `k` of `item` needs before it runs ("" if none).
  std::string ContextOf(const Item& item, size_t k);
  // The console lines of an applied event.
  static void DescribeApplied(const replication::Event& event, uint64_t rows, Outcome* outcome);
  // Reports the event as failed and skips it, or stops.
  Step GiveUp(const Item& item, const Status& failure);
  // Reports the event as failed and stops applying for good, `why` said,
  // without advancing the position.
  Step StopAt(const Item& item, const Status& failure, const std::string& why);
  static Outcome FailedOutcome(const replication::Event& e, const Status& failure);
  // The UPDATE that saves `seq` as applied, inside the event's transaction.
  std::string PositionUpdateSql(uint64_t seq);
  // What to do when that UPDATE finds no row (kFailedPrecondition).
  Status PositionRowMissing() const;
  // Pops the applied items, then echoes and acknowledges them in order.
  void Finish(size_t count, uint64_t last_seq, const std::vector<Outcome>& outcomes);
  Step Fatal(const std::string& why);
  // Waits `delay` unless stopping; false when stopping.
  bool Pause(std::chrono::milliseconds delay);
  void Print(const std::string& line) const;
  void Log(const std::string& line) const;
  // Counts a refused or failed outcome (mu_ held).
  void CountLocked(const protocol::Ack& ack);
  // The first refusal reason among the item's statements, or "".
  std::string CheckPolicy(const Item& item) const;

  Options options_;
  ApplySessionFactory open_session_;
  ApplyReports& reports_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Item> queue_;      // guarded by mu_
  std::string replication_id_;  // guarded by mu_; the one copy
  uint64_t applied_seq_ = 0;    // guarded by mu_
  uint64_t last_queued_ = 0;    // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  bool aborting_ = false;       // guarded by mu_; Stop() ends every session now
  bool loop_ended_ = false;     // guarded by mu_
  uint64_t refused_ = 0;        // guarded by mu_
  uint64_t failed_ = 0;         // guarded by mu_
  std::string last_error_;      // guarded by mu_
  std::string waiting_;         // guarded by mu_; Counters::waiting
  std::thread thread_;

  // Written by the applier thread under mu_, which Stop() holds to Abort()
  // it; read by the applier thread without.
  std::unique_ptr<ApplySession> session_;
  // Applier thread only.
  // The carried session variables as the session had them when it opened:
  // what a statement that carries none runs under.
  std::vector<replication::SessionVariable> base_session_;
  // The carried session variables as this session has them now (set only
  // where an event's values differ); read again from the server after a
  // failure, since a failed batch may have set some of them.
  std::map<std::string, std::string> session_state_;
  bool reported_outage_ = false;
  std::map<std::string, bool> transactional_;  // "schema.table" -> engine has transactions
};

}  // namespace sqlrepl::slave
