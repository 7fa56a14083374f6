// The HTTP server with an in-memory NodeApi: the bound on requests at once,
// on real loopback sockets.
#include "http/http_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <asio.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <iterator>
#include <thread>
#include <vector>

namespace sqlrepl::http {
namespace {

class FakeApi : public NodeApi {
 public:
  nlohmann::json Status() override { return {{"role", "fake"}}; }
  bool IsPrimary() override { return true; }
  bool IsReplica(uint64_t, std::string* why) override {
    *why = "fake";
    return false;
  }
  std::string Metrics() override { return ""; }
  Answer Events(uint64_t, size_t) override { return {200, nlohmann::json::object()}; }
  Answer Sql(const SqlRequest&) override { return {200, nlohmann::json::object()}; }
};

constexpr char kToken[] = "unit-test-token-0123456789";

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }
  int Status(const std::string& path) {
    httplib::Client c("127.0.0.1", server_.port());
    c.set_read_timeout(20, 0);
    httplib::Result r = c.Get(path.c_str(), {{"Authorization", std::string("Bearer ") + kToken}});
    return r ? r->status : 0;
  }
  // `path`'s status once it is 200, or the last one after `limit`. Workers
  // free themselves when they read the end of a closed connection: until
  // then a request may still find them all busy (503).
  int StatusOnceHealthy(const std::string& path, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = Status(path);
    while (status != 200 && std::chrono::steady_clock::now() < deadline) status = Status(path);
    return status;
  }

  FakeApi api_;

 public:
  static HttpServer::Options Loopback() {
    HttpServer::Options o;
    o.host = "127.0.0.1";
    o.token = Secret(kToken);
    // Idle test connections hold their workers until closed, however slow
    // the machine is between connecting them and the next request.
    o.keep_alive_seconds = 600;
    return o;
  }

 protected:
  HttpServer server_{Loopback(), &api_};
};

TEST_F(HttpServerTest, ConnectionsPastTheBoundGet503ThenServiceResumes) {
  EXPECT_EQ(Status("/api/status"), 200);
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> idle;
  for (size_t i = 0; i < kWorkerThreads + kQueuedRequests; ++i) {
    idle.emplace_back(io);
    idle.back().connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  }
  EXPECT_EQ(Status("/health"), 503);
  idle.clear();
  EXPECT_EQ(StatusOnceHealthy("/health", std::chrono::seconds(60)), 200);
}

size_t OpenFds() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator()));
}

// Each connection the server has accepted is a descriptor of this process:
// past the bound, they must stay in the kernel's backlog.
TEST_F(HttpServerTest, IdleConnectionsPastTheBoundHoldNoDescriptors) {
  // Plus the one the listening thread holds, the one being refused, and
  // asio's reactor descriptors.
  constexpr size_t kHeld = kWorkerThreads + kQueuedRequests + kRefusedWaiting + 8;
  const size_t before = OpenFds();
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> idle;
  for (size_t i = 0; i < kHeld + 100; ++i) {
    idle.emplace_back(io);
    idle.back().connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_.port()));
  }
  // First the server takes what its workers and queue hold (so it is
  // accepting), then it is given a second to take more than the bound (as
  // before the fix: every one).
  const auto held_now = [&] { return OpenFds() - before - idle.size(); };
  const auto filled = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < filled &&
         held_now() < kWorkerThreads + kQueuedRequests) {
  }
  ASSERT_GE(held_now(), kWorkerThreads + kQueuedRequests);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  size_t held = 0;
  while (std::chrono::steady_clock::now() < deadline && held <= kHeld) held = held_now();
  EXPECT_LE(held, kHeld);
  idle.clear();
  EXPECT_EQ(StatusOnceHealthy("/health", std::chrono::seconds(60)), 200);
}

// cpp-httplib 0.11's stop() is lost if it comes before the listening
// thread is running: Stop() would then wait forever.
TEST(HttpServerStartStop, StopRightAfterStartReturns) {
  FakeApi api;
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread loop([&] {
    for (int i = 0; i < 200; ++i) {
      HttpServer server(HttpServerTest::Loopback(), &api);
      if (!server.Start().ok()) break;
      server.Stop();
    }
    done.set_value();
  });
  const bool returned = finished.wait_for(std::chrono::seconds(120)) == std::future_status::ready;
  if (!returned) {
    ADD_FAILURE() << "Stop() right after Start() hung";
    loop.detach();  // cannot be joined; the process ends with the test run
    return;
  }
  loop.join();
}

TEST(HttpServerStartStop, SecondServerOnTheSamePortFails) {
  FakeApi api;
  HttpServer first(HttpServerTest::Loopback(), &api);
  ASSERT_TRUE(first.Start().ok());
  HttpServer::Options same = HttpServerTest::Loopback();
  same.port = first.port();
  HttpServer second(same, &api);
  const Status s = second.Start();
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.message();
  EXPECT_NE(s.message().find("cannot listen"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace sqlrepl::http
