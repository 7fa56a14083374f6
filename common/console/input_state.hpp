// What the prompt needs to know about the statement being typed, read the
// way the mysql client reads it: is a quote or a comment still open (the
// continuation prompt shows it), and did the user type \c to drop it.
#pragma once

#include <string>
#include <string_view>

namespace sqlrepl::console {

enum class OpenQuote { kNone, kSingle, kDouble, kBacktick, kComment };

struct InputScan {
  OpenQuote open = OpenQuote::kNone;  // at the end of the text
  bool clear = false;                 // \c outside quotes and comments
};

// Scans `text` (the unfinished statement so far) from its start. ';' ends a
// statement, so what comes after one starts afresh.
InputScan ScanInput(std::string_view text);

// "    -> ", or "    '> ", "    \"> ", "    `> ", "   /*> " inside a quote
// or comment, as the mysql client shows them.
std::string ContinuationPrompt(OpenQuote open);

}  // namespace sqlrepl::console
