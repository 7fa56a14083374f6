#include "log/log_reader.hpp"

#include "log/replication_log.hpp"

namespace sqlrepl::log {

LogReader::LogReader(asio::io_context& io, db::ConnectOptions db, std::string meta_schema)
    : io_(io),
      db_(std::move(db)),
      meta_schema_(std::move(meta_schema)),
      thread_([this] { Loop(); }) {}

LogReader::~LogReader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LogReader::Request(uint64_t from_seq, Callback done) {
  {
    std::lock_guard lock(mu_);
    requests_.emplace_back(from_seq, std::move(done));
  }
  wake_.notify_one();
}

void LogReader::Loop() {
  db::ThreadEndGuard thread_guard;
  std::optional<db::Connection> conn;
  for (;;) {
    std::pair<uint64_t, Callback> request;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !requests_.empty(); });
      if (stopping_) return;
      request = std::move(requests_.front());
      requests_.pop_front();
    }
    Batch batch = Status::Unavailable("not read");
    for (int attempt = 0; attempt < 2; ++attempt) {  // once more on a fresh connection
      if (!conn) {
        Result<db::Connection> c = db::Connection::Open(db_);
        if (!c.ok()) {
          batch = c.status();
          continue;
        }
        conn.emplace(std::move(c).value());
      }
      batch =
          ReplicationLog::ReadFrom(&*conn, meta_schema_, request.first, kBatchEvents, kBatchBytes);
      if (batch.ok()) break;
      conn.reset();
    }
    asio::post(io_, [done = std::move(request.second), b = std::move(batch)]() mutable {
      done(std::move(b));
    });
  }
}

}  // namespace sqlrepl::log
