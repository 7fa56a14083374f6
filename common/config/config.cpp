#include "config/config.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strings.hpp"
#include "config/env_file.hpp"

namespace sqlrepl::config {
namespace {

// Every key either program understands. A key outside this list is a typo
// and is reported, rather than silently ignored.
// clang-format off
constexpr std::array kKnownKeys = {
    "DB_HOST",     "DB_PORT",           "DB_SOCKET",      "DB_USER",            "DB_PASS",
    "DB_NAME",     "LISTEN_HOST",       "LISTEN_PORT",    "MASTER_HOST",        "MASTER_PORT",
    "SLAVE_ID",    "RECONNECT_SECONDS", "REPL_TOKEN",     "ACK_TIMEOUT_MS",     "META_SCHEMA",
    "UNSAFE_STATEMENTS", "ON_APPLY_ERROR", "REPL_LOG_RETENTION", "MASTER_LOG",
    "SLAVE_ALLOW_BROAD_GRANTS", "TLS_CERT", "TLS_KEY", "TLS_CA", "SLAVE_LOG",
    "HTTP_LISTEN", "HTTP_TOKEN", "HTTP_ALLOW_PLAINTEXT",
};
// clang-format on

constexpr size_t kMinTokenLength = 16;

bool IsKnownKey(const std::string& key) {
  for (const char* k : kKnownKeys) {
    if (key == k) return true;
  }
  return false;
}

// The merged key/value view of file and environment.
class Settings {
 public:
  static Result<Settings> Load(const LoadOptions& options, std::vector<std::string>* warnings);

  std::optional<std::string> Get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  Result<std::string> Required(const std::string& key) const {
    if (auto v = Get(key)) return *v;
    return Status::InvalidArgument(
        fmt::format("{} is required: set it in {} or in the environment", key, source_));
  }

  std::string String(const std::string& key, const std::string& fallback) const {
    return Get(key).value_or(fallback);
  }

  Result<int> Integer(const std::string& key, int fallback, int min, int max) const {
    auto v = Get(key);
    if (!v) return fallback;
    int out = 0;
    const char* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, out);
    if (ec != std::errc() || ptr != end || out < min || out > max) {
      return Status::InvalidArgument(
          fmt::format("{} must be a whole number from {} to {}, got '{}'", key, min, max, *v));
    }
    return out;
  }

  Result<uint16_t> Port(const std::string& key, uint16_t fallback) const {
    Result<int> v = Integer(key, fallback, 1, 65535);
    if (!v.ok()) return v.status();
    return static_cast<uint16_t>(*v);
  }

  // Names that are pasted into SQL unquoted must be plain identifiers.
  Result<std::string> Identifier(const std::string& key, const std::string& fallback) const {
    std::string v = String(key, fallback);
    bool ok = !v.empty() && v.size() <= 64;
    for (char c : v) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '$');
    }
    if (!ok) {
      return Status::InvalidArgument(fmt::format(
          "{} must be a plain name of 1 to 64 letters, digits, '_' or '$', got '{}'", key, v));
    }
    return v;
  }

  Result<Secret> Token() const {
    Result<std::string> token = Required("REPL_TOKEN");
    if (!token.ok()) return token.status();
    if (token->size() < kMinTokenLength) {
      return Status::InvalidArgument(fmt::format(
          "REPL_TOKEN is too short ({} characters): use at least {}, e.g. `openssl rand -hex 32`",
          token->size(), kMinTokenLength));
    }
    return Secret(std::move(token).value());
  }

  // TLS_CERT and TLS_KEY come as a pair; `needs_ca` (the slave): they are
  // a client certificate, which means nothing without TLS_CA; otherwise
  // (the master) TLS_CA means nothing without them.
  Result<TlsSettings> Tls(bool needs_ca) const {
    TlsSettings tls{String("TLS_CERT", ""), String("TLS_KEY", ""), String("TLS_CA", "")};
    if (tls.cert.empty() != tls.key.empty()) {
      return Status::InvalidArgument(tls.cert.empty()
                                         ? "TLS_KEY is set but TLS_CERT is not: set both (the "
                                           "certificate and its key) or neither"
                                         : "TLS_CERT is set but TLS_KEY is not: set both (the "
                                           "certificate and its key) or neither");
    }
    if (needs_ca && !tls.cert.empty() && tls.ca.empty()) {
      return Status::InvalidArgument(
          "TLS_CERT/TLS_KEY are set but TLS_CA is not: a slave uses TLS only with TLS_CA (the CA "
          "that signed the master's certificate)");
    }
    if (!needs_ca && !tls.ca.empty() && tls.cert.empty()) {
      return Status::InvalidArgument(
          "TLS_CA is set but TLS_CERT/TLS_KEY are not: a master checks slaves' certificates only "
          "when it uses TLS itself");
    }
    return tls;
  }

  // HTTP_LISTEN ("host:port", or "[v6]:port"; empty: off), with
  // HTTP_TOKEN required when it is on. Whether a plain-text address may be
  // used is decided with TLS at start (http::CheckListen).
  // The master's default address applies only with HTTP_TOKEN set: a
  // configuration from before the HTTP server keeps starting, without it.
  Result<HttpSettings> Http(std::string_view default_listen) const {
    HttpSettings http;
    const std::string listen =
        String("HTTP_LISTEN", Get("HTTP_TOKEN") ? std::string(default_listen) : "");
    const std::string plain = String("HTTP_ALLOW_PLAINTEXT", "0");
    if (plain != "0" && plain != "1") {
      return Status::InvalidArgument(
          fmt::format("HTTP_ALLOW_PLAINTEXT must be 0 or 1, got '{}'", plain));
    }
    http.allow_plaintext = plain == "1";
    if (listen.empty()) return http;
    const size_t colon = listen.rfind(':');
    std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    int port = 0;
    const char* begin = listen.data() + (colon == std::string::npos ? 0 : colon + 1);
    const char* end = listen.data() + listen.size();
    auto [ptr, ec] = std::from_chars(begin, end, port);
    if (host.empty() || ec != std::errc() || ptr != end || port < 1 || port > 65535) {
      return Status::InvalidArgument(fmt::format(
          "HTTP_LISTEN must be host:port (e.g. 127.0.0.1:8081), or empty to turn the HTTP "
          "server off, got '{}'",
          listen));
    }
    http.host = std::move(host);
    http.port = static_cast<uint16_t>(port);
    Result<std::string> token = Required("HTTP_TOKEN");
    if (!token.ok()) {
      return Status::InvalidArgument(fmt::format(
          "HTTP_TOKEN is required while HTTP_LISTEN is set ({}): set it in {} or in the "
          "environment, or set HTTP_LISTEN= (empty) to turn the HTTP server off",
          listen, source_));
    }
    if (token->size() < kMinTokenLength) {
      return Status::InvalidArgument(fmt::format(
          "HTTP_TOKEN is too short ({} characters): use at least {}, e.g. `openssl rand -hex 32`",
          token->size(), kMinTokenLength));
    }
    http.token = Secret(std::move(token).value());
    return http;
  }

  Result<DbSettings> Db() const {
    DbSettings db;
    db.host = String("DB_HOST", db.host);
    Result<uint16_t> port = Port("DB_PORT", db.port);
    if (!port.ok()) return port.status();
    db.port = *port;
    db.socket = String("DB_SOCKET", "");
    Result<std::string> user = Required("DB_USER");
    if (!user.ok()) return user.status();
    db.user = std::move(user).value();
    Result<std::string> password = Required("DB_PASS");
    if (!password.ok()) return password.status();
    db.password = Secret(std::move(password).value());
    Result<std::string> name = Identifier("DB_NAME", db.database);
    if (!name.ok()) return name.status();
    db.database = std::move(name).value();
    return db;
  }

 private:
  std::map<std::string, std::string> values_;
  std::string source_;
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<Settings> Settings::Load(const LoadOptions& options, std::vector<std::string>* warnings) {
  Settings settings;
  settings.source_ = options.env_file;
  struct stat st {};
  const bool exists = ::stat(options.env_file.c_str(), &st) == 0;
  if (!exists && options.env_file_explicit) {
    return Status::InvalidArgument(fmt::format("the env file {} does not exist", options.env_file));
  }
  if (exists) {
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && warnings != nullptr) {
      warnings->push_back(
          fmt::format("warning: {} is readable by other users (mode {:04o}) and holds secrets; "
                      "run: chmod 600 {}",
                      options.env_file, st.st_mode & 07777, options.env_file));
    }
    Result<std::string> text = ReadFile(options.env_file);
    if (!text.ok()) return text.status();
    Result<std::vector<EnvEntry>> entries = ParseEnvText(*text);
    if (!entries.ok()) {
      return Status::InvalidArgument(
          fmt::format("{}: {}", options.env_file, entries.status().message()));
    }
    for (EnvEntry& e : *entries) {
      if (!IsKnownKey(e.key)) {
        return Status::InvalidArgument(
            fmt::format("{}: line {}: unknown key {} (every key is listed in .env.example)",
                        options.env_file, e.line, e.key));
      }
      settings.values_[e.key] = std::move(e.value);
    }
  } else {
    settings.source_ = fmt::format("{} (not found)", options.env_file);
  }
  for (const char* key : kKnownKeys) {
    if (auto v = options.environment(key)) settings.values_[key] = *v;
  }
  return settings;
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "slave";
  return buf;
}

}  // namespace

std::optional<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  constexpr std::string_view kUnits = "smhd";
  constexpr std::array<int64_t, 4> kUnitSeconds = {1, 60, 3600, 86400};
  if (const size_t u = kUnits.find(text.back()); u != std::string_view::npos) {
    unit = kUnitSeconds[u];
    text.remove_suffix(1);
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || n <= 0 ||
      n > 3650LL * 86400 / unit) {
    return std::nullopt;
  }
  return n * unit;
}

std::vector<std::string> KnownKeys() { return {kKnownKeys.begin(), kKnownKeys.end()}; }

EnvLookup ProcessEnvironment() {
  return [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

// The macro keeps the many "load, check, assign" steps below to one line each.
#define SQLREPL_ASSIGN_OR_RETURN(lhs, expr) \
  do {                                      \
    auto _r = (expr);                       \
    if (!_r.ok()) return _r.status();       \
    lhs = std::move(_r).value();            \
  } while (0)

Result<MasterConfig> LoadMasterConfig(const LoadOptions& options,
                                      std::vector<std::string>* warnings) {
  Result<Settings> loaded = Settings::Load(options, warnings);
  if (!loaded.ok()) return loaded.status();
  const Settings& s = *loaded;
  MasterConfig c;
  SQLREPL_ASSIGN_OR_RETURN(c.db, s.Db());
  c.listen_host = s.String("LISTEN_HOST", c.listen_host);
  SQLREPL_ASSIGN_OR_RETURN(c.listen_port, s.Port("LISTEN_PORT", c.listen_port));
  SQLREPL_ASSIGN_OR_RETURN(c.token, s.Token());
  SQLREPL_ASSIGN_OR_RETURN(c.ack_timeout_ms,
                           s.Integer("ACK_TIMEOUT_MS", c.ack_timeout_ms, 1, 3600000));
  SQLREPL_ASSIGN_OR_RETURN(c.meta_schema, s.Identifier("META_SCHEMA", c.meta_schema));
  // The master refuses writes to META_SCHEMA by hand: every write to DB_NAME.
  if (EqualsIgnoreCase(c.meta_schema, c.db.database)) {
    return Status::InvalidArgument(fmt::format(
        "META_SCHEMA and DB_NAME are both '{}': every write would be refused as a write to the "
        "replication log; give META_SCHEMA a schema of its own",
        c.meta_schema));
  }
  c.master_log = s.String("MASTER_LOG", c.master_log);
  SQLREPL_ASSIGN_OR_RETURN(c.tls, s.Tls(false));
  SQLREPL_ASSIGN_OR_RETURN(c.http, s.Http(kDefaultMasterHttpListen));
  const std::string retention = s.String("REPL_LOG_RETENTION", "7d");
  const std::optional<int64_t> seconds = ParseDuration(retention);
  if (!seconds) {
    return Status::InvalidArgument(fmt::format(
        "REPL_LOG_RETENTION must be a duration such as 7d, 12h, 30m or 45s, got '{}'", retention));
  }
  c.log_retention_seconds = *seconds;
  const std::string unsafe = s.String("UNSAFE_STATEMENTS", "warn");
  if (unsafe == "warn") {
    c.unsafe_statements = UnsafePolicy::kWarn;
  } else if (unsafe == "refuse") {
    c.unsafe_statements = UnsafePolicy::kRefuse;
  } else {
    return Status::InvalidArgument(
        fmt::format("UNSAFE_STATEMENTS must be 'warn' or 'refuse', got '{}'", unsafe));
  }
  return c;
}

Result<SlaveConfig> LoadSlaveConfig(const LoadOptions& options,
                                    std::vector<std::string>* warnings) {
  Result<Settings> loaded = Settings::Load(options, warnings);
  if (!loaded.ok()) return loaded.status();
  const Settings& s = *loaded;
  SlaveConfig c;
  SQLREPL_ASSIGN_OR_RETURN(c.db, s.Db());
  c.master_host = s.String("MASTER_HOST", c.master_host);
  SQLREPL_ASSIGN_OR_RETURN(c.master_port, s.Port("MASTER_PORT", c.master_port));
  c.slave_id = s.String("SLAVE_ID", HostName());
  if (c.slave_id.empty() || c.slave_id.size() > 64) {
    return Status::InvalidArgument("SLAVE_ID must be 1 to 64 characters long");
  }
  for (unsigned char ch : c.slave_id) {
    if (ch < 0x21 || ch > 0x7e) {
      return Status::InvalidArgument("SLAVE_ID must be printable ASCII without spaces");
    }
  }
  SQLREPL_ASSIGN_OR_RETURN(c.reconnect_seconds,
                           s.Integer("RECONNECT_SECONDS", c.reconnect_seconds, 1, 3600));
  SQLREPL_ASSIGN_OR_RETURN(c.token, s.Token());
  SQLREPL_ASSIGN_OR_RETURN(c.meta_schema, s.Identifier("META_SCHEMA", c.meta_schema));
  // The slave refuses every write to META_SCHEMA: sharing DB_NAME's schema
  // would refuse every event while the position moves on.
  if (EqualsIgnoreCase(c.meta_schema, c.db.database)) {
    return Status::InvalidArgument(fmt::format(
        "META_SCHEMA and DB_NAME are both '{}': the slave would refuse every event (it never "
        "writes "
        "to META_SCHEMA) while its position moves on; give META_SCHEMA a schema of its own",
        c.meta_schema));
  }
  const std::string on_error = s.String("ON_APPLY_ERROR", "skip");
  if (on_error == "skip") {
    c.on_apply_error = ApplyErrorPolicy::kSkip;
  } else if (on_error == "stop") {
    c.on_apply_error = ApplyErrorPolicy::kStop;
  } else {
    return Status::InvalidArgument(
        fmt::format("ON_APPLY_ERROR must be 'skip' or 'stop', got '{}'", on_error));
  }
  const std::string broad = s.String("SLAVE_ALLOW_BROAD_GRANTS", "0");
  if (broad != "0" && broad != "1") {
    return Status::InvalidArgument(
        fmt::format("SLAVE_ALLOW_BROAD_GRANTS must be 0 or 1, got '{}'", broad));
  }
  c.allow_broad_grants = broad == "1";
  SQLREPL_ASSIGN_OR_RETURN(c.tls, s.Tls(true));
  c.slave_log = s.String("SLAVE_LOG", c.slave_log);
  SQLREPL_ASSIGN_OR_RETURN(c.http, s.Http(""));
  return c;
}

}  // namespace sqlrepl::config
