#include "protocol/frame_io.hpp"

#include <fmt/format.h>

#include <cstring>

#include "base/coding.hpp"

namespace sqlrepl::protocol {

namespace {

// The end of the stream: a TLS peer that closes without a close_notify
// (every peer here: CloseStream shuts TCP down) reads as a truncated stream.
bool Closed(const asio::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

template <typename AsyncReadStream>
asio::awaitable<Result<Frame>> ReadFrameFrom(AsyncReadStream& stream, uint32_t max_size,
                                             asio::error_code* failure) {
  std::array<uint8_t, kHeaderSize> header{};
  auto [ec, n] = co_await asio::async_read(stream, asio::buffer(header), use_nothrow);
  if (ec && failure) *failure = ec;
  if (ec)
    co_return Status::Unavailable(Closed(ec) ? "connection closed by the peer" : ec.message());
  Result<FrameHeader> h = DecodeHeader(header);
  if (!h.ok()) co_return h.status();
  if (h->length > max_size) {
    co_return Status::Corruption(
        fmt::format("{} frame of {} bytes is larger than the {} allowed here",
                    MessageTypeName(h->type), h->length, max_size));
  }
  Frame frame;
  frame.type = h->type;
  frame.payload.resize(h->length);
  if (h->length > 0) {
    auto [ec2, n2] = co_await asio::async_read(stream, asio::buffer(frame.payload), use_nothrow);
    if (ec2 && failure) *failure = ec2;
    if (ec2)
      co_return Status::Unavailable(Closed(ec2) ? "connection closed mid-frame" : ec2.message());
  }
  co_return frame;
}

}  // namespace

asio::awaitable<Result<Frame>> ReadFrame(Stream& stream, uint32_t max_size,
                                         asio::error_code* failure) {
  return ReadFrameFrom(stream, max_size, failure);
}

asio::awaitable<Result<Frame>> ReadFrame(asio::ip::tcp::socket& socket, uint32_t max_size) {
  return ReadFrameFrom(socket, max_size, nullptr);
}

void FrameWriter::Send(MessageType type, std::shared_ptr<const std::string> payload) {
  if (stopped_) return;
  Pending p;
  p.sealed = mac_.has_value();
  if (p.sealed) p.tag = mac_->Sign(type, *payload);
  const size_t length = payload->size() + (p.sealed ? kTagSize : 0);
  std::string header;
  PutFixed32(&header, static_cast<uint32_t>(length));
  PutFixed8(&header, static_cast<uint8_t>(type));
  std::memcpy(p.header.data(), header.data(), kHeaderSize);
  p.payload = std::move(payload);
  queued_bytes_ += p.size();
  queue_.push_back(std::move(p));
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
    // A copy: Send() may grow the deque while the write is in flight.
    const Pending frame = queue_.front();
    std::array<asio::const_buffer, 3> buffers = {
        asio::buffer(frame.header), asio::buffer(*frame.payload),
        asio::buffer(frame.tag.data(), frame.sealed ? frame.tag.size() : 0)};
    auto [ec, n] = co_await asio::async_write(stream_, buffers, use_nothrow);
    if (ec) co_return Status::Unavailable(ec.message());
    queue_.pop_front();
    queued_bytes_ -= frame.size();
    last_write_ = std::chrono::steady_clock::now();
    if (on_drain_) on_drain_();
  }
  co_return Status::Ok();
}

}  // namespace sqlrepl::protocol
