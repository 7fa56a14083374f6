// What the slave makes of a failed read on a TLS stream: the master's alert
// that refused the slave's certificate, told apart from every other failure.
#include "protocol/transport.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sqlrepl::protocol {
namespace {

// An OpenSSL error as asio reports it: the packed code, in its ssl category.
asio::error_code SslError(int reason, int lib = ERR_LIB_SSL) {
  return {static_cast<int>(ERR_PACK(lib, 0, reason)), asio::error::get_ssl_category()};
}

TEST(PeerRefusedCertificate, OnlyTheAlertsThatRefuseThisSidesCertificate) {
  struct Case {
    const char* what;
    asio::error_code ec;
    bool refused;
  };
  const Case cases[] = {
      {"no certificate (TLS 1.3)", SslError(SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED), true},
      {"no certificate (SSLv3)", SslError(SSL_R_SSLV3_ALERT_NO_CERTIFICATE), true},
      {"bad certificate", SslError(SSL_R_SSLV3_ALERT_BAD_CERTIFICATE), true},
      {"unsupported", SslError(SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE), true},
      {"revoked", SslError(SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED), true},
      {"expired", SslError(SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED), true},
      {"unknown certificate", SslError(SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN), true},
      {"another CA", SslError(SSL_R_TLSV1_ALERT_UNKNOWN_CA), true},
      {"certificate URL unobtainable", SslError(SSL_R_TLSV1_CERTIFICATE_UNOBTAINABLE), true},
      {"certificate URL hash", SslError(SSL_R_TLSV1_BAD_CERTIFICATE_HASH_VALUE), true},
      // Sent by a client about a server's OCSP answer, never to a client.
      {"certificate status", SslError(SSL_R_TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE), false},
      {"handshake failure", SslError(SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE), false},
      {"decrypt error", SslError(SSL_R_TLSV1_ALERT_DECRYPT_ERROR), false},
      {"access denied", SslError(SSL_R_TLSV1_ALERT_ACCESS_DENIED), false},
      {"internal error", SslError(SSL_R_TLSV1_ALERT_INTERNAL_ERROR), false},
      {"protocol version", SslError(SSL_R_TLSV1_ALERT_PROTOCOL_VERSION), false},
      // This side's own check of the peer's certificate, not a refusal.
      {"verify failed here", SslError(SSL_R_CERTIFICATE_VERIFY_FAILED), false},
      {"another library", SslError(SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, ERR_LIB_X509), false},
      {"stream truncated", asio::ssl::error::stream_truncated, false},
      {"end of stream", asio::error::eof, false},
      {"reset", asio::error::connection_reset, false},
      {"the same number, not OpenSSL's",
       asio::error_code(SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, asio::system_category()), false},
      {"no error", asio::error_code(), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PeerRefusedCertificate(c.ec), c.refused) << c.what << ": " << c.ec.message();
  }
}

}  // namespace
}  // namespace sqlrepl::protocol
