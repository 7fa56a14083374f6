#include "http/web_assets.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sqlrepl::http {
namespace {

std::string ReadSource(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(WebAssets, EveryFileOfWebIsEmbeddedByteForByte) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(SQLREPL_SOURCE_DIR) / "common" / "http" / "web")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string path = "/" + entry.path().filename().string();
    const WebAsset* asset = FindWebAsset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(asset->body, ReadSource(entry.path())) << path;
  }
  EXPECT_EQ(WebAssets().size(), files);
  EXPECT_GE(files, 3u);
}

TEST(WebAssets, RootIsTheIndexPage) {
  const WebAsset* root = FindWebAsset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root, FindWebAsset("/index.html"));
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
}

TEST(WebAssets, ContentTypeFollowsTheExtension) {
  struct Case {
    const char* path;
    const char* type;
  };
  for (const Case& c : {Case{"/app.js", "text/javascript; charset=utf-8"},
                        Case{"/app.css", "text/css; charset=utf-8"},
                        Case{"/favicon.svg", "image/svg+xml"}}) {
    const WebAsset* asset = FindWebAsset(c.path);
    ASSERT_NE(asset, nullptr) << c.path;
    EXPECT_EQ(asset->content_type, c.type) << c.path;
  }
}

TEST(WebAssets, OnlyTheEmbeddedPathsAreFound) {
  for (const char* path : {"", "index.html", "/nope", "/../CMakeLists.txt", "/web/app.js",
                           "/index.html?x=1", "/APP.JS", "//app.js"}) {
    EXPECT_EQ(FindWebAsset(path), nullptr) << path;
  }
}

}  // namespace
}  // namespace sqlrepl::http
