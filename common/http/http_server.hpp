// The node's HTTP server (docs/api.md): cpp-httplib on worker threads of
// its own, in the program's process. /api/* needs the Bearer token (401
// otherwise, with nothing else said); /health, /primary, /replica and
// /metrics do not. A bounded number of requests run or wait at once;
// past that, 503 from a thread that touches nothing else, and past a
// bound on those, connections wait in the kernel's backlog.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/secret.hpp"
#include "base/status.hpp"
#include "config/config.hpp"
#include "http/http_rules.hpp"
#include "http/node_api.hpp"

namespace httplib {
class Server;
}

namespace sqlrepl::http {

class HttpServer {
 public:
  struct Options {
    std::string host;
    uint16_t port = 0;  // 0: any free port (tests)
    Secret token;
    std::string tls_cert;  // both set: HTTPS, TLS 1.2 or newer
    std::string tls_key;
    bool allow_plaintext = false;
    // An idle connection frees its worker after this long (kKeepAliveSeconds;
    // tests that hold workers with idle connections make it long).
    int keep_alive_seconds = kKeepAliveSeconds;
    std::function<void(const std::string&)> log;  // one line per start, stop, error; may be empty
    // Static files served by GET without the token (the page, embedded at
    // build time); `body` must outlive the server.
    struct Page {
      std::string path;  // "/", "/app.js"
      std::string content_type;
      std::string_view body;
    };
    std::vector<Page> pages;
  };

  // `api` must outlive the server.
  HttpServer(Options options, NodeApi* api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on a thread of its own. kInvalidArgument for
  // a plain-text non-loopback address (CheckListen) or unusable TLS files,
  // kIoError when the address cannot be bound.
  Status Start();
  // Stops accepting and waits for the requests being served. Idempotent.
  void Stop();
  uint16_t port() const { return port_; }
  bool tls() const { return !options_.tls_cert.empty(); }

 private:
  // server_, HTTP or HTTPS, with the limits of http_rules.hpp.
  Status MakeServer();
  // Binds HTTP_LISTEN and serves on thread_ until Stop().
  Status Listen();
  // The token and the 503 bound before any route; the page; then the
  // endpoints without the token and those of /api.
  void Route();
  void RouteOpenEndpoints();
  void RouteApi();

  Options options_;
  NodeApi* api_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;  // the listening socket, owned by server_
};

// The page (common/http/web/, embedded at build time: http/web_assets.hpp) as
// Options::pages: each file at its path, and index.html at "/".
std::vector<HttpServer::Options::Page> EmbeddedPages();

// A node's server as its .env says (HTTP_LISTEN, HTTP_TOKEN,
// HTTP_ALLOW_PLAINTEXT, and TLS_CERT/TLS_KEY for HTTPS), serving the page.
HttpServer::Options NodeServerOptions(const config::HttpSettings& http,
                                      const config::TlsSettings& tls,
                                      std::function<void(const std::string&)> log);

}  // namespace sqlrepl::http
