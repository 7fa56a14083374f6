// The page served at `/`: the files of http/web/ (index.html, app.css, app.js,
// ...), embedded in the program at build time by cmake/embed_web.cmake, so
// that a node serves its console with nothing to download or install beside
// the binary. The bytes live in static storage for the program's lifetime.
#pragma once

#include <span>
#include <string_view>
#include <utility>

namespace sqlrepl::http {

struct WebAsset {
  std::string_view path;          // where it is served: "/index.html", "/app.js"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;          // the file's bytes, as in http/web/
};

// Every embedded file, in file name order. Defined in the generated
// web_assets_data.cpp.
std::span<const WebAsset> WebAssets();

// The asset served at the path of a request ("/" is "/index.html"; a query
// string is not part of it), or nullptr.
const WebAsset* FindWebAsset(std::string_view path);

// Headers sent with every asset. The page loads only its own files and
// talks only to its own node: no inline script or style, no frames; a
// value that slipped into markup still could not run.
inline constexpr std::pair<const char*, const char*> kWebAssetHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
     "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-cache"},
};

}  // namespace sqlrepl::http
