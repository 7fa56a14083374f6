#include "http/http_server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "http/web_assets.hpp"

namespace sqlrepl::http {
namespace {

// Set on the thread that answers connections past the bound: every request
// it reads gets 503 (the pre-routing handler), without touching the node.
thread_local bool t_overloaded = false;

// cpp-httplib's ThreadPool queues without limit. This one runs
// kWorkerThreads connections at once and queues kQueuedRequests more; the
// connections past that go to one thread that only answers 503, at most
// kRefusedWaiting of them. Each job holds an accepted socket, and 0.11's
// enqueue cannot refuse one (a dropped job would leak it), so past that
// enqueue waits: the listening thread stops accepting.
class BoundedQueue : public httplib::TaskQueue {
 public:
  BoundedQueue() {
    for (size_t i = 0; i < kWorkerThreads; ++i) threads_.emplace_back([this] { Work(false); });
    threads_.emplace_back([this] { Work(true); });
  }
  ~BoundedQueue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    {
      std::unique_lock lock(mu_);
      room_.wait(lock,
                 [&] { return stopping_ || HasRoom() || overflow_.size() < kRefusedWaiting; });
      if (HasRoom()) {
        jobs_.push_back(std::move(fn));
      } else {
        overflow_.push_back(std::move(fn));
      }
    }
    wake_.notify_all();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    room_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  bool HasRoom() const { return busy_ + jobs_.size() < kWorkerThreads + kQueuedRequests; }

  void Work(bool refuser) {
    t_overloaded = refuser;
    std::deque<std::function<void()>>& queue = refuser ? overflow_ : jobs_;
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and every accepted connection served
      std::function<void()> job = std::move(queue.front());
      queue.pop_front();
      busy_ += refuser ? 0 : 1;
      lock.unlock();
      job();
      lock.lock();
      busy_ -= refuser ? 0 : 1;
      room_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable room_;  // enqueue waits on it past kRefusedWaiting
  std::deque<std::function<void()>> jobs_;
  std::deque<std::function<void()>> overflow_;
  size_t busy_ = 0;  // connections the workers serve now
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Text from the database in another character set must not throw here.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

bool IsApiPath(const std::string& path) { return path == "/api" || path.rfind("/api/", 0) == 0; }

std::optional<std::string> Param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

}  // namespace

std::vector<HttpServer::Options::Page> EmbeddedPages() {
  std::vector<HttpServer::Options::Page> pages;
  for (const WebAsset& asset : WebAssets()) {
    // The path is a regular expression to cpp-httplib: its dots match only dots.
    std::string path;
    for (char c : asset.path) path += c == '.' ? std::string("\\.") : std::string(1, c);
    pages.push_back({path, std::string(asset.content_type), asset.body});
  }
  const WebAsset* index = FindWebAsset("/");
  if (index != nullptr) pages.push_back({"/", std::string(index->content_type), index->body});
  return pages;
}

HttpServer::Options NodeServerOptions(const config::HttpSettings& http,
                                      const config::TlsSettings& tls,
                                      std::function<void(const std::string&)> log) {
  HttpServer::Options options;
  options.host = http.host;
  options.port = http.port;
  options.token = http.token;
  options.tls_cert = tls.cert;
  options.tls_key = tls.key;
  options.allow_plaintext = http.allow_plaintext;
  options.log = std::move(log);
  options.pages = EmbeddedPages();
  return options;
}

HttpServer::HttpServer(Options options, NodeApi* api) : options_(std::move(options)), api_(api) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (Status s = CheckListen(options_.host, tls(), options_.allow_plaintext); !s.ok()) return s;
  if (Status s = MakeServer(); !s.ok()) return s;
  Route();
  if (Status s = Listen(); !s.ok()) return s;
  if (options_.log) {
    options_.log(fmt::format("HTTP{} API listening on {}:{}", tls() ? "S" : "", options_.host,
                             port_));
  }
  return Status::Ok();
}

Status HttpServer::MakeServer() {
  if (tls()) {
    auto server = std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(),
                                                       options_.tls_key.c_str());
    if (!server->is_valid()) {
      return Status::InvalidArgument(
          fmt::format("HTTP: cannot use TLS_CERT {} and TLS_KEY {} for HTTPS", options_.tls_cert,
                      options_.tls_key));
    }
    // As on the replication link: TLS 1.2 or newer, never less.
    SSL_CTX_set_min_proto_version(server->ssl_context(), TLS1_2_VERSION);
    server_ = std::move(server);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // cpp-httplib owns (and deletes) the queue it is handed.
  server_->new_task_queue = [] { return new BoundedQueue(); };
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  // So that idle connections (a browser's) do not keep workers.
  server_->set_keep_alive_timeout(options_.keep_alive_seconds);
  server_->set_keep_alive_max_count(kKeepAliveRequests);
  return Status::Ok();
}

Status HttpServer::Listen() {
  // cpp-httplib listens with a backlog of 5: a burst of connections would
  // wait for SYN retransmissions (seconds) instead of a quick 503. Linux
  // takes a second listen() on the socket as a new backlog.
  // Not httplib::default_socket_options: its SO_REUSEPORT would let a
  // second node with the same HTTP_LISTEN bind too, and the kernel would
  // split the connections between the two.
  server_->set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd_ = sock;
  });
  const int port = options_.port == 0 ? server_->bind_to_any_port(options_.host)
                                      : (server_->bind_to_port(options_.host, options_.port)
                                             ? options_.port
                                             : -1);
  if (port <= 0) {
    return Status::IoError(fmt::format("HTTP: cannot listen on {}:{} (HTTP_LISTEN)",
                                       options_.host, options_.port));
  }
  port_ = static_cast<uint16_t>(port);
  if (listen_fd_ >= 0) ::listen(listen_fd_, kListenBacklog);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib 0.11's stop() does nothing before the listening thread has
  // set is_running, so a Stop() right after Start() would wait forever.
  // The library offers no signal: poll, with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::IoError(
          fmt::format("HTTP: the server on {}:{} did not start", options_.host, port_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
  if (options_.log) options_.log("HTTP API stopped");
}

void HttpServer::Route() {
  httplib::Server& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (t_overloaded) {
      res.set_header("Connection", "close");
      res.set_header("Retry-After", "1");
      SendJson(res, 503, {{"error", "too many requests at once; try again"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    if (IsApiPath(req.path) &&
        !TokenMatches(req.get_header_value("Authorization"), options_.token.Reveal())) {
      res.status = 401;  // and nothing else: no hint of what exists
      res.set_header("WWW-Authenticate", "Bearer");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendJson(res, 500, {{"error", "internal error"}});
      });
  for (const Options::Page& page : options_.pages) {
    s.Get(page.path, [&page](const httplib::Request&, httplib::Response& res) {
      for (const auto& [name, value] : kWebAssetHeaders) res.set_header(name, value);
      res.set_content(page.body.data(), page.body.size(), page.content_type.c_str());
    });
  }
  RouteOpenEndpoints();
  RouteApi();
}

// Without the token: they reveal no data (docs/security.md).
void HttpServer::RouteOpenEndpoints() {
  httplib::Server& s = *server_;
  s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, {{"status", "ok"}});
  });
  s.Get("/primary", [this](const httplib::Request&, httplib::Response& res) {
    const bool primary = api_->IsPrimary();
    SendJson(res, primary ? 200 : 503, {{"primary", primary}});
  });
  s.Get("/replica", [this](const httplib::Request& req, httplib::Response& res) {
    Result<uint64_t> lag = ParseCount("lag", Param(req, "lag"), UINT64_MAX);
    if (!lag.ok()) return SendJson(res, 400, {{"error", lag.status().message()}});
    std::string why;
    const bool replica = api_->IsReplica(*lag, &why);
    nlohmann::json body{{"replica", replica}};
    if (!replica) body["reason"] = why;
    SendJson(res, replica ? 200 : 503, body);
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(api_->Metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

void HttpServer::RouteApi() {
  httplib::Server& s = *server_;
  s.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, api_->Status());
  });
  s.Get("/api/events", [this](const httplib::Request& req, httplib::Response& res) {
    Result<uint64_t> after = ParseCount("after", Param(req, "after"), 0);
    if (!after.ok()) return SendJson(res, 400, {{"error", after.status().message()}});
    Result<uint64_t> limit = ParseCount("limit", Param(req, "limit"), 100);
    if (!limit.ok()) return SendJson(res, 400, {{"error", limit.status().message()}});
    if (*limit == 0 || *limit > kMaxEventsPerCall) {
      return SendJson(res, 400,
                      {{"error", fmt::format("limit must be from 1 to {}", kMaxEventsPerCall)}});
    }
    const Answer a = api_->Events(*after, static_cast<size_t>(*limit));
    SendJson(res, a.status, a.body);
  });
  s.Post("/api/sql", [this](const httplib::Request& req, httplib::Response& res) {
    Result<SqlRequest> request = ParseSqlRequest(req.body);
    if (!request.ok()) return SendJson(res, 400, {{"error", request.status().message()}});
    const Answer a = api_->Sql(*request);
    SendJson(res, a.status, a.body);
  });
}

}  // namespace sqlrepl::http
