#include "config/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "config/env_file.hpp"

namespace sqlrepl::config {
namespace {

constexpr char kToken[] = "0123456789abcdef0123";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sqlrepl-config-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  LoadOptions Write(const std::string& text, mode_t mode = 0600) {
    const std::string path = dir_ + "/.env";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    LoadOptions o;
    o.env_file = path;
    o.env_file_explicit = true;
    o.environment = [this](const std::string& k) -> std::optional<std::string> {
      auto it = env_.find(k);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return o;
  }

  static std::string Minimal() {
    return std::string("DB_USER=app\nDB_PASS=pw\nREPL_TOKEN=") + kToken + "\n";
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> warnings_;
};

TEST_F(ConfigTest, DefaultsMatchDesign) {
  Result<MasterConfig> m = LoadMasterConfig(Write(Minimal()), &warnings_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->db.host, "127.0.0.1");
  EXPECT_EQ(m->db.port, 3306);
  EXPECT_EQ(m->db.database, "school");
  EXPECT_EQ(m->listen_host, "0.0.0.0");
  EXPECT_EQ(m->listen_port, 8080);
  EXPECT_EQ(m->ack_timeout_ms, 5000);
  EXPECT_EQ(m->meta_schema, "repl_meta");
  EXPECT_EQ(m->unsafe_statements, UnsafePolicy::kWarn);
  Result<SlaveConfig> s = LoadSlaveConfig(Write(Minimal()), &warnings_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->master_host, "127.0.0.1");
  EXPECT_EQ(s->master_port, 8080);
  EXPECT_EQ(s->reconnect_seconds, 5);
  EXPECT_FALSE(s->slave_id.empty());
  EXPECT_EQ(s->on_apply_error, ApplyErrorPolicy::kSkip);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(ConfigTest, TlsKeysAreReadAndComeInPairs) {
  Result<MasterConfig> m = LoadMasterConfig(Write(Minimal()), &warnings_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->tls.cert.empty() && m->tls.key.empty() && m->tls.ca.empty()) << "plain by default";
  m = LoadMasterConfig(Write(Minimal() + "TLS_CERT=/c.pem\nTLS_KEY=/k.pem\nTLS_CA=/ca.pem\n"),
                       &warnings_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->tls.cert, "/c.pem");
  EXPECT_EQ(m->tls.key, "/k.pem");
  EXPECT_EQ(m->tls.ca, "/ca.pem");
  Result<SlaveConfig> s = LoadSlaveConfig(Write(Minimal() + "TLS_CA=/ca.pem\n"), &warnings_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->tls.ca, "/ca.pem");

  const std::vector<std::pair<std::string, std::string>> master_errors = {
      {"TLS_CERT=/c.pem\n", "TLS_CERT is set but TLS_KEY is not"},
      {"TLS_KEY=/k.pem\n", "TLS_KEY is set but TLS_CERT is not"},
      {"TLS_CA=/ca.pem\n", "TLS_CA is set but TLS_CERT/TLS_KEY are not"}};
  for (const auto& [lines, message] : master_errors) {
    m = LoadMasterConfig(Write(Minimal() + lines), &warnings_);
    ASSERT_FALSE(m.ok()) << lines;
    EXPECT_NE(m.status().message().find(message), std::string::npos) << m.status().message();
  }
  const std::vector<std::pair<std::string, std::string>> slave_errors = {
      {"TLS_CERT=/c.pem\nTLS_KEY=/k.pem\n", "TLS_CERT/TLS_KEY are set but TLS_CA is not"},
      {"TLS_CA=/ca.pem\nTLS_KEY=/k.pem\n", "TLS_KEY is set but TLS_CERT is not"}};
  for (const auto& [lines, message] : slave_errors) {
    s = LoadSlaveConfig(Write(Minimal() + lines), &warnings_);
    ASSERT_FALSE(s.ok()) << lines;
    EXPECT_NE(s.status().message().find(message), std::string::npos) << s.status().message();
  }
}

TEST_F(ConfigTest, EveryKeyIsRead) {
  Result<SlaveConfig> s = LoadSlaveConfig(
      Write(Minimal() +
            "DB_HOST=db\nDB_PORT=3307\nDB_SOCKET=/run/x.sock\nDB_NAME=shop\nMASTER_HOST=m\n"
            "MASTER_PORT=9000\nSLAVE_ID=s-1\nRECONNECT_SECONDS=2\nMETA_SCHEMA=meta\n"
            "ON_APPLY_ERROR=stop\n"),
      &warnings_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->db.host, "db");
  EXPECT_EQ(s->db.port, 3307);
  EXPECT_EQ(s->db.socket, "/run/x.sock");
  EXPECT_EQ(s->db.database, "shop");
  EXPECT_EQ(s->db.user, "app");
  EXPECT_EQ(s->db.password.Reveal(), "pw");
  EXPECT_EQ(s->master_host, "m");
  EXPECT_EQ(s->master_port, 9000);
  EXPECT_EQ(s->slave_id, "s-1");
  EXPECT_EQ(s->reconnect_seconds, 2);
  EXPECT_EQ(s->meta_schema, "meta");
  EXPECT_EQ(s->on_apply_error, ApplyErrorPolicy::kStop);
  EXPECT_EQ(s->token.Reveal(), kToken);
  Result<MasterConfig> m = LoadMasterConfig(
      Write(Minimal() + "LISTEN_HOST=127.0.0.1\nLISTEN_PORT=9001\nACK_TIMEOUT_MS=250\n"
                        "UNSAFE_STATEMENTS=refuse\n"),
      &warnings_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->listen_host, "127.0.0.1");
  EXPECT_EQ(m->listen_port, 9001);
  EXPECT_EQ(m->ack_timeout_ms, 250);
  EXPECT_EQ(m->unsafe_statements, UnsafePolicy::kRefuse);
}

TEST_F(ConfigTest, EnvironmentWinsOverFile) {
  env_["DB_USER"] = "from_env";
  env_["LISTEN_PORT"] = "9100";
  Result<MasterConfig> m = LoadMasterConfig(Write(Minimal() + "LISTEN_PORT=9000\n"), &warnings_);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->db.user, "from_env");
  EXPECT_EQ(m->listen_port, 9100);
}

TEST_F(ConfigTest, EnvironmentAloneIsEnoughWithoutDefaultFile) {
  env_ = {{"DB_USER", "u"}, {"DB_PASS", "p"}, {"REPL_TOKEN", kToken}};
  LoadOptions o = Write("");
  o.env_file = dir_ + "/absent.env";
  o.env_file_explicit = false;
  EXPECT_TRUE(LoadMasterConfig(o, &warnings_).ok());
}

TEST_F(ConfigTest, NamedFileThatDoesNotExistIsAnError) {
  LoadOptions o = Write(Minimal());
  o.env_file = dir_ + "/absent.env";
  Result<MasterConfig> m = LoadMasterConfig(o, &warnings_);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("absent.env does not exist"), std::string::npos);
}

TEST_F(ConfigTest, MissingRequiredKeyIsNamed) {
  for (const char* key : {"DB_USER", "DB_PASS", "REPL_TOKEN"}) {
    std::string text = Minimal();
    const size_t at = text.find(key);
    text.erase(at, text.find('\n', at) - at + 1);
    Result<MasterConfig> m = LoadMasterConfig(Write(text), &warnings_);
    ASSERT_FALSE(m.ok()) << key;
    EXPECT_EQ(m.status().message().rfind(std::string(key) + " is required", 0), 0u)
        << m.status().message();
  }
}

TEST_F(ConfigTest, UnknownKeyIsNamedWithLine) {
  Result<MasterConfig> m = LoadMasterConfig(Write(Minimal() + "DB_PASSWORD=x\n"), &warnings_);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 4: unknown key DB_PASSWORD"), std::string::npos)
      << m.status().message();
}

TEST_F(ConfigTest, MalformedLineIsNamed) {
  Result<SlaveConfig> s = LoadSlaveConfig(Write("DB_USER=a\nnonsense\n"), &warnings_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("line 2:"), std::string::npos);
}

TEST_F(ConfigTest, BadNumbersAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"DB_PORT=abc\n", "DB_PORT must be a whole number from 1 to 65535, got 'abc'"},
      {"LISTEN_PORT=70000\n", "LISTEN_PORT must be a whole number from 1 to 65535, got '70000'"},
      {"ACK_TIMEOUT_MS=0\n", "ACK_TIMEOUT_MS must be a whole number from 1 to 3600000, got '0'"},
      {"DB_PORT=12x\n", "DB_PORT must be a whole number from 1 to 65535, got '12x'"},
  };
  for (auto [line, expected] : cases) {
    Result<MasterConfig> m = LoadMasterConfig(Write(Minimal() + line), &warnings_);
    ASSERT_FALSE(m.ok()) << line;
    EXPECT_EQ(m.status().message(), expected);
  }
  Result<SlaveConfig> s = LoadSlaveConfig(Write(Minimal() + "RECONNECT_SECONDS=-1\n"), &warnings_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "RECONNECT_SECONDS must be a whole number from 1 to 3600, got '-1'");
}

TEST_F(ConfigTest, BadEnumsAndNamesAreRejected) {
  EXPECT_FALSE(LoadMasterConfig(Write(Minimal() + "UNSAFE_STATEMENTS=maybe\n"), &warnings_).ok());
  EXPECT_FALSE(LoadSlaveConfig(Write(Minimal() + "ON_APPLY_ERROR=retry\n"), &warnings_).ok());
  Result<MasterConfig> m = LoadMasterConfig(Write(Minimal() + "DB_NAME=school;drop\n"), &warnings_);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("DB_NAME must be a plain name"), std::string::npos);
  EXPECT_FALSE(LoadSlaveConfig(Write(Minimal() + "SLAVE_ID='a b'\n"), &warnings_).ok());
}

// Issue 18: a slave whose META_SCHEMA is DB_NAME refused every event while
// its position moved on; both programs now refuse that configuration.
TEST_F(ConfigTest, MetaSchemaThatIsDbNameIsRefused) {
  Result<SlaveConfig> s = LoadSlaveConfig(Write(Minimal() + "META_SCHEMA=School\n"), &warnings_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("META_SCHEMA and DB_NAME are both 'School'"),
            std::string::npos)
      << s.status().message();
  EXPECT_FALSE(
      LoadMasterConfig(Write(Minimal() + "DB_NAME=shop\nMETA_SCHEMA=shop\n"), &warnings_).ok());
  EXPECT_TRUE(LoadSlaveConfig(Write(Minimal() + "META_SCHEMA=repl_meta2\n"), &warnings_).ok());
}

TEST_F(ConfigTest, ShortTokenIsRefusedWithoutShowingIt) {
  Result<MasterConfig> m =
      LoadMasterConfig(Write("DB_USER=a\nDB_PASS=b\nREPL_TOKEN=hunter2\n"), &warnings_);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("REPL_TOKEN is too short (7 characters)"), std::string::npos);
  EXPECT_EQ(m.status().message().find("hunter2"), std::string::npos);
}

TEST_F(ConfigTest, FileReadableByOthersGetsAWarning) {
  ASSERT_TRUE(LoadMasterConfig(Write(Minimal(), 0644), &warnings_).ok());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("readable by other users (mode 0644)"), std::string::npos);
  EXPECT_NE(warnings_[0].find("chmod 600"), std::string::npos);
  warnings_.clear();
  ASSERT_TRUE(LoadMasterConfig(Write(Minimal(), 0640), &warnings_).ok());
  EXPECT_EQ(warnings_.size(), 1u);
  warnings_.clear();
  ASSERT_TRUE(LoadMasterConfig(Write(Minimal(), 0600), &warnings_).ok());
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(ConfigTest, NoErrorOrWarningShowsThePasswordOrToken) {
  const std::string secret_pw = "Pw-9f8e7d6c";
  const std::string bad_inputs[] = {
      "DB_USER=a\nDB_PASS=" + secret_pw + "\nREPL_TOKEN=" + kToken + "\nDB_PORT=x\n",
      "DB_USER=a\nDB_PASS=" + secret_pw + "\nREPL_TOKEN=" + kToken + "\nBOGUS=1\n",
      "DB_USER=a\nDB_PASS='" + secret_pw + "\n",
  };
  for (const std::string& text : bad_inputs) {
    warnings_.clear();
    Result<MasterConfig> m = LoadMasterConfig(Write(text, 0644), &warnings_);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().message().find(secret_pw), std::string::npos);
    EXPECT_EQ(m.status().message().find(kToken), std::string::npos);
    for (const std::string& w : warnings_) EXPECT_EQ(w.find(secret_pw), std::string::npos);
  }
}

}  // namespace
}  // namespace sqlrepl::config

namespace sqlrepl::config {
namespace {

// .env.example is the documentation of every key: it must parse, and every
// key must be there (set, or commented out as "# KEY=").
TEST(EnvExample, ParsesAndDocumentsEveryKey) {
  std::ifstream in(std::string(SQLREPL_SOURCE_DIR) + "/.env.example");
  ASSERT_TRUE(in) << "cannot read .env.example";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<std::vector<EnvEntry>> parsed = ParseEnvText(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  for (const EnvEntry& e : *parsed) {
    const std::vector<std::string> known = KnownKeys();
    EXPECT_NE(std::find(known.begin(), known.end(), e.key), known.end()) << e.key;
  }
  for (const std::string& key : KnownKeys()) {
    EXPECT_TRUE(text.find("\n" + key + "=") != std::string::npos ||
                text.find("\n# " + key + "=") != std::string::npos)
        << key << " is not documented in .env.example";
  }
}

}  // namespace
}  // namespace sqlrepl::config

namespace sqlrepl::config {
namespace {

TEST(Duration, UnitsAndPlainSeconds) {
  EXPECT_EQ(ParseDuration("7d"), 7 * 86400);
  EXPECT_EQ(ParseDuration("12h"), 12 * 3600);
  EXPECT_EQ(ParseDuration("30m"), 1800);
  EXPECT_EQ(ParseDuration("45s"), 45);
  EXPECT_EQ(ParseDuration("90"), 90);
  for (const char* bad : {"", "d", "0d", "-1h", "1w", "1.5h", "h1", "99999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST_F(ConfigTest, RetentionIsReadAndChecked) {
  Result<MasterConfig> m = LoadMasterConfig(Write(Minimal()), &warnings_);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->log_retention_seconds, 7 * 86400);
  m = LoadMasterConfig(Write(Minimal() + "REPL_LOG_RETENTION=12h\n"), &warnings_);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->log_retention_seconds, 12 * 3600);
  m = LoadMasterConfig(Write(Minimal() + "REPL_LOG_RETENTION=soon\n"), &warnings_);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "REPL_LOG_RETENTION must be a duration such as 7d, 12h, 30m or 45s, got 'soon'");
}

}  // namespace
}  // namespace sqlrepl::config

namespace sqlrepl::config {
namespace {

// HTTP_LISTEN, HTTP_TOKEN, HTTP_ALLOW_PLAINTEXT on both programs: what
// each combination turns into, or the error that names the key.
TEST_F(ConfigTest, HttpKeysAsATable) {
  struct Row {
    const char* lines;
    bool master;
    const char* host;  // expected when accepted; "" = off
    uint16_t port;
    const char* error;  // substring of the error; nullptr = accepted
  };
  const Row rows[] = {
      {"", true, "", 0,
       nullptr},  // no HTTP_TOKEN: a configuration from before HTTP starts as it did
      {"HTTP_TOKEN=abcdefghijklmnop\n", true, "127.0.0.1", 8081, nullptr},
      {"HTTP_TOKEN=abcdefghijklmnop\n", false, "", 0, nullptr},  // slaves: off unless set
      {"HTTP_TOKEN=abcdefghijklmnop\nHTTP_LISTEN=\n", true, "", 0, nullptr},
      {"HTTP_TOKEN=abcdefghijklmnop\nHTTP_LISTEN=0.0.0.0:9000\n", false, "0.0.0.0", 9000, nullptr},
      {"HTTP_TOKEN=abcdefghijklmnop\nHTTP_LISTEN=[::1]:9000\n", true, "::1", 9000, nullptr},
      {"HTTP_LISTEN=127.0.0.1:9000\n", true, "", 0, "HTTP_TOKEN is required"},
      {"HTTP_LISTEN=127.0.0.1:9000\n", false, "", 0, "HTTP_TOKEN is required"},
      {"HTTP_TOKEN=short\n", true, "", 0, "HTTP_TOKEN is too short"},
      {"HTTP_TOKEN=abcdefghijklmnop\nHTTP_LISTEN=127.0.0.1\n", true, "", 0, "HTTP_LISTEN must be"},
      {"HTTP_TOKEN=abcdefghijklmnop\nHTTP_LISTEN=:80\n", true, "", 0, "HTTP_LISTEN must be"},
      {"HTTP_TOKEN=abcdefghijklmnop\nHTTP_LISTEN=h:70000\n", true, "", 0, "HTTP_LISTEN must be"},
      {"HTTP_ALLOW_PLAINTEXT=yes\n", true, "", 0, "HTTP_ALLOW_PLAINTEXT must be 0 or 1"},
  };
  for (const Row& r : rows) {
    const LoadOptions options = Write(Minimal() + r.lines);
    Result<HttpSettings> http = Status::InvalidArgument("not loaded");
    if (r.master) {
      Result<MasterConfig> c = LoadMasterConfig(options, &warnings_);
      http = c.ok() ? Result<HttpSettings>(c->http) : Result<HttpSettings>(c.status());
    } else {
      Result<SlaveConfig> c = LoadSlaveConfig(options, &warnings_);
      http = c.ok() ? Result<HttpSettings>(c->http) : Result<HttpSettings>(c.status());
    }
    if (r.error != nullptr) {
      ASSERT_FALSE(http.ok()) << r.lines;
      EXPECT_NE(http.status().message().find(r.error), std::string::npos)
          << r.lines << ": " << http.status().message();
      EXPECT_EQ(http.status().message().find("abcdefghijklmnop"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(http.ok()) << r.lines << ": " << http.status().message();
    EXPECT_EQ(http->host, r.host) << r.lines;
    EXPECT_EQ(http->port, r.port) << r.lines;
  }
}

}  // namespace
}  // namespace sqlrepl::config
