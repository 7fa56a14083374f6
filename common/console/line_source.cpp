#include "console/line_source.hpp"

#include <editline/readline.h>
#include <poll.h>

#include <clocale>
#include <cstdlib>
#include <string>
#include <memory>

namespace sqlrepl::console {
namespace {

bool IsUtf8(const char* locale) {
  if (locale == nullptr) return false;
  const std::string l(locale);
  return l.find("UTF-8") != std::string::npos || l.find("utf8") != std::string::npos ||
         l.find("UTF8") != std::string::npos || l.find("utf-8") != std::string::npos;
}

}  // namespace

TerminalLineSource::TerminalLineSource() {
  if (!IsUtf8(std::setlocale(LC_CTYPE, ""))) std::setlocale(LC_CTYPE, "C.UTF-8");
}

std::optional<std::string> TerminalLineSource::ReadLine(std::string_view prompt) {
  const std::string p(prompt);
  std::unique_ptr<char, decltype(&std::free)> line(readline(p.c_str()), &std::free);
  if (!line) return std::nullopt;
  return std::string(line.get());
}

void TerminalLineSource::Remember(std::string_view statement) {
  add_history(std::string(statement).c_str());
}

std::optional<std::string> StreamLineSource::ReadLine(std::string_view) {
  std::string line;
  if (!std::getline(in_, line)) return std::nullopt;
  return line;
}

}  // namespace sqlrepl::console

namespace sqlrepl::console {

bool StreamLineSource::InputPending() {
  if (in_.rdbuf()->in_avail() > 0) return true;
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace sqlrepl::console
