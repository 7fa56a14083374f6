// Turns a stream of input text into complete statements, as the mysql
// client does: a statement ends at the delimiter (';' by default) or at \G
// (vertical output) or \g, outside strings, quoted identifiers and comments.
// A line "DELIMITER xyz" at the start of a statement changes the delimiter.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace sqlrepl::sql {

struct SplitStatement {
  std::string text;       // without its delimiter, trimmed
  bool vertical = false;  // ended with \G
  int line = 1;           // input line of its first character
  std::string error;      // set for a bad DELIMITER command; text is empty
};

class StatementSplitter {
 public:
  // Appends input; complete statements become available from Next().
  void Feed(std::string_view text);

  // The next complete statement, if any.
  std::optional<SplitStatement> Next();

  // End of input: whatever is left becomes the last statement (even without
  // a delimiter, or with an unterminated string, for the server to judge).
  void Finish();

  // Drops the unfinished statement (Ctrl-C at the prompt); the delimiter
  // stays.
  void Clear() { Consume(buffer_.size()); }

  // True when text of an unfinished statement, or a comment not yet closed,
  // is waiting: the prompt shows a continuation ("    -> ", "   /*> ").
  bool HasPendingText() const;

  const std::string& delimiter() const { return delimiter_; }

 private:
  void Scan(bool at_end);
  void Emit(size_t begin, size_t end, bool vertical);
  size_t SkipSpace(size_t pos);
  void Consume(size_t pos);
  int LineAt(size_t pos);
  bool ParseDelimiterCommand(size_t first, bool at_end, size_t* next);

  std::string buffer_;
  std::string delimiter_ = ";";
  std::deque<SplitStatement> ready_;
  int line_ = 1;  // line number of buffer_[0]
  size_t counted_pos_ = 0;  // LineAt() has counted newlines up to here...
  int counted_line_ = 1;    // ...which is on this line
};

// True when the text holds nothing but white space and comments.
bool IsBlankSql(std::string_view text);

}  // namespace sqlrepl::sql
