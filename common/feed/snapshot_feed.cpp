#include "feed/snapshot_feed.hpp"

namespace sqlrepl::feed {

SnapshotFeed::SnapshotFeed(db::ConnectOptions db, SnapshotOptions options,
                           std::function<void()> wake)
    : db_(std::move(db)), options_(std::move(options)), wake_(std::move(wake)) {}

SnapshotFeed::~SnapshotFeed() { Join(); }

void SnapshotFeed::Start() {
  thread_ = std::thread([this] { Read(); });
}

void SnapshotFeed::Read() {
  // A slow slave keeps this read open for long: no client-side timeout
  // (ReadSnapshot raises the server's net_write_timeout). A reader stuck in
  // the server (a metadata lock, a host gone) is ended by Cancel(), which
  // aborts the connection.
  db::ConnectOptions db = db_;
  db.read_timeout_s = 0;
  db.write_timeout_s = 0;
  Status s;
  {
    Result<db::Connection> conn = db::Connection::Open(db);
    s = conn.status();
    if (s.ok()) {
      {
        std::lock_guard lock(mu_);
        conn_ = &*conn;
        if (cancelled_) conn_->Abort();
      }
      s = ReadSnapshot(&*conn, options_, [this](protocol::MessageType type, std::string payload) {
        return Put(type, std::move(payload));
      });
      std::lock_guard lock(mu_);
      conn_ = nullptr;
    }
  }  // closed before Finish: a finished feed is joined without waiting on the server
  Finish(std::move(s));
}

bool SnapshotFeed::Put(protocol::MessageType type, std::string payload) {
  std::unique_lock lock(mu_);
  room_.wait(lock, [this] { return cancelled_ || queue_.size() < kMaxQueued; });
  if (cancelled_) return false;
  const bool was_empty = queue_.empty();
  queue_.push_back({type, std::make_shared<const std::string>(std::move(payload))});
  lock.unlock();
  if (was_empty) wake_();
  return true;
}

void SnapshotFeed::Finish(Status status) {
  {
    std::lock_guard lock(mu_);
    end_ = std::move(status);
  }
  finished_ = true;
  wake_();
}

std::optional<SnapshotFeed::Message> SnapshotFeed::Take() {
  std::lock_guard lock(mu_);
  if (queue_.empty()) return std::nullopt;
  Message m = std::move(queue_.front());
  queue_.pop_front();
  room_.notify_one();
  return m;
}

std::optional<Status> SnapshotFeed::Ended() const {
  std::lock_guard lock(mu_);
  if (!queue_.empty()) return std::nullopt;
  return end_;
}

void SnapshotFeed::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (conn_ != nullptr) conn_->Abort();
  room_.notify_all();
}

void SnapshotFeed::Join() {
  Cancel();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sqlrepl::feed
