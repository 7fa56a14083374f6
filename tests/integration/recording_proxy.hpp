// A TCP proxy on loopback that records every byte it carries, so that a
// test can look at what crossed the replication link.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sqlrepl::testing {

// Forwards connections from a loopback port to `target_port` and records
// the bytes of both directions. By default it carries one connection at a
// time (a newer one replaces the current one); `many` carries them all, for
// a program that keeps several sessions on one server.
//
// To lose an answer on purpose: after HoldAnswersAfter(marker), once the
// client has sent bytes containing `marker` (forwarded to the server), the
// server's bytes on that connection are no longer passed on; Cut() then
// closes every connection, so the client never learns the outcome of what
// it sent. LoseAnswerAfter() does both by itself, as a crash of the server
// would look from the client.
class RecordingProxy {
 public:
  explicit RecordingProxy(uint16_t target_port, bool many = false);
  ~RecordingProxy();
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  uint16_t port() const { return port_; }  // 0 if it could not listen
  std::string Recorded() const;

  void HoldAnswersAfter(std::string marker);
  bool holding() const;  // the marker went by; answers are held back
  // Closes every connection (the loop does it within 50 ms) and forwards
  // normally again.
  void Cut();
  bool cut_done() const;

  // Once `marker` went to the server and the server answered it (so it
  // ran), drops that answer, closes every connection, and closes each new
  // one as it comes for `refuse_for` (zero: none).
  void LoseAnswerAfter(std::string marker, std::chrono::milliseconds refuse_for);
  bool answer_lost() const;  // LoseAnswerAfter() has done its work
  bool refusing() const;     // new connections are still being closed

 private:
  using Clock = std::chrono::steady_clock;
  struct Pair {
    int client = -1;
    int server = -1;
    std::string client_tail;  // the client's last bytes, for a marker split across reads
    bool holding = false;     // the marker went by on this connection
  };

  void Loop();
  void Accept(std::vector<Pair>* pairs);
  // Carries what one side sent; false when the connection ended.
  bool Forward(Pair* pair, bool from_client);
  // Looks for the marker in what the client sent, across reads.
  void WatchClientBytes(Pair* pair, const char* data, size_t n);
  // Pending work for the loop: a Cut(), or an answer just dropped.
  bool TakeCut();

  uint16_t target_port_;
  bool many_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string recorded_;
  std::string marker_;          // guarded by mu_; empty: not watching
  bool holding_ = false;        // guarded by mu_
  bool cut_requested_ = false;  // guarded by mu_
  bool cut_done_ = false;       // guarded by mu_
  bool lose_answer_ = false;    // guarded by mu_; the marker was set by LoseAnswerAfter
  std::chrono::milliseconds refuse_for_{0};  // guarded by mu_
  Clock::time_point refuse_until_;           // guarded by mu_
  bool answer_lost_ = false;                 // guarded by mu_
};

}  // namespace sqlrepl::testing
