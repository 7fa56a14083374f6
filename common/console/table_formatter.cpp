#include "console/table_formatter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace sqlrepl::console {
namespace {

constexpr std::string_view kNull = "NULL";

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 if invalid.
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  char32_t v = 0;
  if (b0 < 0x80) { *cp = b0; return 1; }
  if ((b0 & 0xE0) == 0xC0) { len = 2; v = b0 & 0x1F; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; v = b0 & 0x0F; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; v = b0 & 0x07; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b & 0x3F);
  }
  *cp = v;
  return len;
}

bool IsCombining(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200B || c == 0x200D;
}

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
         (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
         (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

std::string_view CellText(const db::Cell& cell) { return cell ? std::string_view(*cell) : kNull; }

void AppendPadded(std::string* out, std::string_view text, size_t width, bool right) {
  const size_t w = DisplayWidth(text);
  const std::string pad(width > w ? width - w : 0, ' ');
  if (right) *out += pad;
  out->append(text);
  if (!right) *out += pad;
}

std::string Plural(uint64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) {
      ++width;
      ++i;
      continue;
    }
    i += len;
    if (IsCombining(cp)) continue;
    width += IsWide(cp) ? 2 : 1;
  }
  return width;
}

std::string FormatTable(const db::QueryResult& r) {
  const size_t n = r.columns.size();
  std::vector<size_t> widths(n);
  for (size_t c = 0; c < n; ++c) {
    widths[c] = DisplayWidth(r.columns[c].name);
    for (const db::Row& row : r.rows)
      widths[c] = std::max(widths[c], DisplayWidth(CellText(row[c])));
  }
  std::string border = "+";
  for (size_t w : widths) border += std::string(w + 2, '-') + "+";
  border += '\n';

  std::string out = border;
  out += '|';
  for (size_t c = 0; c < n; ++c) {
    out += ' ';
    AppendPadded(&out, r.columns[c].name, widths[c], false);
    out += " |";
  }
  out += '\n';
  out += border;
  for (const db::Row& row : r.rows) {
    out += '|';
    for (size_t c = 0; c < n; ++c) {
      out += ' ';
      AppendPadded(&out, CellText(row[c]), widths[c], r.columns[c].numeric);
      out += " |";
    }
    out += '\n';
  }
  out += border;
  return out;
}

std::string FormatVertical(const db::QueryResult& r) {
  size_t name_width = 0;
  for (const db::Column& c : r.columns) name_width = std::max(name_width, DisplayWidth(c.name));
  std::string out;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    out += fmt::format("*************************** {}. row ***************************\n", i + 1);
    for (size_t c = 0; c < r.columns.size(); ++c) {
      AppendPadded(&out, r.columns[c].name, name_width, true);
      out += ": ";
      out.append(CellText(r.rows[i][c]));
      out += '\n';
    }
  }
  return out;
}

std::string EscapeBatchField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    switch (c) {
      case '\0':
        out += "\\0";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatTabSeparated(const db::QueryResult& r, bool column_names) {
  std::string out;
  if (column_names) {
    for (size_t c = 0; c < r.columns.size(); ++c) {
      if (c > 0) out += '\t';
      out += EscapeBatchField(r.columns[c].name);
    }
    out += '\n';
  }
  for (const db::Row& row : r.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += '\t';
      out += row[c] ? EscapeBatchField(*row[c]) : std::string("NULL");
    }
    out += '\n';
  }
  return out;
}

std::string FormatWarnings(const std::vector<db::Warning>& warnings) {
  std::string out;
  for (const db::Warning& w : warnings)
    out += fmt::format("{} (Code {}): {}\n", w.level, w.code, w.message);
  return out;
}

// Milliseconds, as the mariadb client prints them ("(0.001 sec)").
std::string FormatElapsed(double seconds) {
  if (seconds < 60) return fmt::format("({:.3f} sec)", seconds);
  const auto minutes = static_cast<long>(seconds / 60);
  return fmt::format("({} min {:.3f} sec)", minutes, seconds - 60.0 * static_cast<double>(minutes));
}

std::string FormatSummary(const db::QueryResult& r, double seconds) {
  std::string line;
  if (r.has_result_set) {
    line = r.rows.empty() ? "Empty set" : Plural(r.rows.size(), "row") + " in set";
  } else {
    line = "Query OK, " + Plural(r.affected_rows, "row") + " affected";
  }
  if (r.warning_count > 0) line += ", " + Plural(r.warning_count, "warning");
  line += ' ';
  line += FormatElapsed(seconds);
  if (!r.info.empty()) line += "\n" + r.info;
  return line;
}

std::string FormatResults(const db::QueryResult& r, const ResultStyle& style, double seconds) {
  std::string out;
  const db::QueryResult* one = &r;
  for (size_t i = 0; one != nullptr; ++i) {
    if (i > 0 && style.summaries) out += "\n";
    if (one->has_result_set && !one->rows.empty()) {
      if (style.vertical) {
        out += FormatVertical(*one);
      } else if (style.tab_separated) {
        out += FormatTabSeparated(*one, style.column_names);
      } else {
        out += FormatTable(*one);
      }
    }
    // A CALL's last answer is its status; it gets a summary like any other.
    if (style.summaries) out += FormatSummary(*one, seconds) + "\n";
    one = i < r.more_results.size() ? &r.more_results[i] : nullptr;
  }
  return out;
}

std::string ErrorText(const Status& error, int line) {
  if (error.code() != StatusCode::kSqlError) return "ERROR: " + error.message() + "\n";
  // As the mysql client: scripts get the line number after the code.
  return fmt::format("ERROR {} ({}){}: {}\n", error.sql_errno(), error.sqlstate(),
                     line > 0 ? fmt::format(" at line {}", line) : "", error.message());
}

std::string ReconnectedText(unsigned long thread_id, std::string_view database) {
  return fmt::format("Connection id:    {}\nCurrent database: {}\n", thread_id, database);
}

}  // namespace sqlrepl::console
