// Issue 12, "the link", TLS: real master and slave processes on two private
// MariaDB servers, certificates made for each test by scripts/tls-certs.sh
// (the `openssl` command) in a temporary folder. Everything on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdlib>

#include "mariadb_server.hpp"
#include "nodes.hpp"
#include "process.hpp"
#include "recording_proxy.hpp"

namespace sqlrepl::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "tls-test-token-3e9a51c07b2d";

struct TlsTestServers {
  static constexpr const char* kNames[] = {"tls-master", "tls-slave"};
};

class TlsTest : public ServersTest<TlsTestServers> {
 protected:
  void SetUp() override {
    ASSERT_EQ(servers_.size(), 2u) << "the MariaDB servers did not start";
    for (MariaDbServer* s : servers_) ASSERT_TRUE(s->ResetNotes().ok());
    listen_port_ = FreeLoopbackPort();
    // The master's certificate names 127.0.0.1 only; "other" is a CA the
    // master's certificate is not signed by.
    MakeCertificate("ca", "master", "IP:127.0.0.1");
    MakeCertificate("ca", "slave", "DNS:slave.test");
    MakeCertificate("other", "master", "IP:127.0.0.1");
    MakeCertificate("other", "slave", "DNS:slave.test");
  }

  void MakeCertificate(const std::string& folder, const std::string& name, const std::string& san) {
    const std::string command = std::string(SQLREPL_SOURCE_DIR) + "/scripts/tls-certs.sh " +
                                dir_.path() + "/" + folder + " " + name + " " + san;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  std::string File(const std::string& relative) const { return dir_.path() + "/" + relative; }

  MariaDbServer& master_db() { return *servers_[0]; }
  MariaDbServer& slave_db() { return *servers_[1]; }

  std::optional<Process> Spawn(const std::string& binary, const std::string& env_text,
                               const std::string& name) {
    return SpawnWithEnv(dir_.path(), binary, env_text, name, dir_.path());
  }

  // TLS_CERT/TLS_KEY of the good CA's master certificate.
  std::string MasterTls() const {
    return "TLS_CERT=" + File("ca/master.crt") + "\nTLS_KEY=" + File("ca/master.key") + "\n";
  }
  std::string MasterEnv(const std::string& tls) {
    return MasterEnvLines(master_db(), kToken, listen_port_) +
           "MASTER_LOG=" + File("master_log.txt") + "\n" + tls;
  }
  std::optional<Process> StartMaster(const std::string& tls) {
    return SpawnMaster(dir_.path(), MasterEnv(tls), "master", dir_.path());
  }
  std::optional<Process> StartSlave(const std::string& host, uint16_t port,
                                    const std::string& tls) {
    return Spawn(SQLREPL_SLAVE_BIN,
                 slave_db().SlaveEnvLines() + "REPL_TOKEN=" + kToken + "\nMASTER_HOST=" + host +
                     "\nMASTER_PORT=" + std::to_string(port) +
                     "\nSLAVE_ID=tls\nRECONNECT_SECONDS=1\n" + tls,
                 "slave");
  }

  static bool WaitOutput(Process& p, const std::string& what, int times = 1) {
    return WaitFor(
        [&] { return Count(p.Stdout() + p.Stderr(), what) >= static_cast<size_t>(times); },
        seconds(30));
  }

  TempDir dir_{"tls"};
  uint16_t listen_port_ = 0;
};

// End to end over TLS, with client certificates required: a write reaches
// the slave, and the bytes on the wire hold neither the statement nor its
// values.
TEST_F(TlsTest, WritesReachTheSlaveOverTlsAndTheWireHoldsNoStatementText) {
  std::optional<Process> master = StartMaster(MasterTls() + "TLS_CA=" + File("ca/ca.crt") + "\n");
  ASSERT_TRUE(master);
  EXPECT_THAT(master->Stderr(), HasSubstr(":" + std::to_string(listen_port_) + " (TLS)"));
  RecordingProxy proxy(listen_port_);
  ASSERT_NE(proxy.port(), 0);
  std::optional<Process> slave =
      StartSlave("127.0.0.1", proxy.port(),
                 "TLS_CA=" + File("ca/ca.crt") + "\nTLS_CERT=" + File("ca/slave.crt") +
                     "\nTLS_KEY=" + File("ca/slave.key") + "\n");
  ASSERT_TRUE(slave);
  ASSERT_TRUE(WaitOutput(*slave, "Connected to master")) << slave->Stdout() << slave->Stderr();

  ASSERT_TRUE(master->WriteStdin("INSERT INTO notes VALUES (1, 'confidential-body-4471');\n"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return slave_db().QueryValue("SELECT body FROM school.notes WHERE id = 1") ==
               std::optional<std::string>("confidential-body-4471");
      },
      seconds(30)))
      << slave->Stdout() << master->Stderr();
  master->CloseStdin();
  EXPECT_EQ(master->Wait(seconds(60)), 0) << master->Stderr();

  const std::string wire = proxy.Recorded();
  ASSERT_GT(wire.size(), 1000u);  // handshake, certificates, the event: not vacuous
  EXPECT_EQ(wire.substr(0, 2), std::string("\x16\x03", 2))
      << "the slave's first bytes are a TLS record";
  EXPECT_EQ(wire.find("confidential-body-4471"), std::string::npos);
  EXPECT_EQ(wire.find("INSERT INTO"), std::string::npos);
  EXPECT_EQ(wire.find("notes"), std::string::npos);
  EXPECT_EQ(wire.find("school"), std::string::npos);
}

// A master whose certificate another CA signed: the slave names the cause
// and keeps retrying, as for any master it cannot trust.
TEST_F(TlsTest, SlaveRefusesAMasterSignedByAnotherCaAndRetries) {
  std::optional<Process> master = StartMaster(MasterTls());
  std::optional<Process> slave =
      StartSlave("127.0.0.1", listen_port_, "TLS_CA=" + File("other/ca.crt") + "\n");
  ASSERT_TRUE(master && slave);
  EXPECT_TRUE(WaitOutput(*slave, "Waiting for the master at ")) << slave->Stdout();
  EXPECT_THAT(
      slave->Stdout(),
      HasSubstr("TLS handshake with the master at 127.0.0.1:" + std::to_string(listen_port_) +
                " failed: certificate verify failed: unable to get local issuer certificate"));
  EXPECT_THAT(slave->Stdout(), Not(HasSubstr("Connected to master")));
  EXPECT_TRUE(slave->Running());
  // It retries: the master sees a second handshake fail.
  EXPECT_TRUE(WaitOutput(*master, "TLS handshake with 127.0.0.1:", 2)) << master->Stderr();
  EXPECT_TRUE(slave->Running());
}

// MASTER_HOST must be a name the certificate holds (its subjectAltName):
// "localhost" reaches the master, but its certificate names 127.0.0.1 only.
TEST_F(TlsTest, SlaveRefusesACertificateForAnotherHostName) {
  std::optional<Process> master = StartMaster(MasterTls());
  std::optional<Process> slave =
      StartSlave("localhost", listen_port_, "TLS_CA=" + File("ca/ca.crt") + "\n");
  ASSERT_TRUE(master && slave);
  EXPECT_TRUE(WaitOutput(*slave, "Waiting for the master at ")) << slave->Stdout();
  EXPECT_THAT(slave->Stdout(), HasSubstr("failed: host name mismatch: the certificate does not "
                                         "name 'localhost' (its subjectAltName)"));
  EXPECT_THAT(slave->Stdout(), Not(HasSubstr("Connected to master")));
}

// A master that requires client certificates (TLS_CA) refuses a slave
// that has none, and says so in its log.
TEST_F(TlsTest, MasterWithTlsCaRefusesASlaveWithoutACertificate) {
  std::optional<Process> master = StartMaster(MasterTls() + "TLS_CA=" + File("ca/ca.crt") + "\n");
  std::optional<Process> slave =
      StartSlave("127.0.0.1", listen_port_, "TLS_CA=" + File("ca/ca.crt") + "\n");
  ASSERT_TRUE(master && slave);
  EXPECT_TRUE(WaitOutput(*master, "did not return a certificate")) << master->Stderr();
  EXPECT_TRUE(WaitOutput(*slave, "Waiting for the master at ")) << slave->Stdout();
  EXPECT_THAT(slave->Stdout(),
              HasSubstr("ended the TLS session: tlsv13 alert certificate required"));
  EXPECT_THAT(slave->Stdout(), HasSubstr("set TLS_CERT and TLS_KEY on the slave"));
  EXPECT_THAT(slave->Stdout(), Not(HasSubstr("Connected to master")));
}

// ...and a slave whose certificate another CA signed: the master's alert
// names no certificate ("unknown ca"), the slave's hint still does.
TEST_F(TlsTest, MasterWithTlsCaRefusesASlaveCertificateFromAnotherCa) {
  std::optional<Process> master = StartMaster(MasterTls() + "TLS_CA=" + File("ca/ca.crt") + "\n");
  std::optional<Process> slave =
      StartSlave("127.0.0.1", listen_port_,
                 "TLS_CA=" + File("ca/ca.crt") + "\nTLS_CERT=" + File("other/slave.crt") +
                     "\nTLS_KEY=" + File("other/slave.key") + "\n");
  ASSERT_TRUE(master && slave);
  EXPECT_TRUE(WaitOutput(*master, "certificate verify failed: unable to get local issuer"))
      << master->Stderr();
  EXPECT_TRUE(WaitOutput(*slave, "Waiting for the master at ")) << slave->Stdout();
  EXPECT_THAT(slave->Stdout(), HasSubstr("ended the TLS session: tlsv1 alert unknown ca"));
  EXPECT_THAT(slave->Stdout(), HasSubstr("set TLS_CERT and TLS_KEY on the slave"));
  EXPECT_THAT(slave->Stdout(), Not(HasSubstr("Connected to master")));
}

// No silent fallback, one way...
TEST_F(TlsTest, TlsMasterAndPlainSlaveBothSaySo) {
  std::optional<Process> master = StartMaster(MasterTls());
  std::optional<Process> slave = StartSlave("127.0.0.1", listen_port_, "");
  ASSERT_TRUE(master && slave);
  EXPECT_TRUE(WaitOutput(*master, "did not start TLS: set TLS_CA on the slave"))
      << master->Stderr();
  EXPECT_TRUE(WaitOutput(*slave, "Waiting for the master at ")) << slave->Stdout();
  EXPECT_THAT(slave->Stdout(),
              HasSubstr("the master at 127.0.0.1:" + std::to_string(listen_port_) +
                        " requires TLS and this slave speaks plain sqlrepl: set TLS_CA"));
  EXPECT_THAT(slave->Stdout(), Not(HasSubstr("Connected to master")));
}

// ...and the other.
TEST_F(TlsTest, PlainMasterAndTlsSlaveBothSaySo) {
  std::optional<Process> master = StartMaster("");
  std::optional<Process> slave =
      StartSlave("127.0.0.1", listen_port_, "TLS_CA=" + File("ca/ca.crt") + "\n");
  ASSERT_TRUE(master && slave);
  EXPECT_TRUE(WaitOutput(*slave, "Waiting for the master at ")) << slave->Stdout();
  EXPECT_THAT(slave->Stdout(),
              HasSubstr("the master at 127.0.0.1:" + std::to_string(listen_port_) +
                        " does not speak TLS (plain sqlrepl): remove TLS_CA or give the "
                        "master TLS_CERT/TLS_KEY"));
  EXPECT_TRUE(WaitOutput(*master, "started TLS, but this master has no TLS_CERT/TLS_KEY"))
      << master->Stderr();
  // Listening on loopback only: no warning about the missing TLS.
  EXPECT_THAT(master->Stderr(), Not(HasSubstr("without TLS")));
}

// A TLS handshake from this process, with the client allowed protocol
// versions up to `max_version`; the error, or none.
asio::error_code HandshakeWith(uint16_t port, int max_version) {
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  SSL_CTX_set_security_level(context.native_handle(), 0);  // lets this client offer TLS 1.1 at all
  SSL_CTX_set_cipher_list(context.native_handle(), "DEFAULT@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(context.native_handle(), max_version);
  context.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, context);
  asio::error_code ec;
  stream.next_layer().connect({asio::ip::address_v4::loopback(), port}, ec);
  if (!ec) stream.handshake(asio::ssl::stream_base::client, ec);
  return ec;
}

TEST_F(TlsTest, MasterRefusesTls11) {
  std::optional<Process> master = StartMaster(MasterTls());
  ASSERT_TRUE(master);
  EXPECT_FALSE(HandshakeWith(listen_port_, TLS1_2_VERSION))
      << "the same client with TLS 1.2 gets in";
  const asio::error_code ec = HandshakeWith(listen_port_, TLS1_1_VERSION);
  EXPECT_TRUE(ec);
  EXPECT_TRUE(WaitOutput(*master, "(TLS 1.2 or newer is required)"))
      << master->Stderr() << ec.message();
}

// Setup errors stop either program with status 2 and a message that names
// the key and the file; no database is reached for that.
TEST_F(TlsTest, TlsConfigurationErrorsStopAtStartNamingTheKeyAndTheFile) {
  const std::string garbage = File("garbage.pem");
  WriteFile(garbage, "this is not PEM\n");
  const std::string missing = File("no-such-file.pem");
  const std::string base =
      std::string("DB_USER=u\nDB_PASS=p\nREPL_TOKEN=") + kToken + "\nMASTER_LOG=\n";
  struct Case {
    const char* binary;
    std::string tls;
    std::string message;
  };
  const std::vector<Case> cases = {
      {SQLREPL_MASTER_BIN, "TLS_CERT=" + File("ca/master.crt") + "\n",
       "TLS_CERT is set but TLS_KEY is not"},
      {SQLREPL_MASTER_BIN, "TLS_KEY=" + File("ca/master.key") + "\n",
       "TLS_KEY is set but TLS_CERT is not"},
      {SQLREPL_MASTER_BIN, "TLS_CERT=" + missing + "\nTLS_KEY=" + File("ca/master.key") + "\n",
       "TLS_CERT: cannot read " + missing + ": No such file or directory"},
      {SQLREPL_MASTER_BIN, "TLS_CERT=" + garbage + "\nTLS_KEY=" + File("ca/master.key") + "\n",
       "TLS_CERT: " + garbage + " holds no valid PEM certificate"},
      {SQLREPL_MASTER_BIN, "TLS_CERT=" + File("ca/master.crt") + "\nTLS_KEY=" + garbage + "\n",
       "TLS_KEY: " + garbage + " holds no valid PEM private key"},
      {SQLREPL_MASTER_BIN,
       "TLS_CERT=" + File("ca/master.crt") + "\nTLS_KEY=" + File("ca/slave.key") + "\n",
       "TLS_KEY: " + File("ca/slave.key") +
           " is not the private key of the certificate in TLS_CERT"},
      {SQLREPL_MASTER_BIN, MasterTls() + "TLS_CA=" + garbage + "\n",
       "TLS_CA: " + garbage + " holds no valid PEM certificate"},
      {SQLREPL_MASTER_BIN, "TLS_CA=" + File("ca/ca.crt") + "\n",
       "TLS_CA is set but TLS_CERT/TLS_KEY are not"},
      {SQLREPL_SLAVE_BIN, "TLS_CA=" + missing + "\n", "TLS_CA: cannot read " + missing},
      {SQLREPL_SLAVE_BIN, "TLS_CA=" + garbage + "\n",
       "TLS_CA: " + garbage + " holds no valid PEM certificate"},
      {SQLREPL_SLAVE_BIN,
       "TLS_CERT=" + File("ca/slave.crt") + "\nTLS_KEY=" + File("ca/slave.key") + "\n",
       "TLS_CERT/TLS_KEY are set but TLS_CA is not"},
      {SQLREPL_SLAVE_BIN,
       "TLS_CA=" + File("ca/ca.crt") + "\nTLS_CERT=" + File("ca/slave.crt") + "\n",
       "TLS_CERT is set but TLS_KEY is not"},
  };
  for (const Case& c : cases) {
    std::optional<Process> p = Spawn(c.binary, base + c.tls, "bad-config");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->Wait(seconds(20)), 2) << c.tls;
    EXPECT_THAT(p->Stderr(), HasSubstr(c.message)) << c.tls;
  }
}

}  // namespace
}  // namespace sqlrepl::testing
