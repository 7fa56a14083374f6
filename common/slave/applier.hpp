// The slave's applier: a thread that owns the slave's database connection
// and applies events in order, exactly once.
//
// Each event (or group of consecutive data-only events, when the slave is
// behind) is applied in one transaction together with the update of
//   META_SCHEMA.slave_position (id = 1, replication_id, applied_seq)
// so that a crash can neither lose nor repeat an event. An event is refused
// as a whole if any statement in it fails the slave policy; refused and
// failed events advance the position too (ON_APPLY_ERROR=skip), or stop the
// slave (stop). If the local database goes away, applying pauses and the
// event is retried after reconnecting.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "db/connection.hpp"
#include "protocol/messages.hpp"
#include "replication/event.hpp"
#include "sql/classifier.hpp"

namespace sqlrepl::slave {

struct SlavePosition {
  std::string replication_id;  // empty: nothing applied yet
  uint64_t applied_seq = 0;
};

// Creates META_SCHEMA and its position table when missing and reads the
// position.
Result<SlavePosition> OpenSlavePosition(db::Connection* conn, const std::string& meta_schema);

class Applier {
 public:
  struct Options {
    db::ConnectOptions db;
    std::string meta_schema = "repl_meta";
    config::ApplyErrorPolicy on_error = config::ApplyErrorPolicy::kSkip;
    std::function<void(const protocol::Ack&)> on_ack;     // from the applier thread
    std::function<void(const std::string&)> print;        // console lines
    std::function<void(const std::string&)> on_fatal;     // ON_APPLY_ERROR=stop tripped
    std::function<void(const protocol::VerifyResult&)> on_verify;  // checksums computed
  };

  static constexpr size_t kMaxGroup = 200;
  static constexpr size_t kMaxQueued = 20000;

  Applier(Options options, SlavePosition start);
  ~Applier();
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  void Start();
  void Stop();

  // Queues an event received from the master (any thread). An event already
  // held is ignored; one that skips a sequence number is kCorruption.
  Status Enqueue(replication::Event event, const std::string& replication_id);
  // Queues a checksum request, answered after every event queued before it.
  void EnqueueVerify(protocol::Verify request);
  size_t queued() const;
  // Where to resume: the last event applied or already queued.
  SlavePosition ResumePosition() const;

 private:
  struct Item {
    replication::Event event;
    std::string replication_id;
    std::optional<protocol::Verify> verify;  // a checksum request instead of an event
    std::vector<sql::Classification> classes;  // one per statement, read once on arrival
    bool data_only = false;  // only data changes: may share a transaction with others
  };
  struct Outcome {
    protocol::Ack ack;
    std::vector<std::string> lines;  // console echo
  };

  void Loop();
  // False when the database went away (retry later).
  bool RunVerify(const protocol::Verify& request);
  bool EnsureConnected();
  // Applies items as one transaction; false if one failed (nothing applied).
  bool TryGroup(const std::vector<Item>& items, std::vector<Outcome>* outcomes, Status* failure);
  // Applies one item, recording an error or refusal when it cannot be applied.
  // False when the database went away (retry later).
  bool ApplyOne(const Item& item, Outcome* outcome);
  Status RunEventStatements(const Item& item, Outcome* outcome);
  Status SavePosition(const std::string& replication_id, uint64_t seq);
  // The first refusal reason among the item's statements, or "".
  std::string CheckPolicy(const Item& item) const;

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  SlavePosition applied_;       // guarded by mu_
  uint64_t last_queued_ = 0;    // guarded by mu_
  bool stopping_ = false;
  std::thread thread_;
  std::optional<db::Connection> conn_;  // applier thread only
  std::string current_database_;        // applier thread only
};

}  // namespace sqlrepl::slave
