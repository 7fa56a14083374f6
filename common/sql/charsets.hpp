// Which character sets a slave may read statements in. The server's lexer
// reads bytes: a quote or backslash byte ends or escapes a string whatever
// character set the connection uses, unless the character set makes that
// byte part of a wider character. Our lexer reads bytes the same way, so a
// character set is safe to read in exactly when
//   1. every byte below 0x80 is the ASCII character of that code, and
//   2. no character of two bytes or more has a byte below 0x80.
// The character sets that break either rule are listed in charsets.cpp, and
// tests/integration/charset_rule_test.cpp checks the list, and the verdict
// for every character set a real server knows, against the server.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sqlrepl::sql {

enum class CharsetReading {
  kSafe,     // our lexer reads text in it as the server does
  kUnsafe,   // it can hide a quote or backslash (or is not ASCII-based)
  kUnknown,  // not a character set we know
};

// `name`: a character set ("latin2", "UTF8MB4"; "utf8" is utf8mb3), case
// ignored.
CharsetReading JudgeCharset(std::string_view name);

// The character set of a collation as the server names it
// ("utf8mb4_german2_ci" -> "utf8mb4", "binary" -> "binary"); nullopt when
// its name does not start with a known character set.
std::optional<std::string> CharsetOfCollation(std::string_view collation);

// Why `name` (a character set, or a collation when `is_collation`) must not
// be read in, or "" when it may.
std::string WhyCharsetIsRefused(std::string_view name, bool is_collation);

}  // namespace sqlrepl::sql
