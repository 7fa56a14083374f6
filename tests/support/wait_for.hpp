// The one wait of the tests: poll a condition until it holds or a deadline
// passes, instead of sleeping for a time that a slow machine may exceed.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace sqlrepl::testing {

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes
// (false); `condition` is asked once more at the deadline.
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace sqlrepl::testing
