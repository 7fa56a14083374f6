#include "log/log_purger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace sqlrepl::log {

uint64_t PurgeLimit(const std::vector<uint64_t>& known, uint64_t last_seq) {
  if (known.empty() || last_seq == 0) return 0;
  const uint64_t slowest = *std::min_element(known.begin(), known.end());
  return std::min(slowest, last_seq - 1);
}

std::chrono::seconds PurgeInterval(int64_t retention_seconds) {
  return std::chrono::seconds(std::clamp<int64_t>(retention_seconds / 2, 1, 60));
}

LogPurger::LogPurger(Options options, Followers followers)
    : options_(std::move(options)), followers_(std::move(followers)) {}

LogPurger::~LogPurger() { Stop(); }

void LogPurger::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void LogPurger::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogPurger::Loop() {
  db::ThreadEndGuard thread_guard;
  const auto interval = PurgeInterval(options_.retention_seconds);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, interval, [&] { return stopping_; })) return;
    }
    Status s = RunOnce();
    if (!s.ok()) {
      conn_.reset();  // reconnect next round
      if (options_.log) options_.log("log purge failed, will retry: " + s.ToString());
    }
  }
}

Status LogPurger::RunOnce() {
  if (!conn_) {
    Status s = Connect();
    if (!s.ok()) return s;
  }
  Result<uint64_t> limit = RecordPositions();
  if (!limit.ok()) return limit.status();
  if (*limit == 0) return Status::Ok();
  Result<uint64_t> purged = DeleteUpTo(*limit);
  if (!purged.ok()) return purged.status();
  if (*purged == 0) return Status::Ok();
  // 3. Slaves behind the new first event are refused from now on.
  Result<db::QueryResult> first =
      conn_->Execute(fmt::format("SELECT MIN(seq) FROM `{}`.log", options_.meta_schema));
  if (!first.ok()) return first.status();
  const uint64_t first_seq = std::strtoull(first->rows[0][0].value_or("0").c_str(), nullptr, 10);
  if (options_.on_first_seq && first_seq > 0) options_.on_first_seq(first_seq);
  if (options_.log)
    options_.log(
        fmt::format("purged {} log events; the log now starts at #{}", *purged, first_seq));
  return Status::Ok();
}

Status LogPurger::Connect() {
  Result<db::Connection> c = db::Connection::Open(options_.db);
  if (!c.ok()) return c.status();
  conn_.emplace(std::move(c).value());
  Status s = conn_->Run("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  if (!s.ok()) return s;
  return conn_->Run(
      fmt::format("CREATE TABLE IF NOT EXISTS `{}`.slaves ("
                  " slave_id VARCHAR(255) PRIMARY KEY,"
                  " applied_seq BIGINT UNSIGNED NOT NULL,"
                  " last_seen TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                  ") ENGINE=InnoDB",
                  options_.meta_schema));
}

Result<uint64_t> LogPurger::RecordPositions() {
  const std::string& meta = options_.meta_schema;
  // 1. Remember every slave seen, and how far it has applied.
  for (const FollowerPosition& slave : followers_()) {
    Status s = conn_->Run(fmt::format(
        "INSERT INTO `{0}`.slaves (slave_id, applied_seq) VALUES ({1}, {2}) ON DUPLICATE KEY "
        "UPDATE applied_seq = GREATEST(applied_seq, VALUES(applied_seq)), last_seen = NOW(6)",
        meta, conn_->Quote(slave.id), slave.applied_seq));
    if (!s.ok()) return s;
  }
  Result<db::QueryResult> known =
      conn_->Execute(fmt::format("SELECT applied_seq FROM `{}`.slaves", meta));
  if (!known.ok()) return known.status();
  std::vector<uint64_t> positions;
  for (const db::Row& row : known->rows)
    positions.push_back(std::strtoull(row[0].value_or("0").c_str(), nullptr, 10));
  Result<db::QueryResult> last =
      conn_->Execute(fmt::format("SELECT COALESCE(MAX(seq), 0) FROM `{}`.log", meta));
  if (!last.ok()) return last.status();
  return PurgeLimit(positions, std::strtoull(last->rows[0][0].value_or("0").c_str(), nullptr, 10));
}

Result<uint64_t> LogPurger::DeleteUpTo(uint64_t limit) {
  // 2. Delete what every known slave has applied and retention allows.
  uint64_t purged = 0;
  for (;;) {
    Result<db::QueryResult> r = conn_->Execute(fmt::format(
        "DELETE FROM `{}`.log WHERE seq <= {} AND committed_at < NOW(6) - INTERVAL {} SECOND "
        "ORDER BY seq LIMIT {}",
        options_.meta_schema, limit, options_.retention_seconds, kBatch));
    if (!r.ok()) return r.status();
    purged += r->affected_rows;
    if (r->affected_rows < static_cast<uint64_t>(kBatch)) break;
    std::unique_lock lock(mu_);
    if (stopping_) break;
  }
  return purged;
}

}  // namespace sqlrepl::log
