#include "config/env_file.hpp"

#include <fmt/format.h>

#include <map>

namespace sqlrepl::config {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsKeyStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsKeyChar(char c) { return IsKeyStart(c) || (c >= '0' && c <= '9'); }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

Status LineError(int line, std::string_view what) {
  return Status::InvalidArgument(fmt::format("line {}: {}", line, what));
}

// After a closing quote only white space or a comment may follow.
bool OnlyCommentLeft(std::string_view rest) {
  rest = TrimLeft(rest);
  return rest.empty() || rest.front() == '#';
}

Result<std::string> ParseValue(std::string_view raw, const std::string& key, int line) {
  raw = TrimLeft(raw);
  if (!raw.empty() && raw.front() == '\'') {
    const size_t close = raw.find('\'', 1);
    if (close == std::string_view::npos) {
      return LineError(line, fmt::format("unterminated single-quoted value for {}", key));
    }
    if (!OnlyCommentLeft(raw.substr(close + 1))) {
      return LineError(line, fmt::format("unexpected text after the quoted value of {}", key));
    }
    return std::string(raw.substr(1, close - 1));
  }
  if (!raw.empty() && raw.front() == '"') {
    std::string value;
    for (size_t i = 1; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c == '"') {
        if (!OnlyCommentLeft(raw.substr(i + 1))) {
          return LineError(line, fmt::format("unexpected text after the quoted value of {}", key));
        }
        return value;
      }
      if (c == '\\' && i + 1 < raw.size()) {
        const char next = raw[++i];
        switch (next) {
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case '"': case '\\': case '$': value += next; break;
          default: value += '\\'; value += next; break;
        }
        continue;
      }
      value += c;
    }
    return LineError(line, fmt::format("unterminated double-quoted value for {}", key));
  }
  // Unquoted: a '#' starts a comment only after white space, so that
  // passwords like "a#b" survive.
  size_t end = raw.size();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '#' && (i == 0 || IsSpace(raw[i - 1]))) {
      end = i;
      break;
    }
  }
  return std::string(TrimRight(raw.substr(0, end)));
}

}  // namespace

Result<std::vector<EnvEntry>> ParseEnvText(std::string_view text) {
  std::vector<EnvEntry> entries;
  std::map<std::string, int, std::less<>> first_line;
  int line_no = 0;
  while (!text.empty() || line_no == 0) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    line = TrimLeft(line);
    if (line.empty() || line.front() == '#') {
      if (text.empty()) break;
      continue;
    }
    if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t") {
      line = TrimLeft(line.substr(7));
    }
    size_t key_end = 0;
    if (line.empty() || !IsKeyStart(line.front())) {
      return LineError(line_no, "expected KEY=VALUE (a key starts with a letter or '_')");
    }
    while (key_end < line.size() && IsKeyChar(line[key_end])) ++key_end;
    std::string key(line.substr(0, key_end));
    std::string_view rest = TrimLeft(line.substr(key_end));
    if (rest.empty() || rest.front() != '=') {
      return LineError(line_no, fmt::format("expected '=' after {}", key));
    }
    Result<std::string> value = ParseValue(rest.substr(1), key, line_no);
    if (!value.ok()) return value.status();
    if (auto it = first_line.find(key); it != first_line.end()) {
      return LineError(line_no, fmt::format("{} is set twice (first on line {})", key, it->second));
    }
    first_line.emplace(key, line_no);
    entries.push_back({std::move(key), std::move(value).value(), line_no});
    if (text.empty()) break;
  }
  return entries;
}

}  // namespace sqlrepl::config
