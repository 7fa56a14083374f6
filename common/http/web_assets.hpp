// The page served at `/`: the files of web/ (index.html, app.css, app.js,
// ...), embedded in the program at build time by cmake/embed_web.cmake, so
// that a node serves its console with nothing to download or install beside
// the binary. The bytes live in static storage for the program's lifetime.
#pragma once

#include <span>
#include <string_view>

namespace sqlrepl::http {

struct WebAsset {
  std::string_view path;          // where it is served: "/index.html", "/app.js"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;          // the file's bytes, as in web/
};

// Every embedded file, in file name order. Defined in the generated
// web_assets_data.cpp.
std::span<const WebAsset> WebAssets();

// The asset served at the path of a request ("/" is "/index.html"; a query
// string is not part of it), or nullptr.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace sqlrepl::http
