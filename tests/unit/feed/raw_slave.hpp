// A slave written by hand with blocking sockets, for tests that run the
// master's replication server in process (tests/unit/feed/server_test.cpp
// and the integration tests that give it a real log).
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <asio.hpp>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "base/secret.hpp"
#include "protocol/frame.hpp"
#include "protocol/frame_mac.hpp"
#include "protocol/messages.hpp"
#include "replication/handshake.hpp"

namespace sqlrepl::feed::testing {

// After a welcome its frames are sealed and the master's are checked, as a
// real slave does.
class RawSlave {
 public:
  explicit RawSlave(uint16_t port) : socket_(io_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }
  void Send(protocol::MessageType type, const std::string& payload) {
    asio::write(socket_, asio::buffer(to_master_ ? to_master_->SealFrame(type, payload)
                                                 : protocol::EncodeFrame(type, payload)));
  }
  void SendRaw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  protocol::Frame Read() {
    std::array<uint8_t, protocol::kHeaderSize> header{};
    asio::read(socket_, asio::buffer(header));
    Result<protocol::FrameHeader> h = protocol::DecodeHeader(header);
    EXPECT_TRUE(h.ok());
    protocol::Frame f;
    f.type = h->type;
    f.payload.resize(h->length);
    asio::read(socket_, asio::buffer(f.payload));
    if (from_master_) {
      EXPECT_TRUE(from_master_->Open(f.type, &f.payload).ok());
    }
    return f;
  }
  // True once the master has closed the connection (whatever it sent first
  // is read and dropped).
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{socket_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      std::array<char, 4096> sink;
      const ssize_t n = ::recv(socket_.native_handle(), sink.data(), sink.size(), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    }
  }
  // Hello, then the answer to the challenge; returns the master's verdict.
  protocol::Frame Handshake(const Secret& token, const std::string& id, uint64_t applied,
                            const std::string& replication_id = "log-1") {
    const std::string hello = protocol::Encode(protocol::Hello{
        protocol::kProtocolVersion, id, replication_id, applied, replication::MakeNonce().value()});
    Send(protocol::MessageType::kHello, hello);
    protocol::Frame f = Read();
    protocol::Challenge challenge;
    EXPECT_EQ(f.type, protocol::MessageType::kChallenge);
    EXPECT_TRUE(protocol::Decode(f.payload, &challenge).ok());
    transcript_ = replication::MakeTranscript(hello, challenge.nonce);
    master_proved_ = replication::VerifyMasterProof(token, transcript_, challenge.proof);
    Send(protocol::MessageType::kAuth,
         protocol::Encode(protocol::Auth{replication::SlaveProof(token, transcript_)}));
    // With a wrong token the master answers in plain words; with the right
    // one, everything from here on is sealed.
    const replication::SessionKeys keys = replication::DeriveSessionKeys(token, transcript_);
    std::array<uint8_t, protocol::kHeaderSize> header{};
    asio::read(socket_, asio::buffer(header));
    Result<protocol::FrameHeader> h = protocol::DecodeHeader(header);
    EXPECT_TRUE(h.ok());
    f.type = h->type;
    f.payload.resize(h->length);
    asio::read(socket_, asio::buffer(f.payload));
    protocol::FrameMac from_master(keys.master_to_slave);
    if (from_master.Open(f.type, &f.payload).ok()) {
      from_master_.emplace(from_master);
      to_master_.emplace(keys.slave_to_master);
    }
    return f;
  }
  bool master_proved() const { return master_proved_; }
  bool sealed() const { return to_master_.has_value(); }
  protocol::FrameMac& to_master() { return *to_master_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  replication::Transcript transcript_{};
  bool master_proved_ = false;
  std::optional<protocol::FrameMac> from_master_;
  std::optional<protocol::FrameMac> to_master_;
};

}  // namespace sqlrepl::feed::testing
