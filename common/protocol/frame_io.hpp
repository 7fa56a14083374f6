// Frames over a protocol::Stream, with C++20 coroutines. Errors stay values
// (as_tuple): nothing throws through a handler.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.hpp"
#include "protocol/frame.hpp"
#include "protocol/frame_mac.hpp"
#include "protocol/transport.hpp"

namespace sqlrepl::protocol {

struct Frame {
  MessageType type = MessageType::kHeartbeat;
  std::string payload;
};

// Reads one frame from `stream`. A payload longer than `max_size` is kCorruption, found
// from the header before anything is allocated; a closed or failed socket
// is kUnavailable. With `failure`, a read that failed leaves the socket's
// error there, for a caller that decides on it (a peer's TLS alert).
asio::awaitable<Result<Frame>> ReadFrame(Stream& stream, uint32_t max_size,
                                         asio::error_code* failure = nullptr);
// The same on the bare TCP socket under a TLS stream: a TLS master reads a
// plain slave's hello this way, to answer it in plain frames.
asio::awaitable<Result<Frame>> ReadFrame(asio::ip::tcp::socket& socket, uint32_t max_size);

// One write in flight per stream: Send() queues a frame (its payload
// shared, so one encoding serves every slave) and the Run() coroutine
// writes the queue in order. Once Seal() is called, each frame is tagged
// as it is queued; the payload is never copied for that. Use from the
// stream's executor only.
class FrameWriter {
 public:
  explicit FrameWriter(Stream& stream) : stream_(stream), signal_(stream.get_executor()) {}

  // Tags every frame queued from now on with `mac` (the sending direction).
  void Seal(FrameMac mac) { mac_.emplace(std::move(mac)); }
  void Send(MessageType type, std::shared_ptr<const std::string> payload);
  // Writes until Stop() or a write error; returns the error, or OK.
  asio::awaitable<Status> Run();
  void Stop();

  size_t queued_frames() const { return queue_.size(); }
  // Everything queued and not yet written, headers and tags included.
  size_t queued_bytes() const { return queued_bytes_; }
  std::chrono::steady_clock::time_point last_write() const { return last_write_; }
  // Called after each frame is written (to refill a catch-up stream).
  void set_on_drain(std::function<void()> f) { on_drain_ = std::move(f); }

 private:
  struct Pending {
    std::array<uint8_t, kHeaderSize> header{};
    std::shared_ptr<const std::string> payload;
    FrameMac::Tag tag{};
    bool sealed = false;
    size_t size() const { return header.size() + payload->size() + (sealed ? tag.size() : 0); }
  };

  Stream& stream_;
  std::optional<FrameMac> mac_;
  asio::steady_timer signal_;  // cancelled to wake Run()
  std::deque<Pending> queue_;
  size_t queued_bytes_ = 0;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  std::function<void()> on_drain_;
};

}  // namespace sqlrepl::protocol
