// A TCP proxy on loopback that records every byte it carries, so that a
// test can look at what crossed the replication link.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace sqlrepl::testing {

// Forwards one connection at a time from a loopback port to `target_port`
// and records the bytes of both directions. A newer connection replaces
// the current one.
class RecordingProxy {
 public:
  explicit RecordingProxy(uint16_t target_port);
  ~RecordingProxy();
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  uint16_t port() const { return port_; }  // 0 if it could not listen
  std::string Recorded() const;

 private:
  void Loop();

  uint16_t target_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string recorded_;
};

}  // namespace sqlrepl::testing
