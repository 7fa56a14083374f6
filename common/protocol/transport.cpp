#include "protocol/transport.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sqlrepl::protocol {

namespace {

// "TLS_CERT: cannot read /x.pem: No such file or directory", checked before
// OpenSSL parses the file so that a missing file and a bad one read apart.
Status CheckReadable(const char* key, const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Status::InvalidArgument(
        fmt::format("{}: cannot read {}: {}", key, path, std::strerror(errno)));
  return Status::Ok();
}

// OpenSSL's reason for the last failure, e.g. "no start line".
std::string Reason(const asio::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
                 ERR_reason_error_string(ec.value()) != nullptr
             ? ERR_reason_error_string(ec.value())
             : ec.message();
}

// Reads the PEM file at `path`, the value of setting `key`, with `load`
// (one of the context's loaders, error_code form). A failure names the
// setting, the file and OpenSSL's reason. A key that OpenSSL finds does
// not match the certificate loaded before it (`cert`, its path) is told
// apart.
template <typename Load>
Status LoadPem(const char* key, const std::string& path, const char* what, Load load,
               const std::string& cert = "") {
  if (Status s = CheckReadable(key, path); !s.ok()) return s;
  asio::error_code ec;
  load(ec);
  if (!ec) return Status::Ok();
  if (!cert.empty() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return Status::InvalidArgument(fmt::format(
        "{}: {} is not the private key of the certificate in TLS_CERT ({})", key, path, cert));
  }
  return Status::InvalidArgument(
      fmt::format("{}: {} holds no valid PEM {} ({})", key, path, what, Reason(ec)));
}

Status LoadCertificate(asio::ssl::context& context, const std::string& path) {
  return LoadPem("TLS_CERT", path, "certificate",
                 [&](asio::error_code& ec) { context.use_certificate_chain_file(path, ec); });
}

// After LoadCertificate: OpenSSL checks that the key is the certificate's.
Status LoadKey(asio::ssl::context& context, const std::string& path, const std::string& cert) {
  return LoadPem(
      "TLS_KEY", path, "private key",
      [&](asio::error_code& ec) {
        context.use_private_key_file(path, asio::ssl::context::pem, ec);
      },
      cert);
}

Status LoadCa(asio::ssl::context& context, const std::string& path) {
  return LoadPem("TLS_CA", path, "certificate",
                 [&](asio::error_code& ec) { context.load_verify_file(path, ec); });
}

// TLS 1.2 or newer, both ways.
void SetCommonOptions(asio::ssl::context& context) {
  context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
}

bool IsIpAddress(const std::string& host) {
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Why a TLS handshake failed, from the peer certificate check first (it
// says more than the alert that follows it).
std::string HandshakeFailure(SSL* ssl, const asio::error_code& ec, const std::string& host) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return fmt::format(
        "host name mismatch: the certificate does not name '{}' (its subjectAltName)", host);
  }
  if (verify != X509_V_OK) {
    return fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(verify));
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return "the peer closed the connection during the TLS handshake";
  }
  std::string reason = Reason(ec);
  if (ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_UNSUPPORTED_PROTOCOL) {
    reason += " (TLS 1.2 or newer is required)";
  }
  return reason;
}

// The bytes that came back were not a TLS record: OpenSSL read a frame
// header where a record header belongs.
bool PeerSpokePlain(const asio::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
         reason == SSL_R_UNKNOWN_PROTOCOL;
}

}  // namespace

bool PeerRefusedCertificate(const asio::error_code& ec) {
  const auto code = static_cast<unsigned long>(ec.value());
  if (ec.category() != asio::error::get_ssl_category() || ERR_GET_LIB(code) != ERR_LIB_SSL) {
    return false;
  }
  switch (ERR_GET_REASON(code)) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_NO_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:  // signed by another CA than the peer's TLS_CA
    case SSL_R_TLSV1_CERTIFICATE_UNOBTAINABLE:  // from a client certificate URL
    case SSL_R_TLSV1_BAD_CERTIFICATE_HASH_VALUE:
      return true;
    default:
      return false;
  }
}

Result<std::shared_ptr<TlsContext>> TlsContext::ForServer(const std::string& cert,
                                                          const std::string& key,
                                                          const std::string& ca) {
  std::shared_ptr<TlsContext> tls(new TlsContext(asio::ssl::context::tls_server, true));
  asio::ssl::context& context = tls->context_;
  SetCommonOptions(context);
  if (Status s = LoadCertificate(context, cert); !s.ok()) return s;
  if (Status s = LoadKey(context, key, cert); !s.ok()) return s;
  if (!ca.empty()) {
    if (Status s = LoadCa(context, ca); !s.ok()) return s;
    context.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  return tls;
}

Result<std::shared_ptr<TlsContext>> TlsContext::ForClient(const std::string& ca,
                                                          const std::string& cert,
                                                          const std::string& key) {
  std::shared_ptr<TlsContext> tls(new TlsContext(asio::ssl::context::tls_client, false));
  asio::ssl::context& context = tls->context_;
  SetCommonOptions(context);
  if (Status s = LoadCa(context, ca); !s.ok()) return s;
  context.set_verify_mode(asio::ssl::verify_peer);
  if (!cert.empty()) {
    if (Status s = LoadCertificate(context, cert); !s.ok()) return s;
    if (Status s = LoadKey(context, key, cert); !s.ok()) return s;
  }
  return tls;
}

Stream::Stream(asio::ip::tcp::socket socket, std::shared_ptr<TlsContext> tls)
    : plain_(socket.get_executor()), context_(std::move(tls)) {
  if (context_) {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(socket),
                                                                      context_->native());
  } else {
    plain_ = std::move(socket);
  }
}

asio::awaitable<Status> Stream::ServerHandshake() {
  asio::ip::tcp::socket& socket = lowest_layer();
  uint8_t first = 0;
  for (;;) {
    auto [ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_read, use_nothrow);
    if (ec) co_return Status::Unavailable(ec.message());
    asio::error_code peek_ec;
    const size_t n =
        socket.receive(asio::buffer(&first, 1), asio::socket_base::message_peek, peek_ec);
    if (peek_ec == asio::error::would_block || peek_ec == asio::error::try_again) continue;
    if (peek_ec) co_return Status::Unavailable(peek_ec.message());
    if (n == 0) co_return Status::Unavailable("connection closed by the peer");
    break;
  }
  const std::string peer = PeerAddress(*this);
  if (!tls_) {
    if (!StartsTlsRecord(first)) co_return Status::Ok();
    co_return Status::FailedPrecondition(fmt::format(
        "slave at {} started TLS, but this master has no TLS_CERT/TLS_KEY: give the master "
        "TLS_CERT and TLS_KEY, or remove TLS_CA on the slave",
        peer));
  }
  if (!StartsTlsRecord(first)) {
    co_return Status::FailedPrecondition(fmt::format(
        "slave at {} did not start TLS: set TLS_CA on the slave (this master requires TLS)", peer));
  }
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, use_nothrow);
  if (ec) {
    co_return Status::Unavailable(fmt::format("TLS handshake with {} failed: {}", peer,
                                              HandshakeFailure(tls_->native_handle(), ec, peer)));
  }
  co_return Status::Ok();
}

asio::awaitable<Status> Stream::ClientHandshake(const std::string& host) {
  if (!tls_) co_return Status::Ok();
  SSL* ssl = tls_->native_handle();
  // The host the slave was told to follow is what the certificate must
  // name: an IP address matches an IP entry of the subjectAltName, a name a
  // DNS entry (and goes out as SNI, which has no form for addresses).
  if (IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set1_host(ssl, host.c_str());
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
  const std::string where = PeerAddress(*this);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_nothrow);
  if (!ec) co_return Status::Ok();
  if (PeerSpokePlain(ec)) {
    co_return Status::Unavailable(fmt::format(
        "the master at {} does not speak TLS (plain sqlrepl): remove TLS_CA or give the master "
        "TLS_CERT/TLS_KEY",
        where));
  }
  co_return Status::Unavailable(fmt::format("TLS handshake with the master at {} failed: {}", where,
                                            HandshakeFailure(ssl, ec, host)));
}

void PrepareStream(Stream& stream) {
  asio::error_code ignored;
  Socket(stream).set_option(asio::ip::tcp::no_delay(true), ignored);
}

void CloseStream(Stream& stream) {
  asio::error_code ignored;
  Socket(stream).shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  Socket(stream).close(ignored);
}

std::string PeerAddress(const Stream& stream) {
  asio::error_code ec;
  const auto ep = stream.lowest_layer().remote_endpoint(ec);
  if (ec) return "?";
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace sqlrepl::protocol
