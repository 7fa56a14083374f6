#include "console/input_state.hpp"

namespace sqlrepl::console {

InputScan ScanInput(std::string_view text) {
  InputScan scan;
  OpenQuote& open = scan.open;
  bool line_comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (line_comment) {
      line_comment = c != '\n';
      continue;
    }
    switch (open) {
      case OpenQuote::kSingle:
      case OpenQuote::kDouble: {
        const char quote = open == OpenQuote::kSingle ? '\'' : '"';
        if (c == '\\') {
          ++i;  // the escaped character, a quote included
        } else if (c == quote) {
          open = OpenQuote::kNone;  // '' inside a string reopens at once
        }
        continue;
      }
      case OpenQuote::kBacktick:
        if (c == '`') open = OpenQuote::kNone;
        continue;
      case OpenQuote::kComment:
        if (c == '*' && next == '/') {
          open = OpenQuote::kNone;
          ++i;
        }
        continue;
      case OpenQuote::kNone:
        break;
    }
    if (c == '\'') {
      open = OpenQuote::kSingle;
    } else if (c == '"') {
      open = OpenQuote::kDouble;
    } else if (c == '`') {
      open = OpenQuote::kBacktick;
    } else if (c == '/' && next == '*') {
      open = OpenQuote::kComment;
      ++i;
    } else if (c == '#' || (c == '-' && next == '-' && i + 2 < text.size() &&
                            (text[i + 2] == ' ' || text[i + 2] == '\t'))) {
      line_comment = true;
    } else if (c == '\\' && next == 'c') {
      scan.clear = true;
      ++i;
    } else if (c == ';') {
      scan.clear = false;  // \c before a finished statement does not reach past it
    }
  }
  return scan;
}

std::string ContinuationPrompt(OpenQuote open) {
  switch (open) {
    case OpenQuote::kSingle:
      return "    '> ";
    case OpenQuote::kDouble:
      return "    \"> ";
    case OpenQuote::kBacktick:
      return "    `> ";
    case OpenQuote::kComment:
      return "   /*> ";
    case OpenQuote::kNone:
      break;
  }
  return "    -> ";
}

}  // namespace sqlrepl::console
