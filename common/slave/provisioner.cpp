#include "slave/provisioner.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "protocol/io_thread.hpp"

namespace sqlrepl::slave {

namespace {

using Clock = std::chrono::steady_clock;

// The link's side puts, the loader's side takes; the link's end (how it
// ended) wakes a loader waiting for more.
class SnapshotQueue : public SnapshotSink {
 public:
  struct Item {
    protocol::MessageType type;
    std::string payload;
  };

  void Welcomed() override {
    std::lock_guard lock(mu_);
    welcomed_ = true;
    changed_.notify_all();
  }
  // Until the master welcomed us (true) or the link ended first (false).
  bool WaitWelcomed() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return welcomed_ || link_end_.has_value(); });
    return welcomed_;
  }
  bool Full() const override {
    std::lock_guard lock(mu_);
    return items_.size() >= kMaxQueuedSnapshotMessages;
  }
  void Put(protocol::MessageType type, std::string payload) override {
    std::lock_guard lock(mu_);
    items_.push_back({type, std::move(payload)});
    changed_.notify_all();
  }
  void LinkEnded(Status status) {
    std::lock_guard lock(mu_);
    link_end_ = std::move(status);
    changed_.notify_all();
  }
  void WaitLinkEnded() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return link_end_.has_value(); });
  }
  // The next message, waiting at most until `deadline`; nullopt when none
  // came by then, or when the link ended with nothing left (`ended` says how).
  std::optional<Item> Take(Clock::time_point deadline, std::optional<Status>* ended) {
    std::unique_lock lock(mu_);
    changed_.wait_until(lock, deadline, [this] { return !items_.empty() || link_end_; });
    if (!items_.empty()) {
      Item item = std::move(items_.front());
      items_.pop_front();
      return item;
    }
    *ended = link_end_;
    return std::nullopt;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Item> items_;
  std::optional<Status> link_end_;
  bool welcomed_ = false;
};

constexpr auto kPrintEvery = std::chrono::seconds(1);
constexpr auto kTellMasterEvery = std::chrono::seconds(2);

// Takes and loads messages until the loader has the whole snapshot or
// something fails.
Status Load(SnapshotQueue& queue, provision::SnapshotLoader& loader, MasterLink& link,
            const std::function<void(const std::string&)>& print) {
  Clock::time_point next_print = Clock::now() + kPrintEvery;
  Clock::time_point next_tell = Clock::now() + kTellMasterEvery;
  while (!loader.finished()) {
    std::optional<Status> ended;
    std::optional<SnapshotQueue::Item> item = queue.Take(next_print, &ended);
    if (item) {
      if (Status s = loader.Take(item->type, item->payload); !s.ok()) return s;
    } else if (ended) {
      return ended->ok() ? Status::Unavailable("the master closed the link before the copy ended")
                         : *ended;
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_print && !loader.finished()) {
      print(provision::DescribeProgress(loader.progress()));
      next_print = now + kPrintEvery;
    }
    if (now >= next_tell) {
      const provision::Progress p = loader.progress();
      link.SendProgress({p.rows, p.bytes});
      next_tell = now + kTellMasterEvery;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ProvisionResult> CopySnapshot(db::Session* session,
                                     provision::SnapshotLoader::Options loader_options,
                                     MasterLink::Options link_options,
                                     const std::function<Status()>& before_loading) {
  const std::function<void(const std::string&)> print = link_options.print;
  provision::SnapshotLoader loader(session, std::move(loader_options));
  SnapshotQueue queue;
  asio::io_context io;
  MasterLink link(io, std::move(link_options));
  asio::co_spawn(io, link.Provision(queue), [&queue](std::exception_ptr e, Status status) {
    queue.LinkEnded(e ? Status::Unavailable("the link to the master failed unexpectedly")
                      : std::move(status));
  });
  protocol::IoThread io_thread(io);
  Status loaded;
  if (!queue.WaitWelcomed()) {
    std::optional<Status> ended;
    queue.Take(Clock::now(), &ended);
    loaded = ended && !ended->ok() ? *ended : Status::Unavailable("the link ended");
  } else {
    loaded = before_loading();
    if (loaded.ok()) loaded = Load(queue, loader, link, print);
  }
  link.Stop();
  queue.WaitLinkEnded();  // nothing on the loop refers to the queue any more
  io_thread.Stop();
  if (!loaded.ok()) return loaded;
  print(provision::DescribeProgress(loader.progress()));
  return ProvisionResult{loader.begin(), loader.progress()};
}

}  // namespace sqlrepl::slave
