#include "master/run_record.hpp"

#include <fmt/format.h>

#include <charconv>

#include "base/strings.hpp"

namespace sqlrepl::master {

bool MayHaveUnreportedWrites(std::optional<uint64_t> clean_stop_seq, uint64_t last_seq) {
  return last_seq > 0 && clean_stop_seq != last_seq;
}

Result<std::optional<uint64_t>> BeginRun(db::Session* conn, std::string_view meta) {
  const std::string table = QuoteName(meta) + ".master_run";
  if (Status s = conn->Run(fmt::format("CREATE TABLE IF NOT EXISTS {} ("
                                       " id TINYINT UNSIGNED PRIMARY KEY,"
                                       " clean_stop_seq BIGINT UNSIGNED NULL"
                                       ") ENGINE=InnoDB",
                                       table));
      !s.ok()) {
    return s;
  }
  Result<db::QueryResult> read =
      conn->Execute(fmt::format("SELECT clean_stop_seq FROM {} WHERE id = 1", table));
  if (!read.ok()) return read.status();
  std::optional<uint64_t> clean_stop;
  if (!read->rows.empty() && !read->rows[0].empty() && read->rows[0][0]) {
    const std::string& text = *read->rows[0][0];
    uint64_t seq = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Status::Corruption(
          fmt::format("{}.master_run.clean_stop_seq is not a number: {}", meta, text));
    }
    clean_stop = seq;
  }
  if (Status s = conn->Run(fmt::format("INSERT INTO {} (id, clean_stop_seq) VALUES (1, NULL) "
                                       "ON DUPLICATE KEY UPDATE clean_stop_seq = NULL",
                                       table));
      !s.ok()) {
    return s;
  }
  return clean_stop;
}

Status EndRunCleanly(db::Session* conn, std::string_view meta, uint64_t last_seq) {
  return conn->Run(fmt::format("UPDATE {}.master_run SET clean_stop_seq = {} WHERE id = 1",
                               QuoteName(meta), last_seq));
}

}  // namespace sqlrepl::master
