#include "sql/splitter.hpp"

#include <algorithm>

#include "base/strings.hpp"
#include "sql/lexer.hpp"

namespace sqlrepl::sql {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kDelimiterWord = "DELIMITER";

bool StartsWithDelimiterCommand(std::string_view s) {
  return s.size() > kDelimiterWord.size() &&
         EqualsIgnoreCase(s.substr(0, kDelimiterWord.size()), kDelimiterWord) &&
         IsSpace(s[kDelimiterWord.size()]);
}

// True while `s` is too short to tell whether it starts a DELIMITER command:
// "DELIM" may still become "DELIMITER //" as more input arrives.
bool MayBecomeDelimiterCommand(std::string_view s) {
  return s.size() <= kDelimiterWord.size() &&
         EqualsIgnoreCase(s, kDelimiterWord.substr(0, s.size()));
}

// The end of a statement found in a run of unprotected text.
struct Hit {
  size_t pos = std::string::npos;
  size_t length = 0;
  bool vertical = false;
};

}  // namespace

bool IsBlankSql(std::string_view text) {
  Lexer lexer(text);
  Token t;
  while (lexer.Next(&t)) {
    if (t.kind != TokenKind::kComment) return false;
  }
  return true;
}

void StatementSplitter::Feed(std::string_view text) {
  buffer_.append(text);
  Scan(/*at_end=*/false);
}

void StatementSplitter::Finish() {
  Scan(/*at_end=*/true);
  if (!IsBlankSql(buffer_)) Emit(0, buffer_.size(), false);
  Consume(buffer_.size());
}

std::optional<SplitStatement> StatementSplitter::Next() {
  if (ready_.empty()) return std::nullopt;
  SplitStatement s = std::move(ready_.front());
  ready_.pop_front();
  return s;
}

bool StatementSplitter::HasPendingText() const {
  // A comment still open is pending too: what follows it is inside it.
  Lexer lexer(buffer_);
  Token t;
  bool open_comment = false;
  while (lexer.Next(&t)) {
    if (t.kind != TokenKind::kComment) return true;
    open_comment = t.unterminated;
  }
  return open_comment;
}

size_t StatementSplitter::SkipSpace(size_t pos) {
  while (pos < buffer_.size() && IsSpace(buffer_[pos])) ++pos;
  return pos;
}

void StatementSplitter::Consume(size_t pos) {
  line_ = LineAt(pos);
  buffer_.erase(0, pos);
  counted_pos_ = 0;
  counted_line_ = line_;
}

int StatementSplitter::LineAt(size_t pos) {
  if (pos < counted_pos_) {
    counted_pos_ = 0;
    counted_line_ = line_;
  }
  counted_line_ += static_cast<int>(std::count(buffer_.begin() + static_cast<long>(counted_pos_),
                                               buffer_.begin() + static_cast<long>(pos), '\n'));
  counted_pos_ = pos;
  return counted_line_;
}

void StatementSplitter::Emit(size_t begin, size_t end, bool vertical) {
  const std::string_view raw(buffer_.data() + begin, end - begin);
  const std::string_view text = Trim(raw);
  if (IsBlankSql(text)) return;  // ";;" or a lone comment: nothing to run
  const size_t first = begin + static_cast<size_t>(text.data() - raw.data());
  ready_.push_back({std::string(text), vertical, LineAt(first), {}});
}

bool StatementSplitter::ParseDelimiterCommand(size_t first, bool at_end, size_t* next) {
  const size_t eol = buffer_.find('\n', first);
  if (eol == std::string::npos && !at_end) return false;  // the line is not complete yet
  const size_t line_end = eol == std::string::npos ? buffer_.size() : eol;
  const size_t kWordLength = kDelimiterWord.size();
  std::string_view arg =
      Trim(std::string_view(buffer_).substr(first + kWordLength, line_end - first - kWordLength));
  arg = arg.substr(0, std::min(arg.size(), arg.find_first_of(" \t")));
  if (arg.empty() || arg.find('\\') != std::string_view::npos) {
    SplitStatement bad;
    bad.line = LineAt(first);
    bad.error = "DELIMITER must be followed by a delimiter (not empty, without backslash)";
    ready_.push_back(std::move(bad));
  } else {
    delimiter_ = std::string(arg);
  }
  *next = eol == std::string::npos ? buffer_.size() : eol + 1;
  return true;
}

// Walks the buffer once, lexing each statement as it goes: the delimiter is
// searched only in text between protected tokens (strings, quoted names,
// variables, comments), and only up to the token just lexed.
void StatementSplitter::Scan(bool at_end) {
  size_t start = 0;
  for (;;) {
    const size_t first = SkipSpace(start);
    const std::string_view rest = std::string_view(buffer_).substr(first);
    if (StartsWithDelimiterCommand(rest)) {
      if (!ParseDelimiterCommand(first, at_end, &start)) break;
      continue;
    }
    // Searching "DELIM" for the delimiter now would split it where a whole
    // line would not (with DELIMITER E, "DE" ends at the E).
    if (!at_end && MayBecomeDelimiterCommand(rest)) break;
    Hit hit;
    size_t run = start;      // start of the current run of unprotected text
    size_t checked = start;  // the run has been searched up to here
    // Finds a delimiter starting in [checked - overlap, end). With
    // `at_protected` the token at `end` is a comment, string, quoted name or
    // variable, and a delimiter may also start at `end` or run on into it:
    // as in the mysql client, the delimiter is checked first at every
    // position outside strings and comments ("//*/" with DELIMITER // ends
    // the statement).
    auto search_to = [&](size_t end, bool at_protected) {
      const size_t overlap = delimiter_.size() - 1;  // a delimiter may straddle two tokens
      const size_t from = checked > run + overlap ? checked - overlap : run;
      checked = end;
      const size_t starts_end =
          at_protected ? end + 1 : end;  // delimiter starts allowed below this
      const size_t limit = std::min(starts_end + overlap, buffer_.size());
      if (starts_end <= from || limit <= from) return false;
      const size_t d = std::string_view(buffer_).substr(from, limit - from).find(delimiter_);
      if (d == std::string_view::npos || from + d >= starts_end) return false;
      hit = {from + d, delimiter_.size(), false};
      return true;
    };
    bool found = false;
    bool incomplete = false;
    Lexer lexer(buffer_, start);
    Token t;
    while (!found && lexer.Next(&t)) {
      if (t.IsProtected()) {
        found = search_to(t.begin, /*at_protected=*/true);
        if (!found && t.unterminated) incomplete = true;
        if (found || incomplete) break;
        run = checked = t.end();
      } else if (t.kind == TokenKind::kClientCommand && (t.text == "\\G" || t.text == "\\g")) {
        found = search_to(t.begin, /*at_protected=*/false);
        if (!found) hit = {t.begin, 2, t.text == "\\G"};
        found = true;
      } else {
        found = search_to(t.end(), /*at_protected=*/false);
      }
    }
    if (!found && !incomplete) found = search_to(buffer_.size(), /*at_protected=*/false);
    if (!found) break;
    Emit(start, hit.pos, hit.vertical);
    start = hit.pos + hit.length;
  }
  Consume(start);
}

}  // namespace sqlrepl::sql
