// The byte stream a replication link runs over, chosen in this one place.
// Frame I/O, the master's sessions, its acceptor and the slave's link all
// name protocol::Stream: plain TCP, or TLS (1.2 or newer) over TCP when the
// stream is made with a TlsContext. The choice is made by whoever creates
// the stream (the master's acceptor, the slave's link); everything that only
// reads and writes frames cannot tell the two apart.
//
// No silent fallback: a TLS master meets a plain slave (or the reverse) and
// the side that can tell says so (ServerHandshake, ClientHandshake).
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <string>

#include "base/status.hpp"

namespace sqlrepl::protocol {

// Completion token for coroutines: errors come back as values, nothing
// throws through a handler.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// An OpenSSL context with the project's settings (TLS 1.2 or newer,
// verification as below), built once at start from PEM files. Shared by
// every stream made with it; immutable once built.
class TlsContext {
 public:
  // The master: its certificate chain and key; with `ca`, slaves must
  // present a certificate signed by it. Errors (kInvalidArgument) name the
  // setting and the file: "TLS_CERT: /x.pem holds no PEM certificate ...".
  static Result<std::shared_ptr<TlsContext>> ForServer(const std::string& cert,
                                                       const std::string& key,
                                                       const std::string& ca);
  // The slave: the master's certificate must be signed by `ca` and name the
  // host the slave connects to; `cert`/`key` (both or neither) are
  // presented when the master asks for a client certificate.
  static Result<std::shared_ptr<TlsContext>> ForClient(const std::string& ca,
                                                       const std::string& cert,
                                                       const std::string& key);

  asio::ssl::context& native() { return context_; }
  bool server() const { return server_; }

 private:
  TlsContext(asio::ssl::context::method method, bool server) : context_(method), server_(server) {}
  asio::ssl::context context_;
  bool server_;
};

class Stream {
 public:
  using executor_type = asio::any_io_executor;
  using lowest_layer_type = asio::ip::tcp::socket;

  // A plain stream over `socket` (connected or not).
  explicit Stream(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
  // TLS over `socket` when `tls` is set, plain otherwise; the stream holds
  // a share of the context.
  Stream(asio::ip::tcp::socket socket, std::shared_ptr<TlsContext> tls);
  // An unconnected plain or TLS stream on `io`.
  Stream(asio::io_context& io, std::shared_ptr<TlsContext> tls)
      : Stream(asio::ip::tcp::socket(io), std::move(tls)) {}
  explicit Stream(asio::io_context& io) : plain_(io) {}

  bool tls() const { return tls_ != nullptr; }
  executor_type get_executor() { return lowest_layer().get_executor(); }
  asio::ip::tcp::socket& lowest_layer() { return tls_ ? tls_->next_layer() : plain_; }
  const asio::ip::tcp::socket& lowest_layer() const { return tls_ ? tls_->next_layer() : plain_; }

  // AsyncReadStream / AsyncWriteStream, for asio::async_read and
  // async_write. Either form takes one read and one write in flight at
  // once, from the stream's executor only.
  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(asio::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            plain_.async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }
  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(asio::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            plain_.async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  // The master's first step on an accepted stream, before any frame: looks
  // at the peer's first byte without taking it. A TLS stream then runs the
  // TLS handshake; a plain stream does nothing more. Returns
  //   kOk                  ready for frames;
  //   kFailedPrecondition  the two sides disagree about TLS; the message
  //                        says which way and what to set. Nothing was
  //                        read, so a plain peer's hello is still there to
  //                        be answered;
  //   kUnavailable         the peer left, or the TLS handshake failed (the
  //                        message names OpenSSL's reason: "unsupported
  //                        protocol", "certificate verify failed: ...").
  asio::awaitable<Status> ServerHandshake();

  // The slave's first step on a connected stream: on a TLS stream, the TLS
  // handshake, with SNI and verification of the certificate chain and of
  // `host` (a name or an IP address) against the certificate. Nothing on a
  // plain stream. kUnavailable on failure, with the reason: a master that
  // answered in plain sqlrepl, a certificate that did not verify (and
  // why), a host name mismatch.
  asio::awaitable<Status> ClientHandshake(const std::string& host);

 private:
  // The socket itself when plain; when TLS, the socket lives in tls_ and
  // plain_ stays closed. Behind a pointer, the OpenSSL state does not move
  // when the Stream does (the acceptor hands it to a session).
  asio::ip::tcp::socket plain_;
  std::shared_ptr<TlsContext> context_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
};

// The TCP socket under `stream`, to connect or accept on.
inline auto& Socket(Stream& stream) { return stream.lowest_layer(); }

// Sets up a freshly connected or accepted stream for small frames (no Nagle
// delay).
void PrepareStream(Stream& stream);

// True when `first_byte` opens a TLS handshake record. A plain sqlrepl
// stream opens with the low byte of a frame length, which for a Hello (51
// to 178 bytes) is never this value.
constexpr bool StartsTlsRecord(uint8_t first_byte) { return first_byte == 0x16; }

// True when `ec` is a TLS alert by which the peer refused this side's
// certificate: none was sent where one is required, or the one sent was bad,
// expired, revoked, unsupported, unknown to it or signed by a CA it does not
// trust. A master with TLS_CA sends
// one to a slave it does not accept; under TLS 1.3 the slave reads it after
// its handshake has returned.
bool PeerRefusedCertificate(const asio::error_code& ec);

// Shuts both directions and closes; errors are ignored (the peer may be gone).
void CloseStream(Stream& stream);

// "127.0.0.1:5555", or "?" if the peer is unknown.
std::string PeerAddress(const Stream& stream);

}  // namespace sqlrepl::protocol
