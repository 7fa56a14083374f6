#include "sql/charsets.hpp"

#include "base/strings.hpp"

namespace sqlrepl::sql {
namespace {

// Every character set of MariaDB 10.11 (SHOW CHARACTER SET) with the verdict
// of the rule in charsets.hpp.
struct Known {
  std::string_view name;
  CharsetReading reading;
};
constexpr CharsetReading kSafe = CharsetReading::kSafe;
constexpr CharsetReading kUnsafe = CharsetReading::kUnsafe;
constexpr Known kCharsets[] = {
    {"armscii8", kSafe}, {"ascii", kSafe},    {"big5", kUnsafe},    {"binary", kSafe},
    {"cp1250", kSafe},   {"cp1251", kSafe},   {"cp1256", kSafe},    {"cp1257", kSafe},
    {"cp850", kSafe},    {"cp852", kSafe},    {"cp866", kSafe},     {"cp932", kUnsafe},
    {"dec8", kSafe},     {"eucjpms", kSafe},  {"euckr", kSafe},     {"gb2312", kSafe},
    {"gbk", kUnsafe},    {"geostd8", kSafe},  {"greek", kSafe},     {"hebrew", kSafe},
    {"hp8", kSafe},      {"keybcs2", kSafe},  {"koi8r", kSafe},     {"koi8u", kSafe},
    {"latin1", kSafe},   {"latin2", kSafe},   {"latin5", kSafe},    {"latin7", kSafe},
    {"macce", kSafe},    {"macroman", kSafe}, {"sjis", kUnsafe},    {"swe7", kUnsafe},
    {"tis620", kSafe},   {"ucs2", kUnsafe},   {"ujis", kSafe},      {"utf16", kUnsafe},
    {"utf16le", kUnsafe}, {"utf32", kUnsafe}, {"utf8mb3", kSafe},   {"utf8mb4", kSafe},
    {"utf8", kSafe},  // the server's alias of utf8mb3
};

const Known* Find(std::string_view name) {
  const std::string lower = AsciiLower(name);
  for (const Known& k : kCharsets) {
    if (k.name == lower) return &k;
  }
  return nullptr;
}

}  // namespace

CharsetReading JudgeCharset(std::string_view name) {
  const Known* k = Find(name);
  return k == nullptr ? CharsetReading::kUnknown : k->reading;
}

std::optional<std::string> CharsetOfCollation(std::string_view collation) {
  // Character set names hold no "_": the collation's name starts with its
  // character set's, up to the first "_" ("binary" stands alone).
  const std::string_view prefix = collation.substr(0, collation.find('_'));
  const Known* k = Find(prefix);
  if (k == nullptr) return std::nullopt;
  return std::string(k->name);
}

std::string WhyCharsetIsRefused(std::string_view name, bool is_collation) {
  std::string charset(name);
  if (is_collation) {
    const std::optional<std::string> of = CharsetOfCollation(name);
    if (!of)
      return "collation " + std::string(name) + " is of no character set sqlrepl knows; refused";
    charset = *of;
  }
  const std::string what =
      is_collation ? "collation " + std::string(name) + " (character set " + charset + ")"
                   : "character set " + charset;
  switch (JudgeCharset(charset)) {
    case CharsetReading::kSafe:
      return "";
    case CharsetReading::kUnsafe:
      return what +
             " can hide a quote or backslash inside a wider character (or is not "
             "ASCII-based), so statements in it are not read as the server reads them; refused";
    case CharsetReading::kUnknown:
      break;
  }
  return what + " is not one sqlrepl knows; refused";
}

}  // namespace sqlrepl::sql
