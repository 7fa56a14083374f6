// The page on the node's HTTP server (EmbeddedPages as Options::pages, as
// both programs pass it): every embedded file at its path with its type and
// the page's headers, no token needed, nothing else.
#include <gtest/gtest.h>
#include <httplib.h>

#include "http/http_server.hpp"
#include "http/web_assets.hpp"

namespace sqlrepl::http {
namespace {

// A node that answers nothing: the page's route must not ask it anything.
class SilentNode : public NodeApi {
 public:
  nlohmann::json Status() override { return {}; }
  bool IsPrimary() override { return false; }
  bool IsReplica(uint64_t, std::string*) override { return false; }
  std::string Metrics() override { return ""; }
  Answer Events(uint64_t, size_t) override { return {}; }
  Answer Sql(const SqlRequest&) override { return {}; }
};

class WebRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServer::Options options;
    options.host = "127.0.0.1";
    options.token = Secret(std::string(32, 't'));
    options.pages = EmbeddedPages();
    server_ = std::make_unique<HttpServer>(options, &node_);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  SilentNode node_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebRouteTest, EveryAssetIsServedWithoutTheToken) {
  for (const WebAsset& asset : WebAssets()) {
    const httplib::Result r = client_->Get(std::string(asset.path));
    ASSERT_TRUE(r) << asset.path;
    EXPECT_EQ(r->status, 200) << asset.path;
    EXPECT_EQ(r->body, asset.body) << asset.path;
    EXPECT_EQ(r->get_header_value("Content-Type"), asset.content_type) << asset.path;
    for (const auto& [name, value] : kWebAssetHeaders) {
      EXPECT_EQ(r->get_header_value(name), value) << asset.path << " " << name;
    }
  }
}

TEST_F(WebRouteTest, RootIsTheIndexPage) {
  const httplib::Result r = client_->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, FindWebAsset("/index.html")->body);
}

TEST_F(WebRouteTest, AnythingElseIsNotFoundAndTheApiStillWantsTheToken) {
  for (const char* path : {"/nope.js", "/web/app.js", "/..%2FCMakeLists.txt", "/index.htm",
                           "/appXjs", "/index.html/"}) {
    const httplib::Result r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(r->body, "") << path;
  }
  const httplib::Result api = client_->Get("/api/status");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401);
  const httplib::Result health = client_->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace sqlrepl::http
