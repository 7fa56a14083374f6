// One provisioning's snapshot (snapshot_reader.hpp), read on a thread of
// its own with a connection of its own, and handed to the I/O thread that
// writes it to the slave. Between the two, at most kMaxQueued messages:
// the reader waits while they are not taken, and the session takes one
// only when its writer is nearly idle, so a slow slave slows the read down
// instead of filling the master's memory (docs/provisioning.md, "Bounded
// memory").
#pragma once

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/status.hpp"
#include "db/connection.hpp"
#include "feed/snapshot_reader.hpp"
#include "protocol/frame.hpp"

namespace sqlrepl::feed {

class SnapshotFeed {
 public:
  static constexpr size_t kMaxQueued = 8;

  struct Message {
    protocol::MessageType type;
    std::shared_ptr<const std::string> payload;
  };

  // `wake` is called (from the reader thread) when a message or the end
  // becomes available after the queue was empty; it must only post.
  SnapshotFeed(db::ConnectOptions db, SnapshotOptions options, std::function<void()> wake);
  ~SnapshotFeed();  // cancels and joins
  SnapshotFeed(const SnapshotFeed&) = delete;
  SnapshotFeed& operator=(const SnapshotFeed&) = delete;

  void Start();
  // The next message, if one is ready (the I/O thread).
  std::optional<Message> Take();
  // Once the queue is empty and the reader has ended: how it ended.
  std::optional<Status> Ended() const;
  // The reader stops at its next message, or at once when it is inside a
  // database call (its connection is aborted); any thread.
  void Cancel();
  // Cancels and waits for the reader thread. Not from the I/O thread.
  void Join();
  bool joinable_now() const { return finished_.load(); }

 private:
  void Read();
  bool Put(protocol::MessageType type, std::string payload);
  void Finish(Status status);

  const db::ConnectOptions db_;
  const SnapshotOptions options_;
  const std::function<void()> wake_;
  mutable std::mutex mu_;
  std::condition_variable room_;
  std::deque<Message> queue_;       // guarded by mu_
  std::optional<Status> end_;       // guarded by mu_
  bool cancelled_ = false;          // guarded by mu_
  db::Connection* conn_ = nullptr;  // the reader's, while it reads; guarded by mu_
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace sqlrepl::feed
