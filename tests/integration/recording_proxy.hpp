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
//
// To lose an answer on purpose: after HoldAnswersAfter(marker), once the
// client has sent bytes containing `marker` (forwarded to the server), the
// server's bytes are no longer passed on; Cut() then closes both sides, so
// the client never learns the outcome of what it sent.
class RecordingProxy {
 public:
  explicit RecordingProxy(uint16_t target_port);
  ~RecordingProxy();
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  uint16_t port() const { return port_; }  // 0 if it could not listen
  std::string Recorded() const;

  void HoldAnswersAfter(std::string marker);
  bool holding() const;  // the marker went by; answers are held back
  // Closes the current connection (the loop does it within 50 ms) and
  // forwards normally again.
  void Cut();
  bool cut_done() const;

 private:
  void Loop();
  // Looks for the marker in what the client sent, across reads.
  void WatchClientBytes(const char* data, size_t n);

  uint16_t target_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string recorded_;
  std::string marker_;          // guarded by mu_; empty: not watching
  std::string client_tail_;     // guarded by mu_; the last bytes, for a split marker
  bool holding_ = false;        // guarded by mu_
  bool cut_requested_ = false;  // guarded by mu_
  bool cut_done_ = false;       // guarded by mu_
};

}  // namespace sqlrepl::testing
