// Runs an io_context that someone else owns on a thread of its own until
// Stop(): the master's prompt keeps the main thread, so its event loop runs
// here. The context outlives this object.
#pragma once

#include <asio.hpp>
#include <optional>
#include <thread>

namespace sqlrepl::protocol {

class IoThread {
 public:
  explicit IoThread(asio::io_context& io) : io_(io), work_(asio::make_work_guard(io)) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~IoThread() { Stop(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Lets the loop finish what is queued, stops it and joins the thread.
  void Stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
  }

 private:
  asio::io_context& io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace sqlrepl::protocol
