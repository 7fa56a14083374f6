// Parser for .env files: KEY=VALUE lines.
//
// Grammar, per line (a trailing CR is ignored):
//   blank | '#' comment | ['export' ws] KEY ws* '=' ws* VALUE [ws+ '#' comment]
//   KEY   := [A-Za-z_][A-Za-z0-9_]*
//   VALUE := "double quoted, with \" \\ \n \t escapes" | 'single quoted, literal' | unquoted
// Unquoted values run to the end of the line or to a '#' preceded by white
// space, with surrounding white space trimmed. A key set twice is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace sqlrepl::config {

struct EnvEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line number in the file
};

// Errors are kInvalidArgument and name the line number; they never quote a
// value, since values may be passwords.
Result<std::vector<EnvEntry>> ParseEnvText(std::string_view text);

}  // namespace sqlrepl::config
