#include "protocol/frame_io.hpp"

#include <fmt/format.h>

namespace sqlrepl::protocol {

asio::awaitable<Result<Frame>> ReadFrame(Stream& stream, uint32_t max_size) {
  std::array<uint8_t, kHeaderSize> header{};
  auto [ec, n] = co_await asio::async_read(stream, asio::buffer(header), use_nothrow);
  if (ec) {
    co_return Status::Unavailable(ec == asio::error::eof ? "connection closed by the peer"
                                                         : ec.message());
  }
  Result<FrameHeader> h = DecodeHeader(header);
  if (!h.ok()) co_return h.status();
  if (h->length > max_size) {
    co_return Status::Corruption(fmt::format("{} frame of {} bytes is larger than the {} allowed here",
                                             MessageTypeName(h->type), h->length, max_size));
  }
  Frame frame;
  frame.type = h->type;
  frame.payload.resize(h->length);
  if (h->length > 0) {
    auto [ec2, n2] = co_await asio::async_read(stream, asio::buffer(frame.payload), use_nothrow);
    if (ec2) co_return Status::Unavailable(ec2 == asio::error::eof ? "connection closed mid-frame" : ec2.message());
  }
  co_return frame;
}

void FrameWriter::Send(std::shared_ptr<const std::string> frame) {
  if (stopped_) return;
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (queue_.size() == 1) signal_.cancel();
}

void FrameWriter::Stop() {
  stopped_ = true;
  signal_.cancel();
}

asio::awaitable<Status> FrameWriter::Run() {
  while (!stopped_) {
    if (queue_.empty()) {
      signal_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await signal_.async_wait(use_nothrow);
      continue;
    }
    std::shared_ptr<const std::string> frame = queue_.front();
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(*frame), use_nothrow);
    if (ec) co_return Status::Unavailable(ec.message());
    queue_.pop_front();
    queued_bytes_ -= frame->size();
    last_write_ = std::chrono::steady_clock::now();
    if (on_drain_) on_drain_();
  }
  co_return Status::Ok();
}

}  // namespace sqlrepl::protocol
